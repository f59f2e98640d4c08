package dev.holdfast.lock.jdbc.rows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.holdfast.lock.testkit.Await;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ClaimQueueTest {

    static final int CLAIM_TIMEOUT_SECONDS = 4;
    static final int ROWS = 100_000;

    /** Processes batches until no row of {@code table} is pending (a dead worker's rows come back after the timeout). */
    static void drain(DataSource ds, ClaimQueue queue, String table, int batch, ClaimQueue.BatchWork work) {
        while (true) {
            ClaimQueue.Processed p = queue.process(batch, work);
            if (p.claimed() == 0) {
                if (pending(ds, table) == 0) {
                    return;
                }
                Await.sleep(Duration.ofMillis(50));
            }
        }
    }

    static long pending(DataSource ds, String table) {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table + " WHERE status = 'PENDING'")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @ParameterizedTest
    @EnumSource(Db.class)
    void eightThreadsAndTwoProcessesDrainEveryRowExactlyOnceWhenOneProcessIsKilledMidBatch(Db db) throws Exception {
        String queueTable = Db.unique("rq_queue");
        String processed = Db.unique("rq_done");
        db.createQueue(queueTable, ROWS);
        db.createProcessed(processed);
        List<Process> processes = new ArrayList<>();
        try (HikariDataSource ds = db.pool(Db.unique("rq-claim"), 12);
                ClaimQueue queue = ClaimQueue.builder(ds, queueTable, "id").pending("status", "PENDING").doneValue("DONE")
                        .claimTimeout(Duration.ofSeconds(CLAIM_TIMEOUT_SECONDS)).workerId("test-jvm").build()) {
            long start = System.nanoTime();
            Process victim = worker(db, queueTable, processed, "victim", true);
            Process other = worker(db, queueTable, processed, "other", false);
            processes.add(victim);
            processes.add(other);
            ConcurrentLinkedQueue<String> victimLines = lines(victim);
            ConcurrentLinkedQueue<String> otherLines = lines(other);
            // the processes take a moment to start: let them begin before the threads, so the victim gets a batch
            Await.until(Duration.ofSeconds(60), "both worker processes to start",
                    () -> victimLines.contains("STARTED") && otherLines.contains("STARTED"));
            List<CompletableFuture<Void>> threads = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                String name = "thread-" + i;
                threads.add(CompletableFuture.runAsync(() -> drain(ds, queue, queueTable, 100,
                        (rows, c) -> Processed.record(c, processed, rows, name)), runnable -> new Thread(runnable, name).start()));
            }
            String inBatch = Await.value(Duration.ofSeconds(90), "the victim process to be inside a batch",
                    () -> victimLines.stream().filter(l -> l.startsWith("IN-BATCH")).findFirst().orElse(null));
            victim.destroyForcibly(); // SIGKILL on Linux: its transaction and heartbeats die with it
            assertThat(victim.waitFor(10, TimeUnit.SECONDS)).isTrue();
            List<Long> victimIds = Arrays.stream(inBatch.substring("IN-BATCH ".length()).split(","))
                    .map(Long::parseLong).collect(Collectors.toList());
            CompletableFuture.allOf(threads.toArray(CompletableFuture[]::new)).get(180, TimeUnit.SECONDS);
            assertThat(other.waitFor(60, TimeUnit.SECONDS)).isTrue();
            double seconds = (System.nanoTime() - start) / 1e9;

            assertThat(db.count("SELECT count(*) FROM " + processed)).isEqualTo(ROWS);
            assertThat(db.count("SELECT count(DISTINCT id) FROM " + processed)).isEqualTo(ROWS);
            assertThat(db.count("SELECT count(*) FROM " + queueTable + " WHERE status = 'DONE'")).isEqualTo(ROWS);
            assertThat(victimIds).isNotEmpty();
            String in = victimIds.stream().map(String::valueOf).collect(Collectors.joining(","));
            assertThat(db.count("SELECT count(*) FROM " + processed + " WHERE id IN (" + in + ") AND worker NOT LIKE 'victim%'"))
                    .as("the killed batch's rows were reclaimed and done by others").isEqualTo(victimIds.size());
            System.out.printf("[rows] %s: %,d rows drained exactly once by 8 threads + 2 JVMs (one SIGKILLed mid-batch of %d) in %.1f s%n",
                    db, ROWS, victimIds.size(), seconds);
        } finally {
            processes.forEach(Process::destroyForcibly);
            db.drop(queueTable, processed);
        }
    }

    private static Process worker(Db db, String queueTable, String processed, String name, boolean slow) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                ClaimWorkerMain.class.getName(), db.settings().url(), db.settings().user(), queueTable, processed, name,
                String.valueOf(slow));
        pb.environment().put("HOLDFAST_TEST_DB_PASSWORD", db.settings().password());
        pb.redirectErrorStream(true);
        return pb.start();
    }

    private static ConcurrentLinkedQueue<String> lines(Process p) {
        ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                    if (!line.startsWith("IN-BATCH") && !line.equals("STARTED") && !line.equals("DONE")) {
                        System.out.println("[worker " + p.pid() + "] " + line);
                    }
                }
            } catch (java.io.IOException ignored) {
                // the process ended
            }
        });
        t.setDaemon(true);
        t.start();
        return lines;
    }

    @ParameterizedTest
    @EnumSource(Db.class)
    void aClaimNotHeartbeatenIsReclaimedAndItsOldOwnerCannotCompleteIt(Db db) {
        String table = Db.unique("rq_reclaim");
        db.createQueue(table, 10);
        try (HikariDataSource ds = db.pool(Db.unique("rq-reclaim"), 4);
                ClaimQueue a = ClaimQueue.builder(ds, table, "id").pending("status", "PENDING").doneValue("DONE")
                        .columns("payload").claimTimeout(Duration.ofMillis(500)).workerId("a").build();
                ClaimQueue b = ClaimQueue.builder(ds, table, "id").pending("status", "PENDING").doneValue("DONE")
                        .claimTimeout(Duration.ofMillis(500)).workerId("b").build()) {
            ClaimQueue.Batch first = a.claim(4);
            assertThat(first.rows()).hasSize(4);
            assertThat(first.rows().get(0).getString("payload")).startsWith("job ");
            ClaimQueue.Batch others = b.claim(100);
            assertThat(others.keys()).hasSize(6).doesNotContainAnyElementsOf(first.keys());
            assertThat(b.claim(100).rows()).isEmpty();
            assertThat(others.complete()).isEqualTo(6);
            assertThat(first.heartbeat()).isEqualTo(4);
            ClaimQueue.Batch reclaimed = Await.value(Duration.ofSeconds(30), "the claims to time out", () -> {
                ClaimQueue.Batch batch = b.claim(100);
                return batch.rows().isEmpty() ? null : batch;
            });
            assertThat(reclaimed.keys()).containsExactlyInAnyOrderElementsOf(first.keys());
            assertThat(first.complete()).isZero();
            assertThat(reclaimed.release()).isEqualTo(4);
            ClaimQueue.Batch again = a.claim(100);
            assertThat(again.keys()).containsExactlyInAnyOrderElementsOf(first.keys());
            assertThat(again.complete()).isEqualTo(4);
            assertThat(db.count("SELECT count(*) FROM " + table + " WHERE status = 'DONE'")).isEqualTo(10);
        } finally {
            db.drop(table);
        }
    }

    @ParameterizedTest
    @EnumSource(Db.class)
    void withoutADoneValueCompletedRowsAreDeletedAndAFailedBatchIsReleased(Db db) {
        String table = Db.unique("rq_delete");
        db.createQueue(table, 5);
        try (HikariDataSource ds = db.pool(Db.unique("rq-delete"), 4);
                ClaimQueue q = ClaimQueue.builder(ds, table, "id").pending("status", "PENDING").build()) {
            assertThatThrownBy(() -> q.process(10, (rows, c) -> {
                throw new IllegalStateException("work failed");
            })).hasMessage("work failed");
            // a claim taken over meanwhile (as by a worker that reclaimed it): the whole batch rolls back
            ClaimQueue.Processed lost = q.process(10, (rows, c) ->
                    db.exec("UPDATE " + table + " SET claimed_by = 'thief' WHERE id = " + rows.get(0).getLong("id")));
            assertThat(lost).isEqualTo(new ClaimQueue.Processed(5, 0));
            assertThat(db.count("SELECT count(*) FROM " + table + " WHERE claimed_by IS NULL")).isEqualTo(4);
            assertThat(q.process(10, (rows, c) -> { }).completed()).isEqualTo(4);
            assertThat(db.count("SELECT count(*) FROM " + table)).isEqualTo(1);
        } finally {
            db.drop(table);
        }
    }

    @ParameterizedTest
    @EnumSource(Db.class)
    void configuredNamesAreCheckedAndQuoted(Db db) {
        try (HikariDataSource ds = db.pool(Db.unique("rq-names"), 1)) {
            assertThatThrownBy(() -> ClaimQueue.builder(ds, "jobs; DROP TABLE x", "id")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ClaimQueue.builder(ds, "jobs", "id").pending("status`", "P")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ClaimQueue.builder(ds, "jobs", "id").build()).isInstanceOf(IllegalStateException.class);
            // a reserved word works as a column name because every identifier is quoted
            String table = Db.unique("rq_quoted");
            db.exec("CREATE TABLE " + table + " (id BIGINT PRIMARY KEY, " + (db == Db.POSTGRES ? "\"order\"" : "`order`")
                    + " VARCHAR(10), claimed_by VARCHAR(100), claimed_at " + db.timestamp() + ")",
                    "INSERT INTO " + table + " VALUES (1, 'new', NULL, NULL)");
            // names are read as the database reads unquoted ones: PostgreSQL folds them to lower case
            String configured = db == Db.POSTGRES ? table.toUpperCase(java.util.Locale.ROOT) : table;
            assertThatThrownBy(() -> ClaimQueue.builder(ds, configured, "x.id")).isInstanceOf(IllegalArgumentException.class);
            try (ClaimQueue q = ClaimQueue.builder(ds, configured, "ID").pending("Order", "new").doneValue("old").build()) {
                assertThat(q.process(10, (rows, c) -> { }).completed()).isEqualTo(1);
            } finally {
                db.drop(table);
            }
        }
    }
}
