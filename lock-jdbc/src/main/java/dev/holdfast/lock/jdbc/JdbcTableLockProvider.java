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
import java.sql.SQLException;
import java.sql.Statement;
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
 * <p>Names longer than 255 characters are stored as their first characters, {@code '#'} and a SHA-256
 * (deterministic; a collision only makes two names share a lock). Tokens are as durable as the table.
 * Create the table with {@code schema/<dialect>-holdfast_lock.sql} from this jar or with
 * {@link Builder#createTableIfMissing(boolean)}.
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

    private final DataSource dataSource;
    private final String table;
    private final boolean createTable;
    private final @Nullable Dialect configuredDialect;
    private final boolean notifications;

    // set once, on first use (so that building never needs the database)
    private volatile @Nullable TableSql sql;
    private volatile @Nullable PgNotificationListener listener;

    private JdbcTableLockProvider(LockRuntime runtime, Builder b) {
        super(runtime, new Backoff(Duration.ofMillis(10), Duration.ofMillis(b.notifications ? 500 : 200)));
        this.dataSource = Jdbc.ownConnections(b.dataSource);
        this.table = b.table;
        this.createTable = b.createTableIfMissing;
        this.configuredDialect = b.dialect;
        this.notifications = b.notifications;
    }

    /** A builder on {@code dataSource}. */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    @Override
    protected Optional<? extends AbstractLease> tryAcquireOnBackend(LockRequest request, long deadlineNanos) {
        TableSql s = sql(request.name());
        String key = LockKeys.columnKey(request.name(), TableSql.NAME_COLUMN_LENGTH);
        String owner = runtime.newOwnerId();
        long micros = micros(request.leaseTime());
        long start = runtime.ticker().nanoTime();
        Long token = run(request.name(), "acquire", c -> s.acquire(c, key, owner, micros));
        if (token == null) {
            PgNotificationListener l = listener;
            if (l != null && deadlineNanos - runtime.ticker().nanoTime() > 0) {
                l.ensureListening();
            }
            return Optional.empty();
        }
        return Optional.of(new TableLease(runtime, request, token, owner, start, key));
    }

    /** The holder of {@code name} as the table records it (owner id, token, since when, until when). */
    @Override
    public Optional<LockInfo> inspect(String name) {
        LockRequest.validateName(name);
        TableSql s = sql(name);
        String key = LockKeys.columnKey(name, TableSql.NAME_COLUMN_LENGTH);
        TableSql.Row row = run(name, "inspect", c -> s.inspect(c, key));
        if (row == null) {
            return Optional.empty();
        }
        return Optional.of(new LockInfo(name, row.owner(), row.token(), row.lockedAt(),
                Duration.ofNanos(Math.multiplyExact(Math.max(0, row.expiresInMicros()), 1000L)), -1));
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
                c = Jdbc.autoCommitConnection(dataSource);
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

    private TableSql sql(String lockName) {
        TableSql s = sql;
        if (s != null) {
            return s;
        }
        synchronized (this) {
            if (sql == null) {
                Dialect d = configuredDialect != null ? configuredDialect : run(lockName, "detect dialect", JdbcTableLockProvider::detect);
                TableSql created = switch (requireNonNull(d)) {
                    case POSTGRESQL -> new PostgresTableSql(table);
                    case MYSQL -> new MysqlTableSql(table);
                    case MARIADB -> new MariaDbTableSql(table);
                    case H2 -> new H2TableSql(table);
                };
                if (createTable) {
                    run(lockName, "create table", c -> createTable(c, created));
                }
                if (notifications && created.notifies()) {
                    listener = new PgNotificationListener(dataSource, created.channel(), runtime.signals(), BACKEND);
                }
                sql = created;
            }
            return requireNonNull(sql);
        }
    }

    private @Nullable Void createTable(Connection c, TableSql s) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(Schema.load(s.schemaFile(), "holdfast_lock", table));
        } catch (SQLException e) {
            // two providers creating it at once: fine if it exists now
            try (Statement st = c.createStatement()) {
                st.executeQuery("SELECT count(*) FROM " + table + " WHERE 1 = 0").close();
            } catch (SQLException still) {
                throw e;
            }
        }
        return null;
    }

    private static Dialect detect(Connection c) throws SQLException {
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
            TableSql s = requireNonNull(sql);
            Boolean renewed = run(name(), "renew", c -> s.renew(c, key, ownerId(), token(), micros(leaseTime)));
            return Boolean.TRUE.equals(renewed);
        }

        @Override
        protected void releaseOnBackend(Duration keepFor) {
            // minHold is applied by the database from locked_at, on its own clock (keepFor is the client's estimate)
            TableSql s = requireNonNull(sql);
            long minHold = request().minHold().isZero() ? 0 : micros(request().minHold());
            run(name(), "release", c -> {
                s.release(c, key, ownerId(), token(), minHold, name());
                return null;
            });
        }
    }

    /** Builds a {@link JdbcTableLockProvider}. */
    public static final class Builder extends AbstractProviderBuilder<Builder> {
        private final DataSource dataSource;
        private String table = "holdfast_lock";
        private boolean createTableIfMissing;
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

        /** Whether to create the table on first use if it is missing (default {@code false}). */
        public Builder createTableIfMissing(boolean createTableIfMissing) {
            this.createTableIfMissing = createTableIfMissing;
            return this;
        }

        /** The dialect; by default detected from the database on first use. */
        public Builder dialect(Dialect dialect) {
            this.dialect = requireNonNull(dialect, "dialect");
            return this;
        }

        /** On PostgreSQL, whether waiters {@code LISTEN} for releases (default {@code true}). */
        public Builder notifications(boolean notifications) {
            this.notifications = notifications;
            return this;
        }

        /** @return a new provider; it touches the database only on first use */
        public JdbcTableLockProvider build() {
            return new JdbcTableLockProvider(runtime(BACKEND), this);
        }
    }
}
