package dev.holdfast.lock.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import org.jspecify.annotations.Nullable;

/**
 * Table leases on MySQL 8 (and, through {@link MariaDbTableSql}, MariaDB). Acquire is one
 * {@code INSERT ... ON DUPLICATE KEY UPDATE} (no duplicate-key error): each column is replaced only if the
 * lock is free (expiry, assigned last, is compared before it changes) and the new token comes back as the
 * statement's {@code LAST_INSERT_ID}: {@code LAST_INSERT_ID(1)} for a new row, {@code LAST_INSERT_ID(token + 1)}
 * when taken, {@code LAST_INSERT_ID(0)} when busy. Times are {@code UTC_TIMESTAMP(6)}.
 */
class MysqlTableSql extends TableSql {

    private static final String FREE = "(locked_until <= UTC_TIMESTAMP(6) OR owner = ?)";

    private final String acquire;
    private final String renew;
    private final String release;
    private final String inspect;

    MysqlTableSql(String table) {
        super(table);
        acquire = "INSERT INTO " + table + " (name, owner, token, locked_at, locked_until)"
                + " VALUES (?, ?, LAST_INSERT_ID(1), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND)"
                + " ON DUPLICATE KEY UPDATE"
                + " token = IF(" + FREE + ", LAST_INSERT_ID(token + 1), token + LAST_INSERT_ID(0)),"
                + " locked_at = IF(" + FREE + ", UTC_TIMESTAMP(6), locked_at),"
                + " owner = IF(" + FREE + ", ?, owner),"
                + " locked_until = IF(" + FREE + ", UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND, locked_until)";
        renew = "UPDATE " + table + " SET locked_until = UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND"
                + " WHERE name = ? AND owner = ? AND token = ? AND locked_until > UTC_TIMESTAMP(6)";
        release = "UPDATE " + table
                + " SET locked_until = LEAST(locked_until, UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND)"
                + " WHERE name = ? AND owner = ? AND token = ?";
        inspect = "SELECT owner, token, locked_at, TIMESTAMPDIFF(MICROSECOND, UTC_TIMESTAMP(6), locked_until)"
                + " FROM " + table + " WHERE name = ? AND locked_until > UTC_TIMESTAMP(6)";
    }

    @Override
    String schemaFile() {
        return "mysql-holdfast_lock.sql";
    }

    @Override
    @Nullable Long acquire(Connection c, String key, String owner, long leaseMicros) throws SQLException {
        try (PreparedStatement ps = prepareReturningKeys(c, acquire)) {
            // owner appears once in VALUES and once per FREE test (the second owner binding is the new value)
            bind(ps, key, owner, leaseMicros, owner, owner, owner, owner, owner, leaseMicros);
            ps.executeUpdate();
            try (ResultSet keys = ps.getGeneratedKeys()) {
                long token = keys.next() ? keys.getLong(1) : 0;
                return token > 0 ? token : null;
            }
        }
    }

    @Override
    boolean renew(Connection c, String key, String owner, long token, long leaseMicros) throws SQLException {
        return update(c, renew, leaseMicros, key, owner, token) == 1;
    }

    @Override
    void release(Connection c, String key, String owner, long token, long keepMicros, String notifyName) throws SQLException {
        update(c, release, keepMicros, key, owner, token);
    }

    @Override
    @Nullable Row inspect(Connection c, String key) throws SQLException {
        try (PreparedStatement ps = prepare(c, inspect)) {
            bind(ps, key);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                LocalDateTime lockedAt = rs.getObject(3, LocalDateTime.class);
                return new Row(rs.getString(1), rs.getLong(2), lockedAt.toInstant(ZoneOffset.UTC), rs.getLong(4));
            }
        }
    }
}
