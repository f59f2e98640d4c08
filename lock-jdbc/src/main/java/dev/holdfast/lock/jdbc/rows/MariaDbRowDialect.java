package dev.holdfast.lock.jdbc.rows;

import java.sql.SQLException;
import java.time.Duration;

/**
 * MariaDB 10.6+: no {@code UPDATE ... RETURNING}, so a claim is {@code SELECT ... FOR UPDATE SKIP LOCKED}
 * then {@code UPDATE ... WHERE key IN (...)} in one short READ COMMITTED transaction; a bounded wait is
 * {@code FOR UPDATE WAIT n} (whole seconds, rounded up); busy is error 1205 (lock wait timeout, also
 * NOWAIT) or 3572 (MySQL's NOWAIT). Times are {@code UTC_TIMESTAMP(6)}: store them in {@code DATETIME(6)}.
 */
class MariaDbRowDialect extends RowDialect {

    static final MariaDbRowDialect INSTANCE = new MariaDbRowDialect();

    @Override
    final char quoteChar() {
        return '`';
    }

    @Override
    String name() {
        return "mariadb";
    }

    @Override
    final String now() {
        return "UTC_TIMESTAMP(6)";
    }

    @Override
    final String nowMinusMicros() {
        return "UTC_TIMESTAMP(6) - INTERVAL ? MICROSECOND";
    }

    @Override
    final String nowPlusMicros() {
        return "UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND";
    }

    @Override
    String lockClause(LockMode mode, Duration wait) {
        return switch (mode) {
            case WAIT -> " FOR UPDATE WAIT " + waitSeconds(wait.toMillis());
            case NOWAIT -> " FOR UPDATE NOWAIT";
            case SKIP_LOCKED -> " FOR UPDATE SKIP LOCKED";
        };
    }

    static long waitSeconds(long millis) {
        return Math.max(1, (millis + 999) / 1000);
    }

    @Override
    final boolean errorAbortsTransaction() {
        return false; // a lock wait timeout rolls back the statement only (innodb_rollback_on_timeout=OFF)
    }

    @Override
    final boolean isLockNotAvailable(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && (sql.getErrorCode() == 1205 || sql.getErrorCode() == 3572)) {
                return true;
            }
        }
        return false;
    }

    @Override
    final boolean claimsInOneStatement() {
        return false;
    }

    @Override
    final String insertIfAbsent(String table, String columns, String values, String keyColumn) {
        return "INSERT IGNORE INTO " + table + " (" + columns + ") VALUES (" + values + ")";
    }

    @Override
    final String deleteLimited(String table, String keyColumn, String where) {
        return "DELETE FROM " + table + " WHERE " + where + " LIMIT ?";
    }

    @Override
    String onceSchemaFile() {
        return "mariadb-holdfast_once.sql";
    }
}
