package dev.holdfast.lock.jdbc;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockInfo;
import dev.holdfast.lock.LockInspector;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.spi.AbstractLease;
import dev.holdfast.lock.spi.AbstractLockProvider;
import dev.holdfast.lock.spi.AbstractProviderBuilder;
import dev.holdfast.lock.spi.Backoff;
import dev.holdfast.lock.spi.LockRuntime;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Optional;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Locks as MySQL/MariaDB user-level locks ({@code GET_LOCK}/{@code RELEASE_LOCK}), all held on one
 * dedicated connection.
 *
 * <p>The algorithm:
 * <ol>
 *   <li>A name is used as the lock name if it is at most 64 characters of {@code [a-z0-9:_./-]}; any other
 *       name becomes {@code '#'} and 63 hex digits of its SHA-256, so the server's case-insensitive,
 *       64-character lock names never merge two distinct names. (GET_LOCK names are server-wide, across
 *       databases.)</li>
 *   <li>Acquire is one round trip that takes the lock and, only if it was granted, draws a fencing token.
 *       On MariaDB: {@code SELECT CASE WHEN GET_LOCK(key, 0) = 1 THEN NEXTVAL(holdfast_fence_seq) END} — a
 *       sequence shared by all names and connections (its values are reserved in chunks that the server
 *       records before handing them out, so a restart skips values but never repeats one), which costs no
 *       commit. On MySQL (no sequences): {@code INSERT ... SELECT ... WHERE GET_LOCK(key, 0) = 1 ON
 *       DUPLICATE KEY UPDATE token = LAST_INSERT_ID(token + 1)} into the {@code holdfast_fence} table, which
 *       returns the name's new token in the reply (and costs a commit).</li>
 *   <li>Release is one round trip ({@code RELEASE_LOCK}). MySQL cannot notify: waiters poll with jittered
 *       backoff. If an unlock fails (a cancel, {@code max_statement_time}) or an acquire's reply is lost, the
 *       provider ends its session, so the server frees what it held, and reports the other leases on it lost
 *       ({@code CONNECTION_LOST}).</li>
 *   <li>The lock lives as long as the session: renewal is a shared heartbeat on the connection, and when
 *       the session ends ({@code KILL}, network, restart) every lease on it is reported lost
 *       ({@code CONNECTION_LOST}) at the next heartbeat; the next request reconnects. The server frees
 *       the locks the instant the session ends, so until that heartbeat another process may already hold
 *       a lock this process still believes it holds: pass the fencing token with every write. minHold delays the release on the
 *       provider's scheduler.</li>
 * </ol>
 * The connection comes straight from the {@code DataSource}, never from the caller's transaction. The
 * fence sequence (MariaDB) or table (MySQL) is created by {@link Builder#build()} if it is missing
 * ({@link Builder#createIfMissing(boolean)}, default on); with that option off the build checks that it
 * exists (DDL: {@code dev/holdfast/lock/jdbc/schema/mariadb-fence.sql} / {@code mysql-fence.sql} in this jar)
 * and fails at once if it does not or the database cannot be reached. On MySQL with
 * statement-based binary logging the acquire statement is logged as unsafe; use row-based or mixed logging.
 */
public final class MysqlLockProvider extends AbstractLockProvider implements LockInspector {

    static final String BACKEND = "mysql";

    private final DataSource dataSource;
    private final String fenceTable;
    private final boolean mariaDb;
    private final DedicatedConnection session;

    private MysqlLockProvider(LockRuntime runtime, Builder b, boolean mariaDb) {
        super(runtime, new Backoff(Duration.ofMillis(5), Duration.ofMillis(200)));
        this.dataSource = Jdbc.ownConnections(b.dataSource);
        this.fenceTable = b.fenceTable;
        this.mariaDb = mariaDb;
        this.session = new DedicatedConnection(dataSource, runtime,
                new GetLockSql(b.fenceTable, b.fenceSequence, mariaDb), b.networkTimeout);
    }

    /** A builder on {@code dataSource}, which must reach MySQL 8 or MariaDB 10.6+. */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    @Override
    protected Optional<? extends AbstractLease> tryAcquireOnBackend(LockRequest request, long deadlineNanos) {
        return session.tryAcquire(request, LockKeys.getLockKey(request.name()));
    }

    /**
     * Who holds {@code name}: this provider's own leases in full; for another session, its connection id as
     * the owner, with no acquisition time, and on MySQL the name's latest fencing token (the holder's); on
     * MariaDB the token of another session's lease is not recorded and shows as 0. Tokens are shown as callers see
     * them (with the provider's {@code tokensAbove} offset added).
     */
    @Override
    public Optional<LockInfo> inspect(String name) {
        LockRequest.validateName(name);
        String key = LockKeys.getLockKey(name);
        SessionLease own = session.leaseOn(key);
        if (own != null && own.isHeld()) {
            return Optional.of(new LockInfo(name, own.ownerId(), own.token(), own.acquiredAt(), null, -1));
        }
        // MariaDB keeps no per-name token (a sequence serves all names); only MySQL has the fence table
        String sql = mariaDb ? "SELECT IS_USED_LOCK(?), 0"
                : "SELECT IS_USED_LOCK(?), (SELECT token FROM " + fenceTable + " WHERE lock_key = ?)";
        try (Connection c = Jdbc.autoCommitConnection(dataSource);
             PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, key);
            if (!mariaDb) {
                ps.setString(2, key);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                long connectionId = rs.getLong(1);
                if (rs.wasNull()) {
                    return Optional.empty();
                }
                long token = rs.getLong(2); // 0 on MariaDB (not recorded), and 0 is shown as is
                return Optional.of(new LockInfo(name, "connection " + connectionId,
                        mariaDb || token == 0 ? 0 : runtime.visibleToken(token), null, null, -1));
            }
        } catch (SQLException e) {
            throw new LockBackendException(name, BACKEND, "inspect failed", e);
        }
    }

    /** MariaDB: the fence sequence; MySQL: the fence table. */
    static Schema.Need fenceNeed(boolean mariaDb, String table, String sequence) {
        return mariaDb ? new Schema.Need("sequence", sequence, "mariadb-fence.sql", "holdfast_fence_seq")
                : new Schema.Need("table", table, "mysql-fence.sql", "holdfast_fence");
    }

    @Override
    protected void closeBackend() {
        session.close();
    }

    private static final class GetLockSql implements SessionSql {
        private final String table;
        private final String sequence;
        private final String tryLockMysql;
        private final String tryLockMariaDb;
        private final boolean mariaDb;

        GetLockSql(String table, String sequence, boolean mariaDb) {
            this.table = table;
            this.sequence = sequence;
            this.mariaDb = mariaDb;
            this.tryLockMysql = "INSERT INTO " + table + " (lock_key, token) SELECT ?, LAST_INSERT_ID(1) FROM DUAL"
                    + " WHERE GET_LOCK(?, 0) = 1 ON DUPLICATE KEY UPDATE token = LAST_INSERT_ID(token + 1)";
            this.tryLockMariaDb = "SELECT CASE WHEN GET_LOCK(?, 0) = 1 THEN NEXTVAL(" + sequence + ") END";
        }

        @Override
        public void onConnect(Connection c) {
            // nothing to prepare: the fence object was checked (or created) when the provider was built
        }

        @Override
        public @Nullable Long tryLock(Connection c, Object key) throws SQLException {
            if (mariaDb) {
                try (PreparedStatement ps = c.prepareStatement(tryLockMariaDb)) {
                    ps.setString(1, (String) key);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        long token = rs.getLong(1);
                        return rs.wasNull() ? null : token;
                    }
                } catch (SQLException e) {
                    if (e.getErrorCode() == 1146) {
                        throw new SQLException(Schema.missing(BACKEND, fenceNeed(true, table, sequence)), e.getSQLState(), e);
                    }
                    throw e;
                }
            }
            try (PreparedStatement ps = c.prepareStatement(tryLockMysql, Statement.RETURN_GENERATED_KEYS)) {
                ps.setString(1, (String) key);
                ps.setString(2, (String) key);
                if (ps.executeUpdate() == 0) {
                    return null;
                }
                try (ResultSet keys = ps.getGeneratedKeys()) {
                    if (!keys.next()) {
                        throw new SQLException("GET_LOCK granted but no fencing token came back");
                    }
                    return keys.getLong(1);
                }
            } catch (SQLException e) {
                if (e.getErrorCode() == 1146) {
                    throw new SQLException(Schema.missing(BACKEND, fenceNeed(false, table, sequence)), e.getSQLState(), e);
                }
                throw e;
            }
        }

        @Override
        public void unlock(Connection c, Object key, String name) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("SELECT RELEASE_LOCK(?)")) {
                ps.setString(1, (String) key);
                ps.execute();
            }
        }

        @Override
        public void unlockAll(Connection c) throws SQLException {
            try (Statement s = c.createStatement()) {
                s.execute("SELECT RELEASE_ALL_LOCKS()");
            }
        }
    }

    /** Builds a {@link MysqlLockProvider}. */
    public static final class Builder extends AbstractProviderBuilder<Builder> {
        private final DataSource dataSource;
        private String fenceTable = "holdfast_fence";
        private String fenceSequence = "holdfast_fence_seq";
        private boolean createIfMissing = true;
        private Duration networkTimeout = Duration.ofSeconds(10);

        private Builder(DataSource dataSource) {
            this.dataSource = requireNonNull(dataSource, "dataSource");
        }

        /** MariaDB: the sequence fencing tokens come from (default {@code holdfast_fence_seq}); a plain identifier. */
        public Builder fenceSequence(String fenceSequence) {
            this.fenceSequence = Jdbc.identifier("fenceSequence", fenceSequence);
            return this;
        }

        /** MySQL: the table of fencing counters (default {@code holdfast_fence}); a plain identifier. */
        public Builder fenceTable(String fenceTable) {
            this.fenceTable = Jdbc.identifier("fenceTable", fenceTable);
            return this;
        }

        /**
         * Whether {@link #build()} creates the fence sequence (MariaDB) or table (MySQL) if it is missing (default
         * {@code true}). Off, the build checks that it exists and fails with a message naming it and its DDL file
         * ({@code dev/holdfast/lock/jdbc/schema/mariadb-fence.sql} or {@code mysql-fence.sql}) if not.
         */
        public Builder createIfMissing(boolean createIfMissing) {
            this.createIfMissing = createIfMissing;
            return this;
        }

        /**
         * How long one statement on the lock connection may take before the connection counts as broken
         * (and its leases as lost); default 10 s.
         */
        public Builder networkTimeout(Duration networkTimeout) {
            this.networkTimeout = Jdbc.atLeastOneMilli("networkTimeout", networkTimeout);
            return this;
        }

        /**
         * Finds out whether the server is MariaDB or MySQL and checks (or creates) the fence object, on a
         * short-lived connection; then builds the provider, which opens its lock connection on first use.
         *
         * @throws dev.holdfast.lock.LockBackendException if the database cannot be reached or creating failed
         * @throws IllegalStateException                 if the fence object is missing and {@code createIfMissing} is off
         */
        public MysqlLockProvider build() {
            boolean mariaDb;
            try (Connection c = Schema.connect(Jdbc.ownConnections(dataSource), BACKEND,
                    "the fence sequence '" + fenceSequence + "' (MariaDB) or table '" + fenceTable + "' (MySQL)")) {
                var meta = c.getMetaData();
                mariaDb = (meta.getDatabaseProductName() + " " + meta.getDatabaseProductVersion())
                        .toLowerCase(java.util.Locale.ROOT).contains("mariadb");
                Schema.ensure(c, BACKEND, createIfMissing, fenceNeed(mariaDb, fenceTable, fenceSequence));
            } catch (SQLException e) {
                throw new LockBackendException(null, BACKEND, "schema check of the fence object failed", e);
            }
            return new MysqlLockProvider(runtime(BACKEND), this, mariaDb);
        }
    }
}
