package dev.holdfast.lock.jdbc.rows;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Figures (printed, not asserted): claim rate of {@link ClaimQueue} (rows/s claimed, processed and completed)
 * beside a naive select-then-update claim of the same rows by the same threads, on PostgreSQL and MariaDB.
 * Reproduce with more rows:
 * {@code ./mvnw -B -pl lock-jdbc verify -Dtest=RowPatternFiguresTest -Dholdfast.rows.figures.rows=100000}
 */
class RowPatternFiguresTest {

    private static final int ROWS = Integer.getInteger("holdfast.rows.figures.rows", 20_000);
    private static final int THREADS = 4;
    private static final int BATCH = 100;

    @Test
    void claimRateBesideANaiveSelectThenUpdate() throws Exception {
        List<String> lines = new ArrayList<>();
        for (Db db : Db.values()) {
            for (int round = 0; round < 2; round++) { // interleaved, the second round counts
                String queue = figure(db, true);
                String naive = figure(db, false);
                if (round == 1) {
                    lines.add(queue);
                    lines.add(naive);
                }
            }
        }
        System.out.printf("[rows figures] %,d rows, %d threads, batches of %d (claim + insert into an independent table + complete)%n",
                ROWS, THREADS, BATCH);
        lines.forEach(l -> System.out.println("[rows figures] " + l));
    }

    private static String figure(Db db, boolean claimQueue) throws Exception {
        String table = Db.unique("rf_queue");
        String processed = Db.unique("rf_done");
        db.createQueue(table, ROWS);
        db.createProcessed(processed);
        DEADLOCKS.set(0);
        try (HikariDataSource ds = db.pool(Db.unique("rf"), THREADS * 2 + 1);
                ClaimQueue queue = ClaimQueue.builder(ds, table, "id").pending("status", "PENDING").doneValue("DONE")
                        .claimTimeout(Duration.ofMinutes(1)).build()) {
            long start = System.nanoTime();
            List<CompletableFuture<Void>> threads = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                String name = "t" + i;
                threads.add(CompletableFuture.runAsync(() -> {
                    if (claimQueue) {
                        while (queue.process(BATCH, (rows, c) -> Processed.record(c, processed, rows, name)).claimed() > 0) {
                            // next batch
                        }
                    } else {
                        naive(ds, table, processed, name);
                    }
                }, r -> new Thread(r, name).start()));
            }
            CompletableFuture.allOf(threads.toArray(CompletableFuture[]::new)).get(300, TimeUnit.SECONDS);
            double seconds = (System.nanoTime() - start) / 1e9;
            long total = db.count("SELECT count(*) FROM " + processed);
            long distinct = db.count("SELECT count(DISTINCT id) FROM " + processed);
            assertThat(distinct).isEqualTo(ROWS);
            if (claimQueue) {
                assertThat(total).isEqualTo(ROWS);
            }
            return String.format("%-8s %-28s %,8.0f rows/s  (%.2f s)  processed %,d times for %,d rows: %,d duplicates, %d deadlocks",
                    db, claimQueue ? "ClaimQueue.process" : "naive select-then-update", ROWS / seconds, seconds, total, distinct,
                    total - distinct, DEADLOCKS.get());
        } finally {
            db.drop(table, processed);
        }
    }

    /** The naive claim: read some pending unowned ids, then mark them (no lock, no re-check), process, complete. */
    private static void naive(HikariDataSource ds, String table, String processed, String worker) {
        try (Connection c = ds.getConnection()) {
            while (true) {
                try {
                    if (!naiveBatch(c, table, processed, worker)) {
                        return;
                    }
                } catch (SQLException e) {
                    if (!"40P01".equals(e.getSQLState()) && e.getErrorCode() != 1213) {
                        throw e;
                    }
                    if (!c.getAutoCommit()) {
                        c.rollback();
                    }
                    // overlapping naive claims deadlock now and then: count it and go on
                    DEADLOCKS.incrementAndGet();
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static final java.util.concurrent.atomic.AtomicLong DEADLOCKS = new java.util.concurrent.atomic.AtomicLong();

    private static boolean naiveBatch(Connection c, String table, String processed, String worker) throws SQLException {
        {
            {
                c.setAutoCommit(true);
                List<Row> rows = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT id FROM " + table
                        + " WHERE status = 'PENDING' AND claimed_by IS NULL LIMIT " + BATCH); ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(Row.read(rs));
                    }
                }
                if (rows.isEmpty()) {
                    return false;
                }
                String in = Tx.placeholders(rows.size());
                List<Object> args = new ArrayList<>();
                args.add(worker);
                rows.forEach(r -> args.add(r.getLong("id")));
                Tx.update(c, "UPDATE " + table + " SET claimed_by = ? WHERE id IN (" + in + ")", args);
                c.setAutoCommit(false);
                Processed.record(c, processed, rows, worker);
                Tx.update(c, "UPDATE " + table + " SET status = 'DONE' WHERE id IN (" + in + ")", args.subList(1, args.size()));
                c.commit();
                return true;
            }
        }
    }
}
