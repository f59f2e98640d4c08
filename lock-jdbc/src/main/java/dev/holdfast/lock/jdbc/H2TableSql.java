package dev.holdfast.lock.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/**
 * Table leases on H2 2.x: acquire is one {@code MERGE ... USING} read through {@code FINAL TABLE}, so the
 * new token comes back with the grant. Two first-ever acquires of one name can race to insert; the loser
 * sees a duplicate key, which counts as busy.
 */
final class H2TableSql extends TableSql {

    private final String acquire;
    private final String renew;
    private final String release;
    private final String inspect;

    H2TableSql(String table) {
        super(table);
        acquire = "SELECT token FROM FINAL TABLE (MERGE INTO " + table + " l"
                + " USING (VALUES (CAST(? AS VARCHAR(255)), CAST(? AS VARCHAR(255)), CAST(? AS BIGINT))) s(name, owner, micros)"
                + " ON l.name = s.name"
                + " WHEN MATCHED AND (l.locked_until <= CURRENT_TIMESTAMP OR l.owner = s.owner) THEN UPDATE SET"
                + " owner = s.owner, token = l.token + 1, locked_at = CURRENT_TIMESTAMP,"
                + " locked_until = DATEADD(MICROSECOND, s.micros, CURRENT_TIMESTAMP)"
                + " WHEN NOT MATCHED THEN INSERT (name, owner, token, locked_at, locked_until)"
                + " VALUES (s.name, s.owner, 1, CURRENT_TIMESTAMP, DATEADD(MICROSECOND, s.micros, CURRENT_TIMESTAMP)))";
        renew = "UPDATE " + table + " SET locked_until = DATEADD(MICROSECOND, CAST(? AS BIGINT), CURRENT_TIMESTAMP)"
                + " WHERE name = ? AND owner = ? AND token = ? AND locked_until > CURRENT_TIMESTAMP";
        release = "UPDATE " + table + " SET locked_until = LEAST(locked_until,"
                + " DATEADD(MICROSECOND, CAST(? AS BIGINT), CURRENT_TIMESTAMP))"
                + " WHERE name = ? AND owner = ? AND token = ?";
        inspect = "SELECT owner, token, locked_at, DATEDIFF(MICROSECOND, CURRENT_TIMESTAMP, locked_until)"
                + " FROM " + table + " WHERE name = ? AND locked_until > CURRENT_TIMESTAMP";
    }

    @Override
    String schemaFile() {
        return "h2-holdfast_lock.sql";
    }

    @Override
    @Nullable Long acquire(Connection c, String key, String owner, long leaseMicros) throws SQLException {
        try (PreparedStatement ps = prepare(c, acquire)) {
            bind(ps, key, owner, leaseMicros);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState())) {
                return null; // another client inserted the row first: it holds the lock
            }
            throw e;
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
                return row(rs);
            }
        }
    }
}
