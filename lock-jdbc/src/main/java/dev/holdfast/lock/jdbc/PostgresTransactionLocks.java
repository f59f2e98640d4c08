package dev.holdfast.lock.jdbc;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockInterruptedException;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.spi.Backoff;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.OptionalLong;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;

/**
 * Transaction-scoped PostgreSQL advisory locks ({@code pg_try_advisory_xact_lock}) that join the caller's
 * transaction and are freed by its commit or rollback — the only JDBC locks here that do join it.
 *
 * <pre>{@code
 * PostgresTransactionLocks locks = PostgresTransactionLocks.builder(dataSource).build();
 * @Transactional void pay(long sellerId) {
 *     long token = locks.tryLock("payout:" + sellerId).orElseThrow(Busy::new);
 *     ... // the lock is held until this transaction ends
 * }
 * }</pre>
 *
 * <p>Why this is not a {@code LockProvider}: a {@code Lease} is an object its holder releases, renews and
 * may lose independently of any transaction; here the database frees the lock exactly when the transaction
 * ends, there is nothing to release, renew or extend, and the holder is the transaction, not an object.
 * So the API is only "take it now, within this transaction".
 *
 * <p>Keys are the same as {@link PostgresAdvisoryLockProvider}'s (SHA-256 of namespace and name), so a
 * transaction lock and a session lock on the same name exclude each other; fencing tokens come from the
 * same sequence, which {@link Builder#build()} creates if it is missing ({@link Builder#createIfMissing(boolean)},
 * default on) or, with that option off, checks for (DDL: {@code dev/holdfast/lock/jdbc/schema/postgresql-advisory.sql}
 * in this jar), failing at once if it is missing or the database cannot be reached. Waiting polls with jittered backoff, so a waiting
 * caller never aborts its own transaction (as a {@code lock_timeout} would). Thread-safe; the calls use the
 * caller's connection, which must not be shared between threads.
 */
public final class PostgresTransactionLocks {

    private static final Backoff BACKOFF = new Backoff(Duration.ofMillis(5), Duration.ofMillis(200));

    private final DataSource dataSource;
    private final String namespace;
    private final String tryLock;

    private PostgresTransactionLocks(Builder b) {
        this.dataSource = b.dataSource;
        this.namespace = b.namespace;
        this.tryLock = "SELECT CASE WHEN pg_try_advisory_xact_lock(?) THEN nextval('" + b.fenceSequence + "') END";
    }

    /** A builder of locks on {@code dataSource} (whose Spring-managed transaction {@link #tryLock(String)} joins). */
    public static Builder builder(DataSource dataSource) {
        return new Builder(dataSource);
    }

    /**
     * Locks on {@code dataSource} with the defaults: {@code builder(dataSource).build()}, which creates the
     * fencing sequence if it is missing.
     *
     * @throws LockBackendException if the database cannot be reached or creating the sequence failed
     */
    public static PostgresTransactionLocks create(DataSource dataSource) {
        return builder(dataSource).build();
    }

    /**
     * Locks with another namespace or fencing sequence (they must match the session-level provider's for
     * the two to exclude each other): {@code builder(dataSource).namespace(namespace).fenceSequence(fenceSequence).build()}.
     */
    public static PostgresTransactionLocks create(DataSource dataSource, String namespace, String fenceSequence) {
        return builder(dataSource).namespace(namespace).fenceSequence(fenceSequence).build();
    }

    /**
     * Takes the lock in the Spring-managed transaction bound to this thread for the data source, without
     * waiting.
     *
     * @return the fencing token, or empty if another transaction or session holds the lock
     * @throws IllegalStateException    if no Spring transaction is active on this data source
     * @throws IllegalArgumentException if the name is invalid
     * @throws LockBackendException     if the statement fails
     */
    public OptionalLong tryLock(String name) {
        return tryLock(name, Duration.ZERO);
    }

    /**
     * Like {@link #tryLock(String)}, waiting up to {@code waitTime} for another holder to let go.
     *
     * @throws IllegalArgumentException if {@code waitTime} is negative or longer than {@link LockRequest#MAX_DURATION}
     */
    public OptionalLong tryLock(String name, Duration waitTime) {
        LockRequest.validateName(name);
        checkWait(waitTime);
        Connection c = DataSourceUtils.getConnection(dataSource);
        try {
            if (!DataSourceUtils.isConnectionTransactional(c, dataSource)) {
                throw new IllegalStateException("a transaction-scoped lock on '" + name + "' needs an active Spring "
                        + "transaction on this DataSource (outside one, it would be freed at once)");
            }
            return lock(c, name, waitTime);
        } finally {
            DataSourceUtils.releaseConnection(c, dataSource);
        }
    }

