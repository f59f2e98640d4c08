package dev.holdfast.lock.jdbc.rows;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.jdbc.rows.RowDialect.LockMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Runs a unit of work on one row locked with {@code SELECT ... FOR UPDATE}, inside a transaction: the
 * locked row, read by that very statement, is the fresh reload the work sees, and no other transaction can
 * change or lock it until this one ends.
 *
 * <pre>{@code
 * RowLock invoices = RowLock.builder(dataSource, "invoice", "id").build();
 * RowLock.Result<Boolean> r = invoices.run(invoiceId, RowLock.Wait.noWait(), (row, c) -> {
 *     if (!"NEW".equals(row.getString("status"))) return false;      // someone sent it already
 *     mailer.send(row.getString("recipient"));
 *     try (var ps = c.prepareStatement("UPDATE invoice SET status = 'SENT' WHERE id = ?")) { ... }
 *     return true;
 * });
 * if (r.outcome() == RowLock.Outcome.BUSY) { ... }                // another server is on it right now
 * }</pre>
 *
 * <p><b>Transactions.</b> {@link #run(Object, Wait, Work)} joins the Spring-managed transaction bound to the
 * thread for the data source (the lock then lasts until that transaction ends), or opens one on a connection
 * of the data source, committed when the work returns and rolled back when it throws. {@link #run(Connection,
 * Object, Wait, Work)} uses the caller's connection, which must have auto-commit off; the lock lasts until the
 * caller commits or rolls back. When busy in a joined transaction nothing of it is lost: on PostgreSQL the
 * select runs under a savepoint (rolled back when the select fails, busy or not), on MySQL/MariaDB a lock wait
 * timeout rolls back only that statement.
 *
 * <p><b>Waiting.</b> {@link Wait#upTo(Duration)} waits for another transaction's lock at most that long
 * (PostgreSQL: {@code lock_timeout} for the statement's duration, restored after; MariaDB: {@code FOR UPDATE
 * WAIT n} in whole seconds, rounded up; MySQL: {@code innodb_lock_wait_timeout}, whole seconds);
 * {@link Wait#noWait()} ({@code NOWAIT}) and {@link Wait#skipLocked()} ({@code SKIP LOCKED}) answer BUSY at
 * once. A timeout or NOWAIT failure is turned into {@link Outcome#BUSY} from the database's
 * "lock not available" errors (PostgreSQL SQLSTATE 55P03; MySQL/MariaDB 1205, 3572); callers never parse driver
 * errors. A deadlock is not "busy": it is thrown.
 *
 * <p>Thread-safe and stateless apart from its configuration; each call uses the connection of its thread.
 * The table and column names are validated and quoted; the key is a bound parameter.
 */
public final class RowLock {

    /** What happened to a {@link #run} call. */
    public enum Outcome {
        /** The row was locked and the work ran; {@link Result#value()} is its return value. */
        RAN,
        /** Another transaction held the row's lock (for the whole wait); the work did not run. */
        BUSY,
        /** No row has this key; the work did not run. */
        NOT_FOUND
    }

    /**
     * The outcome of a {@link #run} call.
     *
     * @param outcome whether the work ran
     * @param value   the work's return value when it {@link Outcome#RAN} (may be null), else null
     * @param <T>     the work's result type
     */
    public record Result<T>(Outcome outcome, @Nullable T value) {

        public Result {
            requireNonNull(outcome, "outcome");
        }

        /** Whether the work ran. */
        public boolean ran() {
            return outcome == Outcome.RAN;
        }

        /** Whether another transaction held the lock. */
        public boolean busy() {
            return outcome == Outcome.BUSY;
        }
    }

    /** The work, run with the locked row and the connection whose transaction holds its lock. */
    @FunctionalInterface
    public interface Work<T> {
        /**
         * @param row        the row as locked (fresh, never a stale earlier read)
         * @param connection the locking transaction's connection: write through it so the writes commit with
         *                   the lock; do not commit, roll back or close it
         * @return any value, handed back in {@link Result#value()}
         */
        @Nullable T run(Row row, Connection connection) throws SQLException;
    }

    /** How long to wait for another transaction's lock on the row. Immutable. */
    public static final class Wait {
        /**
         * The longest {@link #upTo(Duration)}: {@code Integer.MAX_VALUE} milliseconds (about 24.8 days), the
         * largest {@code lock_timeout} PostgreSQL accepts.
         */
        public static final Duration MAX_TIMEOUT = Duration.ofMillis(Integer.MAX_VALUE);

        private static final Wait NO_WAIT = new Wait(LockMode.NOWAIT, Duration.ZERO);
        private static final Wait SKIP_LOCKED = new Wait(LockMode.SKIP_LOCKED, Duration.ZERO);

        final LockMode mode;
        final Duration timeout;

        private Wait(LockMode mode, Duration timeout) {
            this.mode = mode;
            this.timeout = timeout;
        }

        /**
         * Wait up to {@code timeout} for the lock ({@code FOR UPDATE} with a lock timeout).
         *
         * @throws IllegalArgumentException if the timeout is not positive or longer than {@link #MAX_TIMEOUT}
         */
        public static Wait upTo(Duration timeout) {
            requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, was " + timeout + " (use noWait())");
            }
            if (timeout.compareTo(MAX_TIMEOUT) > 0) {
                throw new IllegalArgumentException("timeout must be at most " + MAX_TIMEOUT + " (Integer.MAX_VALUE ms, "
                        + "PostgreSQL's largest lock_timeout), was " + timeout);
            }
            return new Wait(LockMode.WAIT, timeout);
        }

        /** Busy at once if locked: {@code FOR UPDATE NOWAIT}. */
        public static Wait noWait() {
            return NO_WAIT;
        }

        /**
         * Busy at once if locked, without an error inside the database: {@code FOR UPDATE SKIP LOCKED}, then (only
         * when no row came back) one unlocking read to tell BUSY from NOT_FOUND.
         */
        public static Wait skipLocked() {
            return SKIP_LOCKED;
        }

        @Override
        public String toString() {
            return mode == LockMode.WAIT ? "Wait.upTo(" + timeout + ")" : mode == LockMode.NOWAIT ? "Wait.noWait()" : "Wait.skipLocked()";
        }
    }

    private final Tx tx;
    private final String table;
    private final String keyColumn;
    private final List<String> columns;

    private RowLock(Builder b) {
        this.tx = new Tx(b.dataSource);
        this.table = b.table;
        this.keyColumn = b.keyColumn;
        this.columns = b.columns;
    }

    /**
     * A builder for row locks on {@code table}, rows found by {@code keyColumn}.
     *
     * @throws IllegalArgumentException if a name is not a plain SQL identifier
     */
    public static Builder builder(DataSource dataSource, String table, String keyColumn) {
        return new Builder(dataSource, table, keyColumn);
    }

    /**
     * Locks the row with {@code key} and runs {@code work} on it, in the Spring transaction bound to this thread
     * for the data source, or in a transaction of its own (committed after the work, rolled back when it throws
     * or when the row is busy or missing).
     *
     * @return RAN with the work's value, BUSY, or NOT_FOUND
     * @throws LockBackendException if a statement fails (a {@link SQLException} of the work included)
     * @throws RuntimeException     what the work throws (after the transaction it opened is rolled back)
     */
    public <T> Result<T> run(Object key, Wait wait, Work<T> work) {
        check(key, wait, work);
        try {
            return tx.inTransaction((c, joined) -> lockAndRun(c, joined, key, wait, work));
        } catch (SQLException e) {
            throw failure(key, e);
        }
    }

    /**
     * Like {@link #run(Object, Wait, Work)}, in the transaction of {@code connection} (auto-commit off). The lock
     * lasts until the caller commits or rolls back; BUSY leaves the transaction usable.
     *
     * @throws IllegalStateException if the connection is in auto-commit mode
     */
    public <T> Result<T> run(Connection connection, Object key, Wait wait, Work<T> work) {
        requireNonNull(connection, "connection");
        check(key, wait, work);
        try {
            return Tx.joined(connection, (c, joined) -> lockAndRun(c, true, key, wait, work));
        } catch (SQLException e) {
            throw failure(key, e);
        }
    }

    private static void check(Object key, Wait wait, Work<?> work) {
        requireNonNull(key, "key");
        requireNonNull(wait, "wait");
        requireNonNull(work, "work");
    }

    private LockBackendException failure(Object key, SQLException e) {
        return new LockBackendException(table + "#" + key, tx.dialect().name(), "row lock failed", e);
    }

    private <T> Result<T> lockAndRun(Connection c, boolean joined, Object key, Wait wait, Work<T> work) throws SQLException {
        RowDialect d = tx.dialect(c);
        String select = "SELECT " + selectList(d) + " FROM " + d.quote(table) + " WHERE " + d.quote(keyColumn) + " = ?"
                + d.lockClause(wait.mode, wait.timeout);
        Row row;
        if (wait.mode == LockMode.SKIP_LOCKED) {
            row = selectOne(c, select, key);
            if (row == null) {
                String exists = "SELECT 1 FROM " + d.quote(table) + " WHERE " + d.quote(keyColumn) + " = ?";
                return end(joined, new Result<>(selectOne(c, exists, key) == null ? Outcome.NOT_FOUND : Outcome.BUSY, null));
            }
        } else {
            Savepoint savepoint = joined && d.errorAbortsTransaction() ? c.setSavepoint() : null;
            boolean bounded = wait.mode == LockMode.WAIT;
            try {
                if (bounded) {
                    Tx.execute(c, d.beforeWait(wait.timeout.toMillis()));
                }
                row = selectOne(c, select, key);
                if (bounded) {
                    Tx.execute(c, d.afterWait());
                }
            } catch (SQLException e) {
                if (!d.isLockNotAvailable(e)) {
                    if (savepoint != null) {
                        try {
                            c.rollback(savepoint); // the caller's transaction stays usable after the failure
                        } catch (SQLException suppressed) {
                            e.addSuppressed(suppressed);
                        }
                    }
                    throw e;
                }
                if (savepoint != null) {
                    c.rollback(savepoint); // also undoes the lock_timeout setting
                } else if (bounded && !d.errorAbortsTransaction()) {
                    Tx.execute(c, d.afterWait()); // MySQL's session setting outlives the transaction
                }
                return end(joined, new Result<>(Outcome.BUSY, null));
            }
            if (savepoint != null) {
                c.releaseSavepoint(savepoint);
            }
            if (row == null) {
                return end(joined, new Result<>(Outcome.NOT_FOUND, null));
            }
        }
        return new Result<>(Outcome.RAN, work.run(row, c));
    }

    /** A result that did not run the work: a transaction opened here is rolled back rather than committed. */
    private static <T> Result<T> end(boolean joined, Result<T> result) {
        if (!joined) {
            throw new Tx.RollbackWith(result);
        }
        return result;
    }

    private String selectList(RowDialect d) {
        if (columns.isEmpty()) {
            return "*";
        }
        StringBuilder sb = new StringBuilder();
        for (String col : columns) {
            sb.append(sb.isEmpty() ? "" : ", ").append(d.quote(col));
        }
        return sb.toString();
    }

    private static @Nullable Row selectOne(Connection c, String sql, Object key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Row.read(rs) : null;
            }
        }
    }

    @Override
    public String toString() {
        return "RowLock[" + table + "." + keyColumn + "]";
    }

    /** Configures a {@link RowLock}. Not thread-safe; {@link #build()} may be called more than once. */
    public static final class Builder {
        private final DataSource dataSource;
        private final String table;
        private final String keyColumn;
        private List<String> columns = List.of();

        private Builder(DataSource dataSource, String table, String keyColumn) {
            this.dataSource = requireNonNull(dataSource, "dataSource");
            this.table = RowDialect.checkIdentifier("table", table);
            this.keyColumn = RowDialect.checkColumn("keyColumn", keyColumn);
        }

        /**
         * The columns to read into the {@link Row} handed to the work (default: all, {@code SELECT *}).
         *
         * @throws IllegalArgumentException if a name is not a plain SQL identifier
         */
        public Builder columns(String... columns) {
            for (String col : columns) {
                RowDialect.checkColumn("column", col);
            }
            this.columns = List.of(columns);
            return this;
        }

        /** The row lock. The dialect is detected on first use. */
        public RowLock build() {
            return new RowLock(this);
        }
    }
}
