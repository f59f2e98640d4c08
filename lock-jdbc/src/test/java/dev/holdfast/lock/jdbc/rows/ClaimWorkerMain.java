package dev.holdfast.lock.jdbc.rows;

import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A worker JVM for {@link ClaimQueueTest}: drains the queue with two threads until no pending row is left.
 * Args: url user queueTable processedTable workerId slow (password in HOLDFAST_TEST_DB_PASSWORD). A slow
 * worker prints {@code IN-BATCH} and the batch's ids from inside its second batch's uncommitted transaction and then stalls there,
 * waiting to be killed.
 */
public final class ClaimWorkerMain {

    public static void main(String[] args) throws Exception {
        String url = args[0];
        String user = args[1];
        String queueTable = args[2];
        String processed = args[3];
        String worker = args[4];
        boolean slow = Boolean.parseBoolean(args[5]);
        String password = System.getenv().getOrDefault("HOLDFAST_TEST_DB_PASSWORD", "");
        try (HikariDataSource ds = Db.pool(url, user, password, worker, 5);
                ClaimQueue queue = ClaimQueue.builder(ds, queueTable, "id").pending("status", "PENDING").doneValue("DONE")
                        .claimTimeout(Duration.ofSeconds(ClaimQueueTest.CLAIM_TIMEOUT_SECONDS)).workerId(worker).build()) {
            List<Thread> threads = new ArrayList<>();
            int[] batches = new int[1];
            for (int i = 0; i < 2; i++) {
                String name = worker + "-" + i;
                Thread t = new Thread(() -> ClaimQueueTest.drain(ds, queue, queueTable, 100, (rows, c) -> {
                    Processed.record(c, processed, rows, name);
                    int n;
                    synchronized (batches) {
                        n = ++batches[0];
                    }
                    if (slow && n >= 2) {
                        System.out.println("IN-BATCH " + rows.stream().map(r -> String.valueOf(r.getLong("id")))
                                .collect(java.util.stream.Collectors.joining(",")));
                        System.out.flush();
                        try {
                            Thread.sleep(600_000);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }));
                t.start();
                threads.add(t);
            }
            System.out.println("STARTED");
            System.out.flush();
            for (Thread t : threads) {
                t.join();
            }
        }
        System.out.println("DONE");
    }
}
