package dev.holdfast.lock.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import org.jspecify.annotations.Nullable;

/**
 * The statements of the table-lease provider in one database's dialect. Every statement is one round trip
 * in auto-commit mode; times come from the database clock; release and renewal check owner and token.
 * Subclasses hold the SQL text (built once per provider with the configured, validated table name).
 */
abstract class TableSql {

    /** Longest name stored as it is; longer names are hashed into the column. */
    static final int NAME_COLUMN_LENGTH = 255;

    /** The holder's row, for inspection. */
    record Row(String owner, long token, Instant lockedAt, long expiresInMicros) {
    }

    protected final String table;
    /** {@link Statement#setQueryTimeout} of every statement, in seconds (0: none); set once by the provider. */
    private volatile int queryTimeoutSeconds;

    TableSql(String table) {
        this.table = table;
    }

    /** Bounds every statement of this provider to {@code seconds} on the server (0: no bound). */
    final void queryTimeoutSeconds(int seconds) {
        this.queryTimeoutSeconds = seconds;
    }

    /** Prepares {@code sql} with the provider's query timeout. */
    final PreparedStatement prepare(Connection c, String sql) throws SQLException {
        return timed(c.prepareStatement(sql));
    }

    /** Prepares {@code sql} returning generated keys, with the provider's query timeout. */
    final PreparedStatement prepareReturningKeys(Connection c, String sql) throws SQLException {
        return timed(c.prepareStatement(sql, Statement.RETURN_GENERATED_KEYS));
    }

    private PreparedStatement timed(PreparedStatement ps) throws SQLException {
        int seconds = queryTimeoutSeconds;
        if (seconds > 0) {
            try {
                ps.setQueryTimeout(seconds);
            } catch (java.sql.SQLFeatureNotSupportedException e) {
                // a driver without query timeouts: the provider's network timeout still bounds the wait
            } catch (SQLException | RuntimeException e) {
                Jdbc.closeQuietly(ps);
                throw e;
            }
        }
        return ps;
    }

    /** The schema file under {@code schema/}. */
    abstract String schemaFile();

    /**
     * Takes the lock if it is free, expired, or already this owner's (a retry of the same attempt), in one
     * statement: inserts the row or bumps its token.
     *
     * @return the new fencing token, or null if another owner holds the lock
     */
    abstract @Nullable Long acquire(Connection c, String key, String owner, long leaseMicros) throws SQLException;

    /** Moves the expiry to now + lease if this owner and token still hold the lock. */
    abstract boolean renew(Connection c, String key, String owner, long token, long leaseMicros) throws SQLException;

    /**
     * Frees the lock if this owner and token hold it: expiry becomes now + {@code keepMicros} (what is left of
     * the lease's minHold; 0 frees it at once), never later than it was.
     *
     * @param notifyName the lock name to announce where the database can notify
     */
    abstract void release(Connection c, String key, String owner, long token, long keepMicros, String notifyName)
            throws SQLException;

    /**
     * Frees the lock if {@code owner} holds it, whatever the token: the clean-up of an acquire whose outcome is
     * unknown (owner ids are unique per attempt). Expiry becomes {@code locked_at}, which is in the past.
     */
    void releaseOwner(Connection c, String key, String owner) throws SQLException {
        update(c, "UPDATE " + table + " SET locked_until = locked_at WHERE name = ? AND owner = ? AND locked_until > locked_at",
                key, owner);
    }

    /** The current holder's row, if the lock is held. */
    abstract @Nullable Row inspect(Connection c, String key) throws SQLException;

    /** Whether releases are announced with NOTIFY (PostgreSQL). */
    boolean notifies() {
        return false;
    }

    /**
     * The notification channel (PostgreSQL): the table name in lower case, as an unquoted {@code LISTEN} would
     * fold it (so {@code pg_notify}, which takes the text as it is, and {@code LISTEN} agree on one channel).
     * PostgreSQL caps a channel name at {@value #MAX_CHANNEL_BYTES} bytes, and a schema-qualified table name can
     * be longer: such a name keeps its first characters and ends in {@code _} and 8 hex digits of a SHA-256 of
     * the whole folded name, the same in every process, so different tables keep different channels. A name
     * that fits is used as it is (as by earlier versions).
     */
    String channel() {
        String folded = table.replace('.', '_').toLowerCase(java.util.Locale.ROOT);
        if (folded.length() <= MAX_CHANNEL_BYTES) { // identifiers are ASCII: one byte a character
            return folded;
        }
        byte[] digest;
        try {
            digest = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(folded.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
        String suffix = "_" + java.util.HexFormat.of().formatHex(digest, 0, 4);
        return folded.substring(0, MAX_CHANNEL_BYTES - suffix.length()) + suffix;
    }

    /** PostgreSQL's limit on an identifier, which a notification channel is (NAMEDATALEN - 1). */
    static final int MAX_CHANNEL_BYTES = 63;

    final int update(Connection c, String sql, Object... args) throws SQLException {
        try (PreparedStatement ps = prepare(c, sql)) {
            bind(ps, args);
            return ps.executeUpdate();
        }
    }

    static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            if (args[i] instanceof Long l) {
                ps.setLong(i + 1, l);
            } else {
                ps.setString(i + 1, (String) args[i]);
            }
        }
    }

    static @Nullable Row row(ResultSet rs) throws SQLException {
        if (!rs.next()) {
            return null;
        }
        return new Row(rs.getString(1), rs.getLong(2), rs.getObject(3, java.time.OffsetDateTime.class).toInstant(), rs.getLong(4));
    }
}
