package dev.holdfast.lock.jdbc;

/** Table leases on MariaDB 10.6+: MySQL's statements; the schema differs (no-pad binary collation). */
final class MariaDbTableSql extends MysqlTableSql {

    MariaDbTableSql(String table) {
        super(table);
    }

    @Override
    String schemaFile() {
        return "mariadb-holdfast_lock.sql";
    }
}
