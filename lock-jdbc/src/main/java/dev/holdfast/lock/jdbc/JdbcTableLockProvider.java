package dev.holdfast.lock.jdbc;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockInfo;
import dev.holdfast.lock.LockInspector;
import dev.holdfast.lock.LockException;
import dev.holdfast.lock.LockInterruptedException;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.spi.AbstractLease;
import dev.holdfast.lock.spi.AbstractLockProvider;
import dev.holdfast.lock.spi.AbstractProviderBuilder;
import dev.holdfast.lock.spi.Backoff;
import dev.holdfast.lock.spi.LockRuntime;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Locks as rows of a {@code holdfast_lock} table (name, owner, token, locked_at, locked_until) on
 * PostgreSQL, MySQL 8, MariaDB 10.6+ or H2 2.x. A lease is a row whose {@code locked_until} is in the
 * future by the database's clock; nothing depends on the clients' clocks.
 *
 * <p>The algorithm:
 * <ol>
 *   <li>Acquire is one statement, one round trip, with no duplicate-key error on the normal path:
 *       PostgreSQL {@code INSERT ... ON CONFLICT (name) DO UPDATE ... WHERE locked_until <= now() RETURNING
 *       token}; MySQL/MariaDB {@code INSERT ... ON DUPLICATE KEY UPDATE} with conditional assignments and the
 *       token returned as {@code LAST_INSERT_ID}; H2 {@code MERGE ... USING} read through {@code FINAL TABLE}.
 *       A free, expired or never-used name is taken with the next fencing token ({@code token + 1}: rows are
 *       never deleted, so a name's tokens only grow).</li>
 *   <li>Renewal (automatic, at a third of the lease time) and {@code extend} move {@code locked_until} to
 *       now + lease time, only while this owner and token hold an unexpired row.</li>
 *   <li>Release sets {@code locked_until} to now — or, before the lease's minHold has passed, to now plus what
 *       is left of it (the request's minHold, or the one a later {@code extend(leaseTime, minHold)} set), never
 *       later than it was — again only for this owner and token, in one statement on the database's clock. On
 *       PostgreSQL the same statement {@code pg_notify}s the name, and waiters that {@code LISTEN} (a
 *       connection opened by the first request that has to wait) are woken; elsewhere waiters poll with
 *       jittered backoff.</li>
 * </ol>
 * Every statement runs on a connection taken straight from the {@code DataSource} in auto-commit mode and
 * given back at once — never the caller's transactional connection. A statement that fails because its
 * (pooled) connection died is retried once on a new connection; each is safe to repeat.
 *
 * <p>Whatever isolation level the pool's connections default to, a deadlock or serialization failure of the
 * acquire statement (SQLSTATE 40001/40P01, MySQL/MariaDB 1213, seen at REPEATABLE READ under contention)
 * means another process changed the row at that moment: the statement had no effect and is run again (up to
 * three times in all); if it keeps failing, the lock counts as busy. An acquire whose outcome is unknown (its
 * reply lost, or every retry failed) is undone with a release checked against this attempt's owner id before
 * the failure is reported, so no row stays held without a {@code Lease}; if even that cannot reach the
 * database, the row expires after its lease time. An interrupt while the provider waits for a pooled
 * connection surfaces as {@link dev.holdfast.lock.LockInterruptedException}.
 *
 * <p>No statement waits on the database for ever: each has a query timeout and a bounded wait for its reply
 * ({@link Builder#statementTimeout(Duration)}, default 5 s); one that runs out fails with a
 * {@link LockBackendException} and is not retried.
 *
 * <p>Names longer than 255 characters are stored as their first characters, {@code '#'} and a SHA-256
 * (deterministic; a collision only makes two names share a lock). Tokens are as durable as the table.
 * {@link Builder#build()} detects the dialect and creates the table if it is missing
 * ({@link Builder#createIfMissing(boolean)}, default on); with that option off it checks that the table exists
 * (DDL: {@code dev/holdfast/lock/jdbc/schema/<dialect>-holdfast_lock.sql} in this jar) and fails at once if it
 * does not or the database cannot be reached.
 */
public final class JdbcTableLockProvider extends AbstractLockProvider implements LockInspector {

    static final String BACKEND = "jdbc-table";

    /** The SQL dialects this provider speaks. */
    public enum Dialect {
        /** PostgreSQL 12+. */
        POSTGRESQL,
        /** MySQL 8. */
        MYSQL,
        /** MariaDB 10.6+. */
        MARIADB,
        /** H2 2.x. */
        H2
    }

    /** How many times one acquire statement runs when it ends in a deadlock or serialization failure. */
    private static final int SERIALIZATION_ATTEMPTS = 3;

    /** The default of {@link Builder#statementTimeout(Duration)}. */
    public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(5);
    /** The longest {@link Builder#statementTimeout(Duration)}. */
    public static final Duration MAX_STATEMENT_TIMEOUT = Duration.ofDays(1);
    /** How much longer than the query timeout the client waits for a reply before it drops the connection. */
    private static final int NETWORK_GRACE_MILLIS = 2_000;

    private final DataSource dataSource;
    private final TableSql sql;
    private final @Nullable PgNotificationListener listener;
    private final Duration statementTimeout;
    private final int networkTimeoutMillis;
    /** Cleared when the driver cannot set a network timeout (H2 in-process). */
    private volatile boolean networkTimeouts = true;

    private JdbcTableLockProvider(LockRuntime runtime, Builder b, TableSql sql) {
        super(runtime, new Backoff(Duration.ofMillis(10), Duration.ofMillis(b.notifications ? 500 : 200)));
        this.dataSource = Jdbc.ownConnections(b.dataSource);
        this.sql = sql;
        this.statementTimeout = b.statementTimeout;
        // setQueryTimeout counts whole seconds: round up, so the bound is never shorter than configured
        int seconds = (int) Math.max(1, (b.statementTimeout.toMillis() + 999) / 1000);
        sql.queryTimeoutSeconds(seconds);
        this.networkTimeoutMillis = seconds * 1000 + NETWORK_GRACE_MILLIS;
        this.listener = b.notifications && sql.notifies()
                ? new PgNotificationListener(dataSource, sql.channel(), runtime.signals(), BACKEND) : null;
    }

    /** A builder on {@code dataSource}. */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    @Override
    protected Optional<? extends AbstractLease> tryAcquireOnBackend(LockRequest request, long deadlineNanos)
            throws InterruptedException {
        TableSql s = sql;
        String key = LockKeys.columnKey(request.name(), TableSql.NAME_COLUMN_LENGTH);
        String owner = runtime.newOwnerId();
        long micros = micros(request.leaseTime());
        long start = runtime.ticker().nanoTime();
        Long token;
        boolean[] sent = {false};
        try {
            token = run(request.name(), "acquire", c -> {
                sent[0] = true;
                for (int attempt = 1; ; attempt++) {
                    try {
                        return s.acquire(c, key, owner, micros);
                    } catch (SQLException e) {
                        if (!isSerializationFailure(e) || Jdbc.isConnectionError(c, e)) {
                            throw e;
                        }
                        if (attempt >= SERIALIZATION_ATTEMPTS) {
                            return null; // another process keeps changing the row right now: busy, ask again later
                        }
                    }
                }
            });
        } catch (RuntimeException e) {
            // the statement may have taken the row before its reply was lost: undo it, checked against this
            // attempt's owner id (unique to it), so no row stays held without a Lease. A statement the server
            // cancelled (query timeout) was rolled back there: nothing to undo (and the undo would wait on the
            // same stalled row)
            if (sent[0] && !(e.getCause() instanceof SQLException x && isCancelledOnServer(x))) {
                undoAcquire(s, key, owner, e);
            }
            throw e;
        }
        if (token == null) {
            PgNotificationListener l = listener;
            if (l != null && deadlineNanos - runtime.ticker().nanoTime() > 0) {
                l.ensureListening();
            }
            return Optional.empty();
        }
        return Optional.of(new TableLease(runtime, request, token, owner, start, key));
    }

    private void undoAcquire(TableSql s, String key, String owner, RuntimeException failure) {
        boolean interrupted = Thread.interrupted(); // a pooled connection can still be had for the clean-up
        try {
            run(failure instanceof LockException l && l.lockName() != null ? l.lockName() : key, "undo acquire", c -> {
                s.releaseOwner(c, key, owner);
                return null;
            });
        } catch (RuntimeException e) {
            failure.addSuppressed(e); // unreachable: the row expires after its lease time
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Whether the server cancelled the statement (query timeout) and so rolled it back: SQLSTATE 57014
     * (PostgreSQL, H2), MariaDB 1969 ({@code max_statement_time}), MySQL 3024 ({@code max_execution_time}).
     */
    static boolean isCancelledOnServer(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException x) {
                int code = x.getErrorCode();
                if ("57014".equals(x.getSQLState()) || code == 1969 || code == 3024) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether {@code e} is a timeout: a cancelled statement, or no reply within the network timeout. */
    private static boolean isTimeout(SQLException e) {
        if (isCancelledOnServer(e)) {
            return true;
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLTimeoutException || t instanceof java.net.SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** SQLSTATE 40001 (serialization failure), 40P01 (PostgreSQL deadlock), MySQL/MariaDB 1213 (deadlock). */
    static boolean isSerializationFailure(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException x) {
                String state = x.getSQLState();
                if ("40001".equals(state) || "40P01".equals(state) || x.getErrorCode() == 1213) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The holder of {@code name} as the table records it (owner id, token, since when, until when). */
    @Override
    public Optional<LockInfo> inspect(String name) {
        LockRequest.validateName(name);
        TableSql s = sql;
        String key = LockKeys.columnKey(name, TableSql.NAME_COLUMN_LENGTH);
        TableSql.Row row = run(name, "inspect", c -> s.inspect(c, key));
        if (row == null) {
            return Optional.empty();
        }
        return Optional.of(new LockInfo(name, row.owner(), runtime.visibleToken(row.token()), row.lockedAt(),
                Duration.ofNanos(Math.multiplyExact(Math.max(0, row.expiresInMicros()), 1000L)), -1));
    }

    /** Release notifications received so far (tests); 0 without a listener. */
    long notificationsReceived() {
        PgNotificationListener l = listener;
        return l == null ? 0 : l.received();
    }

    /** Whether the LISTEN connection is open (tests). */
    boolean listening() {
        PgNotificationListener l = listener;
        return l != null && l.listening();
    }

    @Override
    protected void closeBackend() {
        PgNotificationListener l = listener;
        if (l != null) {
            l.close();
        }
    }

    private static long micros(Duration d) {
        return Math.max(1, d.toNanos() / 1000);
    }

    private interface Work<T> {
        @Nullable T run(Connection c) throws SQLException;
    }

    /**
     * Runs one statement on a connection of its own; again on another connection if that one was dead (a
     * pool may hold several dead ones after a database restart), at most three times.
     */
    private <T> @Nullable T run(String lockName, String operation, Work<T> work) {
        for (int attempt = 0; ; attempt++) {
            Connection c = null;
            int previous = -1;
            try {
                try {
                    c = Jdbc.autoCommitConnection(dataSource);
                } catch (SQLException e) {
                    if (Jdbc.isInterruption(e)) {
                        Thread.currentThread().interrupt();
                        throw Jdbc.interrupted(lockName, e);
                    }
                    throw e;
                }
                previous = boundReplyWait(c);
                return work.run(c);
            } catch (SQLException e) {
                boolean timeout = isTimeout(e);
                if (attempt < 2 && c != null && !timeout && Jdbc.isConnectionError(c, e)) {
                    Jdbc.abortQuietly(c);
                    c = null;
                    continue;
                }
                if (timeout) {
                    // a stalled server: not retried (a dropped connection is aborted, not given back to the pool)
                    if (c != null && Jdbc.isConnectionError(c, e)) {
                        Jdbc.abortQuietly(c);
                        c = null;
                    }
                    throw new LockBackendException(lockName, BACKEND, operation + " failed: the database did not"
                            + " answer within statementTimeout " + statementTimeout, e);
                }
                throw new LockBackendException(lockName, BACKEND, operation + " failed", e);
            } finally {
                if (c != null && previous >= 0) {
                    try {
                        c.setNetworkTimeout(Jdbc.DIRECT, previous); // the pool's connection as it was
                    } catch (SQLException | RuntimeException ignored) {
                        // broken: the pool finds out
                    }
                }
                Jdbc.closeQuietly(c);
            }
        }
    }

    /**
     * Bounds how long the client waits for any reply on {@code c} (statement timeout plus a grace, so that the
     * server's cancel normally comes first): a server that stops answering altogether cannot hold a caller.
     *
     * @return the connection's previous network timeout, to restore; -1 if the driver has none
     */
    private int boundReplyWait(Connection c) throws SQLException {
        if (!networkTimeouts) {
            return -1;
        }
        try {
            int previous = c.getNetworkTimeout();
            c.setNetworkTimeout(Jdbc.DIRECT, networkTimeoutMillis);
            return previous;
        } catch (java.sql.SQLFeatureNotSupportedException | UnsupportedOperationException e) {
            networkTimeouts = false; // e.g. H2 in-process: only the query timeout applies
            return -1;
        }
    }

    private static TableSql tableSql(Dialect d, String table) {
        return switch (d) {
            case POSTGRESQL -> new PostgresTableSql(table);
            case MYSQL -> new MysqlTableSql(table);
            case MARIADB -> new MariaDbTableSql(table);
            case H2 -> new H2TableSql(table);
        };
    }

    static Dialect detect(Connection c) throws SQLException {
        var meta = c.getMetaData();
        String product = meta.getDatabaseProductName().toLowerCase(Locale.ROOT);
        String version = meta.getDatabaseProductVersion().toLowerCase(Locale.ROOT);
        if (product.contains("postgresql")) {
            return Dialect.POSTGRESQL;
        }
        if (product.contains("mariadb") || (product.contains("mysql") && version.contains("mariadb"))) {
            return Dialect.MARIADB;
        }
        if (product.contains("mysql")) {
            return Dialect.MYSQL;
        }
        if (product.equals("h2")) {
            return Dialect.H2;
        }
        throw new SQLException("unsupported database '" + meta.getDatabaseProductName()
                + "': JdbcTableLockProvider speaks PostgreSQL, MySQL 8, MariaDB 10.6+ and H2");
    }

    /** A row lease; every statement checks its owner and token. */
    private final class TableLease extends AbstractLease {
        private final String key;

        TableLease(LockRuntime runtime, LockRequest request, long token, String owner, long start, String key) {
            super(runtime, request, token, owner, start);
            this.key = key;
        }

        @Override
        protected boolean renewOnBackend(Duration leaseTime) {
            TableSql s = sql;
            Boolean renewed = run(name(), "renew", c -> s.renew(c, key, ownerId(), backendToken(), micros(leaseTime)));
            return Boolean.TRUE.equals(renewed);
        }

        @Override
        protected void releaseOnBackend(Duration keepFor) {
            // keepFor is what is left of the minHold in force (the request's, or the one set by
            // extend(leaseTime, minHold)); the database adds it to its own now(), when the statement runs, which is
            // never earlier than the client's estimate of when the minHold ends
            TableSql s = sql;
            long keepMicros = keepFor.isZero() ? 0 : micros(keepFor);
            run(name(), "release", c -> {
                s.release(c, key, ownerId(), backendToken(), keepMicros, name());
                return null;
            });
        }
    }

    /** Builds a {@link JdbcTableLockProvider}. */
    public static final class Builder extends AbstractProviderBuilder<Builder> {
        private final DataSource dataSource;
        private String table = "holdfast_lock";
        private boolean createIfMissing = true;
        private @Nullable Dialect dialect;
        private boolean notifications = true;
        private Duration statementTimeout = DEFAULT_STATEMENT_TIMEOUT;

        private Builder(DataSource dataSource) {
            this.dataSource = requireNonNull(dataSource, "dataSource");
        }

        /** The lock table (default {@code holdfast_lock}); a plain, optionally schema-qualified identifier. */
        public Builder tableName(String table) {
            this.table = Jdbc.identifier("tableName", table);
            return this;
        }

        /**
         * Whether {@link #build()} creates the lock table if it is missing (default {@code true}). Off, the build
         * checks that the table exists and fails with a message naming it and its DDL file
         * ({@code dev/holdfast/lock/jdbc/schema/<dialect>-holdfast_lock.sql}) if not.
         */
        public Builder createIfMissing(boolean createIfMissing) {
            this.createIfMissing = createIfMissing;
            return this;
        }

        /**
         * The former name of {@link #createIfMissing(boolean)}.
         *
         * @deprecated use {@link #createIfMissing(boolean)}, the option every JDBC builder shares
         */
        @Deprecated
        public Builder createTableIfMissing(boolean createTableIfMissing) {
            return createIfMissing(createTableIfMissing);
        }

        /** The dialect; by default detected from the database when the provider is built. */
        public Builder dialect(Dialect dialect) {
            this.dialect = requireNonNull(dialect, "dialect");
            return this;
        }

        /**
         * On PostgreSQL, whether waiters {@code LISTEN} for releases (default {@code true}). The channel is the
         * table name in lower case with {@code .} as {@code _}; a name longer than PostgreSQL's 63-byte limit
         * keeps its first 54 characters followed by {@code _} and 8 hex digits of its SHA-256. Releases are
         * announced on it either way.
         */
        public Builder notifications(boolean notifications) {
            this.notifications = notifications;
            return this;
        }

        /**
         * How long one statement of the provider (an acquire attempt, renew, extend, release, the clean-up of an
         * acquire, inspect) may run on the database; default
         * {@link JdbcTableLockProvider#DEFAULT_STATEMENT_TIMEOUT 5 s}, at most
         * {@link JdbcTableLockProvider#MAX_STATEMENT_TIMEOUT 1 day}. It is set with
         * {@link java.sql.Statement#setQueryTimeout} in whole seconds (rounded up), so the server cancels a
         * statement that waits longer (for example on a row that a stalled session keeps locked) and rolls it
         * back; and the client waits at most 2 s more for any reply ({@link Connection#setNetworkTimeout},
         * restored before the connection goes back to the pool; drivers without it, such as H2 in-process, rely
         * on the query timeout alone), then drops the connection.
         *
         * <p>Such a statement fails with a {@link LockBackendException} saying the database did not answer within
         * the statement timeout. It is not retried. This holds for a try-once acquire too: a stalled database
         * is reported as an error, never as busy (busy means another holder was seen). An acquire whose reply
         * never came is then undone, owner-checked, like any acquire whose outcome is unknown. Taking a
         * connection from the pool is bounded by the pool's own timeout, not by this one.
         *
         * @throws IllegalArgumentException if shorter than 1 ms or longer than
         *                                  {@link JdbcTableLockProvider#MAX_STATEMENT_TIMEOUT}
         */
        public Builder statementTimeout(Duration statementTimeout) {
            Jdbc.atLeastOneMilli("statementTimeout", statementTimeout);
            if (statementTimeout.compareTo(MAX_STATEMENT_TIMEOUT) > 0) {
                throw new IllegalArgumentException("statementTimeout must be at most " + MAX_STATEMENT_TIMEOUT
                        + ", was " + statementTimeout);
            }
            this.statementTimeout = statementTimeout;
            return this;
        }

        /**
         * Detects the dialect (unless set) and checks (or creates) the lock table, on a short-lived connection;
         * then builds the provider.
         *
         * @throws LockBackendException  if the database cannot be reached or creating the table failed
         * @throws IllegalStateException if the table is missing and {@code createIfMissing} is off
         */
        public JdbcTableLockProvider build() {
            String what = "the lock table '" + table + "'";
            TableSql sql;
            try (Connection c = Schema.connect(Jdbc.ownConnections(dataSource), BACKEND, what)) {
                sql = tableSql(dialect != null ? dialect : detect(c), table);
                Schema.ensure(c, BACKEND, createIfMissing, new Schema.Need("table", table, sql.schemaFile(), "holdfast_lock"));
            } catch (SQLException e) {
                throw new LockBackendException(null, BACKEND, "schema check of " + what + " failed", e);
            }
            return new JdbcTableLockProvider(runtime(BACKEND), this, sql);
        }
    }
}