    /**
     * Takes the lock in the transaction of {@code connection} (auto-commit off), without waiting.
     *
     * @return the fencing token, or empty if another transaction or session holds the lock
     * @throws IllegalStateException if the connection is in auto-commit mode
     */
    public OptionalLong tryLock(Connection connection, String name) {
        return tryLock(connection, name, Duration.ZERO);
    }

    /**
     * Like {@link #tryLock(Connection, String)}, waiting up to {@code waitTime}.
     *
     * @throws IllegalArgumentException if {@code waitTime} is negative or longer than {@link LockRequest#MAX_DURATION}
     */
    public OptionalLong tryLock(Connection connection, String name, Duration waitTime) {
        requireNonNull(connection, "connection");
        LockRequest.validateName(name);
        checkWait(waitTime);
        try {
            if (connection.getAutoCommit()) {
                throw new IllegalStateException("a transaction-scoped lock on '" + name
                        + "' needs a connection with auto-commit off (in auto-commit it would be freed at once)");
            }
        } catch (SQLException e) {
            throw new LockBackendException(name, PostgresAdvisoryLockProvider.BACKEND, "connection check failed", e);
        }
        return lock(connection, name, waitTime);
    }

    private static void checkWait(Duration waitTime) {
        requireNonNull(waitTime, "waitTime");
        if (waitTime.isNegative()) {
            throw new IllegalArgumentException("waitTime must not be negative, was " + waitTime);
        }
        if (waitTime.compareTo(LockRequest.MAX_DURATION) > 0) {
            throw new IllegalArgumentException("waitTime must be at most " + LockRequest.MAX_DURATION + ", was " + waitTime);
        }
    }

    private OptionalLong lock(Connection c, String name, Duration waitTime) {
        long key = LockKeys.advisoryKey(namespace, name);
        long deadline = System.nanoTime() + waitTime.toNanos();
        Backoff.Sequence pauses = BACKOFF.start();
        try (PreparedStatement ps = c.prepareStatement(tryLock)) {
            ps.setLong(1, key);
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    long token = rs.getLong(1);
                    if (!rs.wasNull()) {
                        return OptionalLong.of(token);
                    }
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    return OptionalLong.empty();
                }
                long pause = Math.min(remaining, pauses.nextNanos());
                Thread.sleep(pause / 1_000_000, (int) (pause % 1_000_000));
            }
        } catch (SQLException e) {
            throw new LockBackendException(name, PostgresAdvisoryLockProvider.BACKEND, "transaction lock failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LockInterruptedException(name, e);
        }
    }

    @Override
    public String toString() {
        return "PostgresTransactionLocks[namespace=" + namespace + "]";
    }

    /** Configures {@link PostgresTransactionLocks}. Not thread-safe. */
    public static final class Builder {
        private final DataSource dataSource;
        private String namespace = "holdfast";
        private String fenceSequence = "holdfast_fence_seq";
        private boolean createIfMissing = true;

        private Builder(DataSource dataSource) {
            this.dataSource = requireNonNull(dataSource, "dataSource");
        }

        /**
         * Mixed into every key's hash (default {@code "holdfast"}, as {@link PostgresAdvisoryLockProvider}'s: use
         * the same value for the two to exclude each other); at most 200 characters.
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
         * Checks (or creates) the fencing sequence on a short-lived connection of the data source (never a
         * caller's transactional one), then builds the locks.
         *
         * @throws LockBackendException  if the database cannot be reached or creating the sequence failed
         * @throws IllegalStateException if the sequence is missing and {@code createIfMissing} is off
         */
        public PostgresTransactionLocks build() {
            Schema.ensure(Jdbc.ownConnections(dataSource), PostgresAdvisoryLockProvider.BACKEND, createIfMissing,
                    PostgresAdvisoryLockProvider.sequenceNeed(fenceSequence));
            return new PostgresTransactionLocks(this);
        }
    }
}
