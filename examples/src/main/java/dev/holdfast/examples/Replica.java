package dev.holdfast.examples;

import com.zaxxer.hikari.HikariDataSource;
import dev.holdfast.lock.LockProvider;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One replica of the "service": a separate JVM started by {@link Demo} with the same classpath. It takes
 * orders on stdin ({@code run <story> guarded|unguarded}, {@code exit}) and answers on stdout
 * ({@code ready}, {@code progress <n>}, {@code done}, {@code failed <reason>}).
 */
public final class Replica {

    private Replica() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err); // libraries that print must not garble the protocol
        System.setProperty("org.springframework.boot.logging.LoggingSystem", "none"); // slf4j-simple logs
        Settings settings = Settings.parse(args);
        int replica = settings.number("replica");
        int threads = settings.number("threads");
        String runId = settings.get("run-id");
        List<AutoCloseable> closeLater = new ArrayList<>();
        try (HikariDataSource data = settings.dataSource(settings.get("data-url"), 2 * threads + 4, "replica-" + replica);
             LockProvider locks = settings.lockProvider(data, runId, closeLater)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            // warm up (classes, a connection, the lock backend) so the replicas start their first story together
            new org.springframework.jdbc.core.JdbcTemplate(data).queryForObject("SELECT 1", Integer.class);
            locks.acquire(dev.holdfast.lock.LockRequest.of("demo-" + runId + ":warm-up-" + replica)).release();
            out.println("ready");
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line; (line = in.readLine()) != null && !line.equals("exit"); ) {
                String[] order = line.split(" ");
                Story story = Stories.byId(order[1]);
                boolean guarded = order[2].equals("guarded");
                AtomicLong progress = new AtomicLong();
                List<Future<?>> running = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    Job job = new Job(data, locks, guarded, replica, t, threads, settings.number("size"), runId, settings, progress);
                    running.add(pool.submit(() -> {
                        story.work(job);
                        return null;
                    }));
                }
                String failure = null;
                long reported = -1;
                for (Future<?> f : running) {
                    while (true) {
                        try {
                            f.get(250, TimeUnit.MILLISECONDS);
                            break;
                        } catch (java.util.concurrent.TimeoutException e) {
                            if (progress.get() != reported) {
                                reported = progress.get();
                                out.println("progress " + reported);
                            }
                        } catch (java.util.concurrent.ExecutionException e) {
                            e.getCause().printStackTrace();
                            failure = String.valueOf(e.getCause());
                            break;
                        }
                    }
                }
                out.println("progress " + progress.get());
                out.println(failure == null ? "done" : "failed " + failure.replace('\n', ' '));
            }
            pool.shutdownNow();
        } finally {
            for (AutoCloseable c : closeLater) {
                c.close();
            }
        }
        System.exit(0); // client libraries may leave non-daemon threads behind
    }
}
