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
 *   <li>Release sets {@code locked_until} to now — or to {@code locked_at + minHold} if that is later — again
 *       only for this owner and token. On PostgreSQL the same statement {@code pg_notify}s the name, and
 *       waiters that {@code LISTEN} (a connection opened by the first request that has to wait) are woken;
 *       elsewhere waiters poll with jittered backoff.</li>
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

    private final DataSource dataSource;
    private final TableSql sql;
    private final @Nullable PgNotificationListener listener;

    private JdbcTableLockProvider(LockRuntime runtime, Builder b, TableSql sql) {
        super(runtime, new Backoff(Duration.ofMillis(10), Duration.ofMillis(b.notifications ? 500 : 200)));
        this.dataSource = Jdbc.ownConnections(b.dataSource);
        this.sql = sql;
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
            // attempt's owner id (unique to it), so no row stays held without a Lease
            if (sent[0]) {
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
                return work.run(c);
            } catch (SQLException e) {
                if (attempt < 2 && c != null && Jdbc.isConnectionError(c, e)) {
                    Jdbc.abortQuietly(c);
                    c = null;
                    continue;
                }
                throw new LockBackendException(lockName, BACKEND, operation + " failed", e);
            } finally {
                Jdbc.closeQuietly(c);
            }
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
            // minHold is applied by the database from locked_at, on its own clock (keepFor is the client's estimate)
            TableSql s = sql;
            long minHold = request().minHold().isZero() ? 0 : micros(request().minHold());
            run(name(), "release", c -> {
                s.release(c, key, ownerId(), backendToken(), minHold, name());
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
