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
 * Locks as PostgreSQL session-level advisory locks, all held on one dedicated connection.
 *
 * <p>The algorithm:
 * <ol>
 *   <li>A name maps to a 64-bit key: the first 8 bytes of SHA-256 of namespace, a zero byte and the name.
 *       Two names that collide only contend for one lock; this provider never grants both (it tracks the
 *       keys its session holds, since session advisory locks are re-entrant).</li>
 *   <li>Acquire is one round trip on the dedicated connection:
 *       {@code SELECT CASE WHEN pg_try_advisory_lock(key) THEN nextval('holdfast_fence_seq') END} — the
 *       lock and, only if it was granted, a fencing token from a sequence (strictly increasing across all
 *       names and holders; durable: PostgreSQL flushes a sequence's WAL before a commit that used it
 *       needs it, so tokens never repeat after a crash).</li>
 *   <li>Release is one round trip: {@code pg_advisory_unlock(key)} and {@code pg_notify} of the name, which
 *       wakes waiters in every process that {@code LISTEN}s (a second connection, opened by the first
 *       request that has to wait). Waiters also poll with jittered backoff, for releases nobody announced
 *       (a holder's connection dying). If an unlock fails (a cancel, a timeout) or an acquire's reply is
 *       lost, the provider ends its session, so the server frees what it held, and reports the other leases
 *       on it lost ({@code CONNECTION_LOST}): a name is never left locked by a session that forgot it.</li>
 *   <li>A lock lives as long as the session: there is no lease time on the server. Renewal is a shared
 *       heartbeat ({@code SELECT 1} every quarter of the shortest open lease time), not a query per
 *       lease. When the session ends (network, {@code pg_terminate_backend}, restart) every lease on it is
 *       reported lost ({@code CONNECTION_LOST}) within a third of its lease time plus a round trip, and the
 *       next request opens a new session. <b>PostgreSQL frees the locks the instant the session ends</b>, so
 *       until that heartbeat another process may already hold a lock this process still believes it
 *       holds (the reliability harness measured overlaps up to about 0.2 s with 2 s leases): pass the
 *       fencing token with every write that must not happen twice.</li>
 *   <li>minHold: a release before it passed unlocks later, on the provider's scheduler. If the provider
 *       closes (or the connection ends) first, the lock is freed then.</li>
 * </ol>
 * The provider takes its two connections straight from the {@code DataSource}, never from the caller's
 * transaction. It needs the fencing sequence: {@link Builder#build()} creates it if it is missing
 * ({@link Builder#createIfMissing(boolean)}, default on), or with that option off checks that it exists
 * ({@code dev/holdfast/lock/jdbc/schema/postgresql-advisory.sql} in this jar creates it), and fails at once if
 * it does not or the database cannot be reached.
 *
 * <p>Thread-safe. Statements on the lock connection run one at a time, so throughput is bounded by one
 * connection's round trips; use the table-lease provider or several providers if that is too little. The
 * provider keeps up to two connections of a pool for its lifetime (size the pool for them). PostgreSQL
 * scans a session's held locks at every transaction end, so each statement on a connection holding N
 * locks costs O(N) on the server (about 30 us per 1,000 held locks here). Every held advisory lock also
 * takes a slot of the server's shared lock table, which all sessions of the server share and which holds
 * about {@code max_locks_per_transaction × (max_connections + max_prepared_transactions)} entries (6,400 with
 * the defaults, plus some slack): past it, an acquire fails with {@code LockBackendException} ("out of shared
 * memory") and held locks are unaffected. Raise {@code max_locks_per_transaction} for more locks held at once
 * across the server.
 */
public final class PostgresAdvisoryLockProvider extends AbstractLockProvider implements LockInspector {

    static final String BACKEND = "postgres-advisory";
    static final String CHANNEL = "holdfast_advisory";

    private final DataSource dataSource;
    private final String namespace;
    private final DedicatedConnection session;
    private final @Nullable PgNotificationListener listener;

    private PostgresAdvisoryLockProvider(LockRuntime runtime, Builder b) {
        super(runtime, new Backoff(Duration.ofMillis(10), Duration.ofMillis(b.notifications ? 500 : 200)));
        this.dataSource = Jdbc.ownConnections(b.dataSource);
        this.namespace = b.namespace;
        this.session = new DedicatedConnection(dataSource, runtime,
                new AdvisorySql(b.fenceSequence, "holdfast " + runtime.instanceId()), b.networkTimeout);
        this.listener = b.notifications ? new PgNotificationListener(dataSource, CHANNEL, runtime.signals(), BACKEND) : null;
    }

    /** A builder on {@code dataSource}, which must reach PostgreSQL. */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    @Override
    protected Optional<? extends AbstractLease> tryAcquireOnBackend(LockRequest request, long deadlineNanos) {
        Optional<SessionLease> lease = session.tryAcquire(request, key(request.name()));
        if (lease.isEmpty() && listener != null && deadlineNanos - runtime.ticker().nanoTime() > 0) {
            listener.ensureListening();
        }
        return lease;
    }

    /**
     * Who holds {@code name}: this provider's own leases in full; for another session, its process id and
     * application name as the owner, with token 0 and no acquisition time (PostgreSQL does not record them).
     */
    @Override
    public Optional<LockInfo> inspect(String name) {
        LockRequest.validateName(name);
        long key = key(name);
        SessionLease own = session.leaseOn(key);
        if (own != null && own.isHeld()) {
            return Optional.of(new LockInfo(name, own.ownerId(), own.token(), own.acquiredAt(), null, -1));
        }
        try (Connection c = Jdbc.autoCommitConnection(dataSource);
             PreparedStatement ps = c.prepareStatement("""
                     SELECT l.pid, a.application_name,
                            (SELECT count(*) FROM pg_locks w WHERE w.locktype = 'advisory' AND NOT w.granted
                              AND w.database = l.database AND w.classid = l.classid AND w.objid = l.objid AND w.objsubid = 1)
                     FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
                     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                       AND l.classid::bigint = ? AND l.objid::bigint = ?""")) {
            ps.setLong(1, key >>> 32);
            ps.setLong(2, key & 0xFFFF_FFFFL);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                String app = rs.getString(2);
                String owner = "pid " + rs.getInt(1) + (app == null || app.isEmpty() ? "" : " (" + app + ")");
                return Optional.of(new LockInfo(name, owner, 0, null, null, rs.getInt(3)));
            }
        } catch (SQLException e) {
            throw new LockBackendException(name, BACKEND, "inspect failed", e);
        }
    }

    /** The fencing sequence, as the schema check sees it (shared with {@link PostgresTransactionLocks}). */
    static Schema.Need sequenceNeed(String sequence) {
        return new Schema.Need("sequence", sequence, "postgresql-advisory.sql", "holdfast_fence_seq");
    }

    long key(String name) {
        return LockKeys.advisoryKey(namespace, name);
    }

    @Override
    protected void closeBackend() {
        try {
            session.close();
        } finally {
            if (listener != null) {
                listener.close();
            }
        }
    }

    /** The SQL of advisory locks; statement texts are constant, so the driver prepares them once. */
    private static final class AdvisorySql implements SessionSql {
        private final String sequence;
        private final String tryLock;
        private final String applicationName;

        AdvisorySql(String sequence, String applicationName) {
            this.sequence = sequence;
            this.applicationName = applicationName.length() > 63 ? applicationName.substring(0, 63) : applicationName;
            this.tryLock = "SELECT CASE WHEN pg_try_advisory_lock(?) THEN nextval('" + sequence + "') END";
        }

        @Override
        public void onConnect(Connection c) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("SELECT set_config('application_name', ?, false)")) {
                ps.setString(1, applicationName);
                ps.execute();
            }
        }

        @Override
        public @Nullable Long tryLock(Connection c, Object key) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement(tryLock)) {
                ps.setLong(1, (Long) key);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    long token = rs.getLong(1);
                    return rs.wasNull() ? null : token;
                }
            } catch (SQLException e) {
                if ("42P01".equals(e.getSQLState())) {
                    throw new SQLException(Schema.missing(BACKEND, sequenceNeed(sequence)), e.getSQLState(), e);
                }
                throw e;
            }
        }

        @Override
        public void unlock(Connection c, Object key, String name) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_unlock(?), pg_notify(?, ?)")) {
                ps.setLong(1, (Long) key);
                ps.setString(2, CHANNEL);
                ps.setString(3, name);
                ps.execute();
            }
        }

        @Override
        public void unlockAll(Connection c) throws SQLException {
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_advisory_unlock_all()");
                s.execute("RESET application_name");
            }
        }
    }

    /** Builds a {@link PostgresAdvisoryLockProvider}. */
    public static final class Builder extends AbstractProviderBuilder<Builder> {
        private final DataSource dataSource;
        private String namespace = "holdfast";
        private String fenceSequence = "holdfast_fence_seq";
        private boolean createIfMissing = true;
        private boolean notifications = true;
        private Duration networkTimeout = Duration.ofSeconds(10);

        private Builder(DataSource dataSource) {
            this.dataSource = requireNonNull(dataSource, "dataSource");
        }

        /**
         * Mixed into every key's hash, so applications sharing a database can keep apart (default
         * {@code "holdfast"}); at most 200 characters.
         */
        public Builder namespace(String namespace) {
            this.namespace = Jdbc.namespace(namespace);
            return this;
        }

        /** The sequence fencing tokens come from (default {@code holdfast_fence_seq}); a plain identifier. */
        public Builder fenceSequence(String fenceSequence) {
            this.fenceSequence = Jdbc.identifier("fenceSequence", fenceSequence);
            return this;
        }

        /**
         * Whether {@link #build()} creates the fencing sequence if it is missing (default {@code true}). Off, the
         * build checks that the sequence exists and fails with a message naming it and its DDL file
         * ({@code dev/holdfast/lock/jdbc/schema/postgresql-advisory.sql}) if not.
         */
        public Builder createIfMissing(boolean createIfMissing) {
            this.createIfMissing = createIfMissing;
            return this;
        }

        /**
         * Whether waiters {@code LISTEN} for releases on a second connection (default {@code true}); without
         * it they only poll.
         */
        public Builder notifications(boolean notifications) {
            this.notifications = notifications;
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
         * Checks (or creates) the fencing sequence on a short-lived connection, then builds the provider; it
         * opens its own connections on first use.
         *
         * @throws dev.holdfast.lock.LockBackendException if the database cannot be reached or creating failed
         * @throws IllegalStateException                 if the sequence is missing and {@code createIfMissing} is off
         */
        public PostgresAdvisoryLockProvider build() {
            Schema.ensure(Jdbc.ownConnections(dataSource), BACKEND, createIfMissing, sequenceNeed(fenceSequence));
            return new PostgresAdvisoryLockProvider(runtime(BACKEND), this);
        }
    }
}
