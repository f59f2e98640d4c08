package dev.holdfast.lock.jdbc.rows;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.LockBackendException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * Workers claim batches of pending rows of your own table exactly once, heartbeat while they work, then
 * complete or release them; the claims of a worker that died are reclaimed by others after the claim timeout,
 * measured by the database clock.
 *
 * <pre>{@code
 * ClaimQueue queue = ClaimQueue.builder(dataSource, "email_job", "id")
 *         .pending("status", "PENDING").doneValue("SENT")          // complete sets status = 'SENT'
 *         .owner("claimed_by").claimedAt("claimed_at")
 *         .columns("recipient", "body")
 *         .claimTimeout(Duration.ofMinutes(2))
 *         .build();
 * while (queue.process(100, (rows, c) -> rows.forEach(r -> send(r, c))).claimed() > 0) { }
 * }</pre>
 *
 * <p><b>The table.</b> Yours, with a key column, a status column (a row is pending while it holds the
 * configured pending value), an owner column (nullable text, at least 80 characters) and a claim-time column
 * (nullable {@code timestamptz} on PostgreSQL, {@code DATETIME(6)} holding UTC on MySQL/MariaDB). A row is
 * <em>claimable</em> when it is pending and either unowned or claimed longer than the claim timeout ago.
 * Index the status column (or a partial index on pending rows) so a claim does not scan done rows.
 *
 * <p><b>Claiming.</b> PostgreSQL: one statement per batch, {@code UPDATE t SET owner = ?, claimed_at = now
 * WHERE key IN (SELECT key FROM t WHERE <claimable> LIMIT n FOR UPDATE SKIP LOCKED) RETURNING key, ...}.
 * MySQL/MariaDB (no {@code UPDATE ... RETURNING}): {@code SELECT ... FOR UPDATE SKIP LOCKED LIMIT n} then
 * {@code UPDATE ... WHERE key IN (...)} in one short READ COMMITTED transaction (three round trips with the
 * commit). Concurrent claimers skip each other's rows instead of waiting on them. Every batch gets its own
 * owner value ({@code workerId:uuid}), and heartbeat, complete and release change only rows that still carry
 * it: once a claim has been reclaimed by another worker, the old owner can no longer complete it.
 *
 * <p><b>Exactly once.</b> {@link #process} runs your work and the completion in one transaction and commits only
 * if every row of the batch was still this batch's: the work's writes and the "done" mark commit together, so
 * a worker that dies (or loses its claims) mid-batch leaves no trace and its rows are done by others. With
 * {@link #claim} you complete yourself: {@link Batch#complete(Connection)} in the transaction of your writes
 * gives the same guarantee if you roll back when it reports fewer rows than claimed.
 *
 * <p>Thread-safe. {@link #close()} stops the heartbeat thread used by {@link #process}. Names are validated and
 * quoted; values (pending/done values, owner, keys, timeout) are bound parameters.
 */
public final class ClaimQueue implements AutoCloseable {

    /** The work of {@link #process}: the claimed rows and the transaction that will also complete them. */
    @FunctionalInterface
    public interface BatchWork {
        /**
         * @param rows       the claimed rows (key, then the configured columns)
         * @param connection the transaction's connection: write through it; do not commit, roll back or close it
         */
        void run(List<Row> rows, Connection connection) throws SQLException;
    }

    /**
     * What one {@link #process} call did.
     *
     * @param claimed   rows claimed (0 = nothing claimable: the queue is drained or everything is claimed)
     * @param completed rows whose work committed: {@code claimed}, or 0 if the transaction was rolled back and
     *                  the batch released because some claim was lost (reclaimed by another worker after the
     *                  timeout) or the database chose it as a deadlock victim (SQLSTATE 40001/40P01, error 1213)
     */
    public record Processed(int claimed, int completed) {
    }

    private final Tx tx;
    private final String table;
    private final String keyColumn;
    private final String statusColumn;
    private final Object pendingValue;
    private final @Nullable Object doneValue;
    private final String ownerColumn;
    private final String claimedAtColumn;
    private final List<String> columns;
    private final Duration claimTimeout;
    private final String workerId;
    private final ScheduledExecutorService heartbeats;

    private ClaimQueue(Builder b) {
        this.tx = new Tx(b.dataSource);
        this.table = b.table;
        this.keyColumn = b.keyColumn;
        this.statusColumn = requireNonNull(b.statusColumn, "pending(column, value) is required");
        this.pendingValue = requireNonNull(b.pendingValue, "pending value");
        this.doneValue = b.doneValue;
        this.ownerColumn = b.ownerColumn;
        this.claimedAtColumn = b.claimedAtColumn;
        this.columns = b.columns;
        this.claimTimeout = b.claimTimeout;
        this.workerId = b.workerId;
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "holdfast-claim-heartbeat-" + table);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * A builder for a queue over {@code table}, rows found by {@code keyColumn}.
     *
     * @throws IllegalArgumentException if a name is not a plain SQL identifier
     */
    public static Builder builder(DataSource dataSource, String table, String keyColumn) {
        return new Builder(dataSource, table, keyColumn);
    }

    /**
     * Claims up to {@code max} claimable rows for a new batch (its own auto-committed claim; never inside a
     * caller's transaction). An empty batch means nothing is claimable right now.
     *
     * @throws IllegalArgumentException if {@code max} is not 1 to 10,000
     * @throws LockBackendException     if a statement fails
     */
    public Batch claim(int max) {
        if (max < 1 || max > 10_000) {
            throw new IllegalArgumentException("max must be 1 to 10000, was " + max);
        }
        String owner = workerId + ":" + UUID.randomUUID();
        try (Connection c = tx.dataSource().getConnection()) {
            RowDialect d = tx.dialect(c);
            for (int attempt = 1; ; attempt++) {
                try {
                    List<Row> rows = d.claimsInOneStatement() ? claimInOneStatement(c, d, owner, max) : claimInTransaction(c, d, owner, max);
                    return new Batch(owner, rows);
                } catch (SQLException e) {
                    // InnoDB may pick a claim as a deadlock victim against a completion (secondary index vs
                    // row lock order); the claim was rolled back whole, so it is simply run again
                    if (attempt >= CLAIM_ATTEMPTS || !RowDialect.isRetryable(e)) {
                        throw e;
                    }
                }
            }
        } catch (SQLException e) {
            throw failure("claim failed", e);
        }
    }

    /** How often a claim that was a deadlock victim is run again before the error is thrown. */
    private static final int CLAIM_ATTEMPTS = 5;

    /**
     * Claims up to {@code max} rows, runs {@code work} on them and completes them in the same transaction,
     * heartbeating every third of the claim timeout meanwhile. When the work throws, the transaction is rolled
     * back, the batch released and the exception rethrown; a deadlock or serialization failure (of the work or
     * the completion) is not thrown but reported as {@code completed() == 0}, the rows released for another try.
     *
     * @return rows claimed and completed
     * @throws LockBackendException if a statement fails (a {@link SQLException} of the work included)
     */
    public Processed process(int max, BatchWork work) {
        requireNonNull(work, "work");
        try (Batch batch = claim(max)) {
            if (batch.rows().isEmpty()) {
                return new Processed(0, 0);
            }
            long every = Math.max(1, claimTimeout.toMillis() / 3);
            ScheduledFuture<?> beat = heartbeats.scheduleWithFixedDelay(() -> {
                try {
                    batch.heartbeat();
                } catch (RuntimeException ignored) {
                    // the next beat tries again; completion checks ownership anyway
                }
            }, every, every, TimeUnit.MILLISECONDS);
            try (Connection c = tx.dataSource().getConnection()) {
                boolean autoCommit = c.getAutoCommit();
                c.setAutoCommit(false);
                try {
                    work.run(batch.rows(), c);
                    int done = batch.completeOwned(c);
                    if (done != batch.rows().size()) {
                        c.rollback();
                        batch.release(); // the rows still ours go back at once; the others belong to their new owner
                        return new Processed(batch.rows().size(), 0);
                    }
                    c.commit();
                    return new Processed(done, done);
                } catch (SQLException e) {
                    c.rollback();
                    if (RowDialect.isRetryable(e)) {
                        batch.release(); // rolled back whole: the rows go back to the queue
                        return new Processed(batch.rows().size(), 0);
                    }
                    throw e;
                } catch (RuntimeException | Error e) {
                    try {
                        c.rollback();
                    } catch (SQLException suppressed) {
                        e.addSuppressed(suppressed);
                    }
                    throw e;
                } finally {
                    if (autoCommit) {
                        c.setAutoCommit(true);
                    }
                }
            } catch (SQLException e) {
                throw failure("batch failed", e);
            } finally {
                beat.cancel(false);
            }
        }
    }

    private List<Row> claimInOneStatement(Connection c, RowDialect d, String owner, int max) throws SQLException {
        String k = d.quote(keyColumn);
        String t = d.quote(table);
        String sql = "UPDATE " + t + " SET " + d.quote(ownerColumn) + " = ?, " + d.quote(claimedAtColumn) + " = " + d.now()
                + " WHERE " + k + " IN (SELECT " + k + " FROM " + t + " WHERE " + claimable(d) + " LIMIT ? FOR UPDATE SKIP LOCKED)"
                + " RETURNING " + selectList(d);
        if (!c.getAutoCommit()) {
            c.setAutoCommit(true);
        }
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            Tx.bind(ps, List.of(owner, pendingValue, RowDialect.micros(claimTimeout), max));
            return readRows(ps);
        }
    }

    private List<Row> claimInTransaction(Connection c, RowDialect d, String owner, int max) throws SQLException {
        String select = "SELECT " + selectList(d) + " FROM " + d.quote(table) + " WHERE " + claimable(d)
                + " LIMIT ? FOR UPDATE SKIP LOCKED";
        int isolation = c.getTransactionIsolation();
        boolean autoCommit = c.getAutoCommit();
        if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
            c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
        }
        c.setAutoCommit(false);
        try {
            List<Row> rows;
            try (PreparedStatement ps = c.prepareStatement(select)) {
                Tx.bind(ps, List.of(pendingValue, RowDialect.micros(claimTimeout), max));
                rows = readRows(ps);
            }
            if (!rows.isEmpty()) {
                List<Object> args = new ArrayList<>();
                args.add(owner);
                args.addAll(keys(rows));
                Tx.update(c, "UPDATE " + d.quote(table) + " SET " + d.quote(ownerColumn) + " = ?, " + d.quote(claimedAtColumn)
                        + " = " + d.now() + " WHERE " + d.quote(keyColumn) + " IN (" + Tx.placeholders(rows.size()) + ")", args);
            }
            c.commit();
            return rows;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
            if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
                c.setTransactionIsolation(isolation);
            }
        }
    }

    private String claimable(RowDialect d) {
        String owner = d.quote(ownerColumn);
        return d.quote(statusColumn) + " = ? AND (" + owner + " IS NULL OR " + d.quote(claimedAtColumn) + " < " + d.nowMinusMicros() + ")";
    }

    private String selectList(RowDialect d) {
        StringBuilder sb = new StringBuilder(d.quote(keyColumn));
        for (String col : columns) {
            sb.append(", ").append(d.quote(col));
        }
        return sb.toString();
    }

    private static List<Row> readRows(PreparedStatement ps) throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                rows.add(Row.read(rs));
            }
        }
        return rows;
    }

    private List<Object> keys(List<Row> rows) {
        List<Object> keys = new ArrayList<>(rows.size());
        for (Row r : rows) {
            keys.add(requireNonNull(r.get(keyColumn), "key"));
        }
        return keys;
    }

    /** Runs {@code set} (an UPDATE's SET list, or null to DELETE) on the batch's rows still carrying its owner. */
    private int onOwned(Connection c, String owner, List<Object> keys, @Nullable String set, List<?> setArgs) throws SQLException {
        if (keys.isEmpty()) {
            return 0;
        }
        RowDialect d = tx.dialect(c);
        String where = " WHERE " + d.quote(ownerColumn) + " = ? AND " + d.quote(keyColumn) + " IN (" + Tx.placeholders(keys.size()) + ")";
        String sql = set == null ? "DELETE FROM " + d.quote(table) + where : "UPDATE " + d.quote(table) + " SET " + set + where;
        List<Object> args = new ArrayList<>(setArgs);
        args.add(owner);
        args.addAll(keys);
        return Tx.update(c, sql, args);
    }

    private int onOwnedAutoCommit(String owner, List<Object> keys, @Nullable String set, List<?> setArgs, String what) {
        try (Connection c = tx.dataSource().getConnection()) {
            if (!c.getAutoCommit()) {
                c.setAutoCommit(true);
            }
            return onOwned(c, owner, keys, set, setArgs);
        } catch (SQLException e) {
            throw failure(what + " failed", e);
        }
    }

    private LockBackendException failure(String what, SQLException e) {
        return new LockBackendException("queue:" + table, tx.dialect().name(), what, e);
    }

    /** Stops the heartbeat thread of {@link #process}. Batches claimed with {@link #claim} stay usable. */
    @Override
    public void close() {
        heartbeats.shutdownNow();
    }

    @Override
    public String toString() {
        return "ClaimQueue[" + table + "." + keyColumn + ", worker " + workerId + ", claimTimeout=" + claimTimeout + "]";
    }

    /**
     * A claimed batch: its rows are this batch's until completed, released, or reclaimed by another worker
     * after the claim timeout without a heartbeat. {@link #close()} releases the rows not completed. Use it
     * from one thread at a time (a heartbeat from another thread is fine).
     */
    public final class Batch implements AutoCloseable {
        private final String owner;
        private final List<Row> rows;
        private final List<Object> keys;
        private volatile boolean finished;

        private Batch(String owner, List<Row> rows) {
            this.owner = owner;
            this.rows = Collections.unmodifiableList(rows);
            this.keys = List.copyOf(ClaimQueue.this.keys(rows));
        }

        /** The claimed rows: the key column, then the configured columns. Empty when nothing was claimable. */
        public List<Row> rows() {
            return rows;
        }

        /** The claimed rows' keys. */
        public List<Object> keys() {
            return keys;
        }

        /** The owner value written into the claimed rows ({@code workerId:uuid}). */
        public String owner() {
            return owner;
        }

        /**
         * Moves the claim time of the rows still this batch's to now (auto-commit).
         *
         * @return how many rows are still this batch's
         * @throws LockBackendException if the statement fails
         */
        public int heartbeat() {
            RowDialect d = tx.dialect();
            return onOwnedAutoCommit(owner, keys, d.quote(claimedAtColumn) + " = " + d.now(), List.of(), "heartbeat");
        }

        /**
         * Marks the rows still this batch's as done (status = done value, or deleted when none is configured),
         * auto-committed.
         *
         * @return how many rows were completed (fewer than claimed if some were reclaimed by other workers)
         */
        public int complete() {
            finished = true;
            return onOwnedAutoCommit(owner, keys, doneSet(), doneArgs(), "complete");
        }

        /**
         * Marks the rows still this batch's as done in the transaction of {@code connection}, so that they
         * commit with the work's writes. Roll back if it returns fewer than {@code rows().size()}: those rows
         * were reclaimed and another worker will do (or did) them.
         *
         * @return how many rows were completed
         * @throws LockBackendException if the statement fails
         */
        public int complete(Connection connection) {
            requireNonNull(connection, "connection");
            try {
                return completeOwned(connection);
            } catch (SQLException e) {
                throw failure("complete failed", e);
            }
        }

        private int completeOwned(Connection connection) throws SQLException {
            int n = onOwned(connection, owner, keys, doneSet(), doneArgs());
            finished = true;
            return n;
        }

        /**
         * Gives the rows still this batch's back to the queue (owner and claim time cleared), auto-committed.
         *
         * @return how many rows were released
         */
        public int release() {
            finished = true;
            RowDialect d = tx.dialect();
            return onOwnedAutoCommit(owner, keys, d.quote(ownerColumn) + " = NULL, " + d.quote(claimedAtColumn) + " = NULL",
                    List.of(), "release");
        }

        /** Releases the rows unless the batch was completed or released (errors are suppressed: the timeout reclaims them). */
        @Override
        public void close() {
            if (!finished && !keys.isEmpty()) {
                try {
                    release();
                } catch (RuntimeException ignored) {
                    // reclaimed after the claim timeout
                }
            }
        }

        private @Nullable String doneSet() {
            RowDialect d = tx.dialect();
            return doneValue == null ? null : d.quote(statusColumn) + " = ?";
        }

        private List<?> doneArgs() {
            return doneValue == null ? List.of() : List.of(doneValue);
        }

        @Override
        public String toString() {
            return "Batch[" + owner + ", " + keys.size() + " rows]";
        }
    }

    /** Configures a {@link ClaimQueue}. Not thread-safe. */
    public static final class Builder {
        private final DataSource dataSource;
        private final String table;
        private final String keyColumn;
        private @Nullable String statusColumn;
        private @Nullable Object pendingValue;
        private @Nullable Object doneValue;
        private String ownerColumn = "claimed_by";
        private String claimedAtColumn = "claimed_at";
        private List<String> columns = List.of();
        private Duration claimTimeout = Duration.ofMinutes(5);
        private String workerId = "worker-" + UUID.randomUUID().toString().substring(0, 8);

        private Builder(DataSource dataSource, String table, String keyColumn) {
            this.dataSource = requireNonNull(dataSource, "dataSource");
            this.table = RowDialect.checkIdentifier("table", table);
            this.keyColumn = RowDialect.checkColumn("keyColumn", keyColumn);
        }

        /** Required: a row is pending while {@code column} holds {@code value} (a bound parameter). */
        public Builder pending(String column, Object value) {
            this.statusColumn = RowDialect.checkColumn("status column", column);
            this.pendingValue = requireNonNull(value, "value");
            return this;
        }

        /** The status value that {@code complete} sets; without one, completed rows are deleted. */
        public Builder doneValue(Object value) {
            this.doneValue = requireNonNull(value, "value");
            return this;
        }

        /** The owner column (default {@code claimed_by}; nullable text of at least 80 characters). */
        public Builder owner(String column) {
            this.ownerColumn = RowDialect.checkColumn("owner column", column);
            return this;
        }

        /** The claim-time column (default {@code claimed_at}; nullable timestamp, UTC DATETIME(6) on MySQL/MariaDB). */
        public Builder claimedAt(String column) {
            this.claimedAtColumn = RowDialect.checkColumn("claimed-at column", column);
            return this;
        }

        /** Columns to read with each claimed row besides the key (default none). */
        public Builder columns(String... columns) {
            for (String col : columns) {
                RowDialect.checkColumn("column", col);
            }
            this.columns = List.of(columns);
            return this;
        }

        /**
         * How long a claim lasts without a heartbeat before other workers may reclaim the row (default 5 min,
         * by the database clock). {@link #process} heartbeats every third of it.
         *
         * @throws IllegalArgumentException if under 100 ms
         */
        public Builder claimTimeout(Duration timeout) {
            requireNonNull(timeout, "timeout");
            if (timeout.compareTo(Duration.ofMillis(100)) < 0) {
                throw new IllegalArgumentException("claimTimeout must be at least 100 ms, was " + timeout);
            }
            this.claimTimeout = timeout;
            return this;
        }

        /** This worker's name, the first part of each batch's owner value (default {@code worker-<random>}). */
        public Builder workerId(String workerId) {
            requireNonNull(workerId, "workerId");
            if (workerId.isEmpty() || workerId.length() > 40) {
                throw new IllegalArgumentException("workerId must be 1 to 40 characters, was " + workerId.length());
            }
            this.workerId = workerId;
            return this;
        }

        /**
         * The queue.
         *
         * @throws IllegalStateException if {@link #pending} was not set
         */
        public ClaimQueue build() {
            if (statusColumn == null) {
                throw new IllegalStateException("pending(column, value) is required");
            }
            return new ClaimQueue(this);
        }
    }
}
