package dev.holdfast.lock.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/** Table leases on PostgreSQL: acquire is one {@code INSERT ... ON CONFLICT DO UPDATE ... RETURNING}. */
final class PostgresTableSql extends TableSql {

    private final String acquire;
    private final String renew;
    private final String release;
    private final String inspect;

    PostgresTableSql(String table) {
        super(table);
        acquire = "INSERT INTO " + table + " AS l (name, owner, token, locked_at, locked_until)"
                + " VALUES (?, ?, 1, now(), now() + ? * interval '1 microsecond')"
                + " ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, token = l.token + 1,"
                + " locked_at = EXCLUDED.locked_at, locked_until = EXCLUDED.locked_until"
                + " WHERE l.locked_until <= now() OR l.owner = EXCLUDED.owner"
                + " RETURNING token";
        renew = "UPDATE " + table + " SET locked_until = now() + ? * interval '1 microsecond'"
                + " WHERE name = ? AND owner = ? AND token = ? AND locked_until > now()";
        release = "WITH r AS (UPDATE " + table
                + " SET locked_until = LEAST(locked_until, now() + ? * interval '1 microsecond')"
                + " WHERE name = ? AND owner = ? AND token = ? RETURNING locked_until <= now() AS freed)"
                + " SELECT (SELECT count(*) FROM r), (SELECT pg_notify(?, ?) FROM r WHERE freed)";
        inspect = "SELECT owner, token, locked_at, (extract(epoch FROM locked_until - now()) * 1000000)::bigint"
                + " FROM " + table + " WHERE name = ? AND locked_until > now()";
    }

    @Override
    String schemaFile() {
        return "postgresql-holdfast_lock.sql";
    }

    @Override
    @Nullable Long acquire(Connection c, String key, String owner, long leaseMicros) throws SQLException {
        try (PreparedStatement ps = prepare(c, acquire)) {
            bind(ps, key, owner, leaseMicros);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : null;
            }
        }
    }

    @Override
    boolean renew(Connection c, String key, String owner, long token, long leaseMicros) throws SQLException {
        return update(c, renew, leaseMicros, key, owner, token) == 1;
    }

    @Override
    void release(Connection c, String key, String owner, long token, long keepMicros, String notifyName) throws SQLException {
        try (PreparedStatement ps = prepare(c, release)) {
            bind(ps, keepMicros, key, owner, token, channel(), notifyName);
            ps.executeQuery().close();
        }
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

    @Override
    boolean notifies() {
        return true;
    }
}
