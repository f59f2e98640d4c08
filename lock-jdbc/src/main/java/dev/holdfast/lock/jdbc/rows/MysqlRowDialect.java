package dev.holdfast.lock.jdbc.rows;

import java.time.Duration;

/**
 * MySQL 8: MariaDB's statements, except that a bounded wait sets {@code innodb_lock_wait_timeout} for the
 * session around the select (MySQL has no {@code FOR UPDATE WAIT n}).
 */
final class MysqlRowDialect extends MariaDbRowDialect {

    static final MysqlRowDialect INSTANCE = new MysqlRowDialect();

    @Override
    String name() {
        return "mysql";
    }

    @Override
    String lockClause(LockMode mode, Duration wait) {
        return mode == LockMode.WAIT ? " FOR UPDATE" : super.lockClause(mode, wait);
    }

    @Override
    String[] beforeWait(long timeoutMillis) {
        return new String[] {"SET @holdfast_saved_lock_wait = @@SESSION.innodb_lock_wait_timeout",
            "SET SESSION innodb_lock_wait_timeout = " + waitSeconds(timeoutMillis)};
    }

    @Override
    String[] afterWait() {
        return new String[] {"SET SESSION innodb_lock_wait_timeout = @holdfast_saved_lock_wait"};
    }

    @Override
    String onceSchemaFile() {
        return "mysql-holdfast_once.sql";
    }
}
