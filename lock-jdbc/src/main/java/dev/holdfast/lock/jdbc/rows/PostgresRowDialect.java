package dev.holdfast.lock.jdbc.rows;

import java.sql.SQLException;
import java.time.Duration;

/**
 * PostgreSQL: claims in one {@code UPDATE ... WHERE key IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n)
 * RETURNING}; a bounded wait sets {@code lock_timeout} for the transaction and restores it; busy is SQLSTATE
 * {@code 55P03} (lock_not_available, also raised by {@code NOWAIT} and {@code lock_timeout}).
 */
final class PostgresRowDialect extends RowDialect {

    static final PostgresRowDialect INSTANCE = new PostgresRowDialect();

    @Override
    char quoteChar() {
        return '"';
    }

    @Override
    String unquotedName(String identifier) {
        return identifier.toLowerCase(java.util.Locale.ROOT);
    }

    @Override
    String name() {
        return "postgresql";
    }

    @Override
    String now() {
        return "clock_timestamp()";
    }

    @Override
    String nowMinusMicros() {
        return "clock_timestamp() - ? * interval '1 microsecond'";
    }

    @Override
    String nowPlusMicros() {
        return "clock_timestamp() + ? * interval '1 microsecond'";
    }

    @Override
    String lockClause(LockMode mode, Duration wait) {
        return switch (mode) {
            case WAIT -> " FOR UPDATE";
            case NOWAIT -> " FOR UPDATE NOWAIT";
            case SKIP_LOCKED -> " FOR UPDATE SKIP LOCKED";
        };
    }

    @Override
    String[] beforeWait(long timeoutMillis) {
        // is_local = true: ends with the transaction at the latest; afterWait restores the caller's value
        return new String[] {"SELECT set_config('holdfast.saved_lock_timeout', current_setting('lock_timeout'), true),"
                + " set_config('lock_timeout', '" + Math.max(1, timeoutMillis) + "ms', true)"};
    }

    @Override
    String[] afterWait() {
        return new String[] {"SELECT set_config('lock_timeout', current_setting('holdfast.saved_lock_timeout'), true)"};
    }

    @Override
    boolean errorAbortsTransaction() {
        return true;
    }

    @Override
    boolean isLockNotAvailable(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && "55P03".equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    @Override
    boolean claimsInOneStatement() {
        return true;
    }

    @Override
    String insertIfAbsent(String table, String columns, String values, String keyColumn) {
        return "INSERT INTO " + table + " (" + columns + ") VALUES (" + values + ") ON CONFLICT (" + keyColumn + ") DO NOTHING";
    }

    @Override
    String deleteLimited(String table, String keyColumn, String where) {
        return "DELETE FROM " + table + " WHERE " + keyColumn + " IN (SELECT " + keyColumn + " FROM " + table
                + " WHERE " + where + " LIMIT ? FOR UPDATE SKIP LOCKED)";
    }

    @Override
    String onceSchemaFile() {
        return "postgresql-holdfast_once.sql";
    }
}
