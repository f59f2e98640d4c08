package dev.holdfast.examples;

import com.zaxxer.hikari.HikariDataSource;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * The demo: runs every story twice, unguarded and guarded, on several replica processes with several
 * threads each, and prints what each run left behind. Exits non-zero if a guarded run did something twice
 * or left something undone.
 *
 * <pre>
 * java -jar examples/target/holdfast-demo.jar                      # embedded PostgreSQL, nothing to install
 * java -jar examples/target/holdfast-demo.jar --backend mariadb    # jdbc:mariadb://127.0.0.1:3306/test
 * java -jar examples/target/holdfast-demo.jar --backend redis --redis redis://127.0.0.1:6379
 * java -jar examples/target/holdfast-demo.jar --backend zookeeper  # in-process ZooKeeper unless --zookeeper host:port
 * </pre>
 */
public final class Demo {

    private static final String USAGE = """
            Holdfast demo: the "it ran twice" stories, unguarded and then guarded.

              --backend postgres|mariadb|redis|zookeeper   where the locks come from (default postgres)
              --jdbc-url URL        the SQL database for data (and locks with postgres/mariadb);
                                    default: an embedded PostgreSQL, or jdbc:mariadb://127.0.0.1:3306/test
                                    with --backend mariadb
              --jdbc-user U --jdbc-password P
              --redis redis://host:port       (--backend redis; default redis://127.0.0.1:6379)
              --zookeeper host:port           (--backend zookeeper; default: an in-process ZooKeeper)
              --replicas N   worker processes (default 3)     --threads N   threads each (default 4)
              --size N       items per story (default 120)    --stories a,b   only these (%s)
            """;

    private Demo() {
    }

    public static void main(String[] args) {
        System.exit(run(System.out, args));
    }

    /** Runs the demo, printing to {@code out}; returns the exit status. */
    public static int run(PrintStream out, String... args) {
        Settings settings;
        try {
            settings = Settings.parse(args);
        } catch (IllegalArgumentException e) {
            out.println(e.getMessage());
            out.printf(USAGE, ids());
            return 2;
        }
        if (settings.values.containsKey("help")) {
            out.printf(USAGE, ids());
            return 0;
        }
        String runId = UUID.randomUUID().toString().substring(0, 8);
        List<Story> stories = Stories.all();
        if (settings.values.containsKey("stories")) {
            List<String> wanted = Arrays.asList(settings.get("stories").split(","));
            stories = wanted.stream().map(Stories::byId).toList();
        }
        try (Infrastructure infra = Infrastructure.start(settings, runId, out)) {
            return new Demo.Runner(out, infra.settings, runId).runAll(stories, infra.data);
        } catch (Exception e) {
            out.println("demo failed: " + e);
            e.printStackTrace(out);
            return 1;
        }
    }

    private static String ids() {
        return String.join(", ", Stories.all().stream().map(Story::id).toList());
    }

    /** Starts the replicas, runs the stories, prints the table. */
    private static final class Runner {
        private final PrintStream out;
        private final Settings settings;
        private final String runId;

        Runner(PrintStream out, Settings settings, String runId) {
            this.out = out;
            this.settings = settings;
            this.runId = runId;
        }

        int runAll(List<Story> stories, HikariDataSource data) throws Exception {
            int replicas = settings.number("replicas");
            int size = settings.number("size");
            out.printf("%d stories, each run unguarded, then guarded, by %d replica processes x %d threads%n%n",
                    stories.size(), replicas, settings.number("threads"));
            List<String[]> rows = new ArrayList<>();
            boolean allClean = true;
            try (Replicas fleet = Replicas.launch(settings, runId)) {
                int n = 0;
                for (Story story : stories) {
                    out.printf("[%d/%d] %s  (%s)%n", ++n, stories.size(), story.title(), story.scale(size));
                    Story.Tally broken = runOnce(fleet, story, data, size, false);
                    Story.Tally fixed = runOnce(fleet, story, data, size, true);
                    allClean &= fixed.clean();
                    rows.add(new String[] {story.title(), story.feature(), describe(broken), describe(fixed)});
                }
            }
            out.println();
            table(rows);
            out.println();
            out.println(allClean
                    ? "Every guarded run: nothing done twice, nothing lost."
                    : "FAILED: a guarded run did something twice or lost something (see above).");
            return allClean ? 0 : 1;
        }

        private Story.Tally runOnce(Replicas fleet, Story story, HikariDataSource data, int size, boolean guarded)
                throws Exception {
            String mode = guarded ? "guarded" : "unguarded";
            story.prepare(data, size);
            long start = System.nanoTime();
            fleet.run(story.id() + " " + mode, done ->
                    out.printf("      ... %s run: %d done so far%n", mode, done));
            Story.Tally tally = story.tally(data, size, settings.number("replicas") * settings.number("threads"));
            out.printf("      %-10s %-24s %5.1f s%s%n", mode + ":", describe(tally),
                    (System.nanoTime() - start) / 1e9, guarded ? "   with " + story.feature() : "");
            return tally;
        }

        private static String describe(Story.Tally t) {
            return t.duplicates() + " duplicate" + (t.duplicates() == 1 ? "" : "s") + ", " + t.lost() + " lost";
        }

        private void table(List<String[]> rows) {
            String[] head = {"story", "Holdfast feature (guarded run)", "unguarded", "guarded"};
            int[] w = new int[head.length];
            for (int i = 0; i < head.length; i++) {
                w[i] = head[i].length();
                for (String[] r : rows) {
                    w[i] = Math.max(w[i], r[i].length());
                }
            }
            String format = "%-" + w[0] + "s  %-" + w[1] + "s  %-" + w[2] + "s  %-" + w[3] + "s%n";
            out.printf(format, (Object[]) head);
            out.printf(format, "-".repeat(w[0]), "-".repeat(w[1]), "-".repeat(w[2]), "-".repeat(w[3]));
            for (String[] r : rows) {
                out.printf(format, (Object[]) r);
            }
        }
    }

    /** The replica processes: same classpath, separate JVMs, orders on stdin, answers on stdout. */
    static final class Replicas implements AutoCloseable {
        private final List<Process> processes = new ArrayList<>();
        private final List<Writer> orders = new ArrayList<>();
        private final List<Path> logs = new ArrayList<>();
        private final BlockingQueue<String> answers = new LinkedBlockingQueue<>();
        private final AtomicLongArray progress;

        private Replicas(int n) {
            progress = new AtomicLongArray(n);
        }

        static Replicas launch(Settings settings, String runId) throws IOException, InterruptedException {
            int n = settings.number("replicas");
            Replicas fleet = new Replicas(n);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            String classpath = System.getProperty("holdfast.demo.classpath", System.getProperty("java.class.path"));
            try {
                for (int i = 0; i < n; i++) {
                    List<String> command = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                            "-Xmx256m", "-cp", classpath, Replica.class.getName()));
                    command.addAll(settings.with("replica", String.valueOf(i)).asArgs());
                    Path log = Files.createTempFile("holdfast-demo-replica-" + i + "-", ".log");
                    log.toFile().deleteOnExit();
                    Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
                    fleet.processes.add(p);
                    fleet.logs.add(log);
                    fleet.orders.add(new java.io.OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8));
                    fleet.listen(i, p);
                }
                fleet.await("ready", 120);
                return fleet;
            } catch (IOException | RuntimeException | InterruptedException e) {
                fleet.close();
                throw e;
            }
        }

        private void listen(int replica, Process p) {
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        if (line.startsWith("progress ")) {
                            progress.set(replica, Long.parseLong(line.substring(9).trim()));
                        } else {
                            answers.add(replica + " " + line);
                        }
                    }
                } catch (IOException ignored) {
                    // the process ended
                }
                answers.add(replica + " exited");
            }, "replica-" + replica + "-reader");
            t.setDaemon(true);
            t.start();
        }

        interface ProgressLine {
            void print(long itemsDone);
        }

        /** Sends {@code order} to every replica and waits until each answers done. */
        void run(String order, ProgressLine progressLine) throws IOException, InterruptedException {
            for (int i = 0; i < progress.length(); i++) {
                progress.set(i, 0);
            }
            for (Writer w : orders) {
                w.write("run " + order + "\n");
                w.flush();
            }
            await("done", 600, progressLine);
        }

        private void await(String expected, int timeoutSeconds) throws InterruptedException {
            await(expected, timeoutSeconds, done -> { });
        }

        private void await(String expected, int timeoutSeconds, ProgressLine progressLine) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
            long nextProgress = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            int pending = processes.size();
            while (pending > 0) {
                String answer = answers.poll(200, TimeUnit.MILLISECONDS);
                if (answer == null) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("replicas did not answer '" + expected + "' within "
                                + timeoutSeconds + " s" + logTails());
                    }
                    if (System.nanoTime() > nextProgress) {
                        long done = 0;
                        for (int i = 0; i < progress.length(); i++) {
                            done += progress.get(i);
                        }
                        progressLine.print(done);
                        nextProgress = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
                    }
                    continue;
                }
                String what = answer.substring(answer.indexOf(' ') + 1);
                if (what.equals(expected)) {
                    pending--;
                } else {
                    throw new IllegalStateException("replica " + answer + logTails());
                }
            }
        }

        private String logTails() {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < logs.size(); i++) {
                try {
                    List<String> lines = Files.readAllLines(logs.get(i), StandardCharsets.UTF_8);
                    if (!lines.isEmpty()) {
                        sb.append("\n--- replica ").append(i).append(" stderr (last lines) ---\n");
                        sb.append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size())));
                    }
                } catch (IOException ignored) {
                    // no log
                }
            }
            return sb.toString();
        }

        @Override
        public void close() {
            for (Writer w : orders) {
                try {
                    w.write("exit\n");
                    w.flush();
                } catch (IOException ignored) {
                    // already gone
                }
            }
            for (Process p : processes) {
                try {
                    if (!p.waitFor(20, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
            }
            for (Path log : logs) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // temp file
                }
            }
        }
    }

    /** The databases and servers of one demo run; embedded ones are started here and stopped at close. */
    static final class Infrastructure implements AutoCloseable {
        final Settings settings;
        final HikariDataSource data;
        private final List<AutoCloseable> stopLater;
        private final Runnable dropSchema;

        private Infrastructure(Settings settings, HikariDataSource data, List<AutoCloseable> stopLater, Runnable dropSchema) {
            this.settings = settings;
            this.data = data;
            this.stopLater = stopLater;
            this.dropSchema = dropSchema;
        }

        static Infrastructure start(Settings settings, String runId, PrintStream out) throws Exception {
            List<AutoCloseable> stopLater = new ArrayList<>();
            try {
                String dataDescription;
                String url = settings.get("jdbc-url", "");
                if (url.isEmpty() && settings.mariadbData()) {
                    url = "jdbc:mariadb://127.0.0.1:3306/test?sslMode=disable";
                }
                if (url.isEmpty()) {
                    long t0 = System.nanoTime();
                    var pg = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().start();
                    stopLater.add(pg);
                    url = pg.getJdbcUrl("postgres", "postgres");
                    dataDescription = String.format(Locale.ROOT, "embedded PostgreSQL (io.zonky, started in %.1f s)",
                            (System.nanoTime() - t0) / 1e9);
                } else {
                    dataDescription = url.replaceAll("password=[^&]*", "password=***");
                }
                String schema = "holdfast_demo_" + runId;
                Settings s = settings.with("jdbc-url", url).with("run-id", runId);
                try (HikariDataSource admin = s.dataSource(url, 1, "demo-admin")) {
                    new JdbcTemplate(admin).execute((settings.mariadbData() ? "CREATE DATABASE " : "CREATE SCHEMA ") + schema);
                }
                String dataUrl = settings.mariadbData() ? withDatabase(url, schema)
                        : url + (url.contains("?") ? "&" : "?") + "currentSchema=" + schema;
                s = s.with("data-url", dataUrl);
                final Settings fin = s;
                final String adminUrl = url;
                Runnable drop = () -> {
                    try (HikariDataSource admin = fin.dataSource(adminUrl, 1, "demo-admin")) {
                        new JdbcTemplate(admin).execute(fin.mariadbData() ? "DROP DATABASE " + schema
                                : "DROP SCHEMA " + schema + " CASCADE");
                    }
                };
                String locks;
                switch (settings.backend()) {
                    case "postgres" -> locks = "PostgreSQL advisory locks (PostgresAdvisoryLockProvider), same database";
                    case "mariadb" -> locks = "MariaDB GET_LOCK (MysqlLockProvider), same database";
                    case "redis" -> locks = "Redis at " + s.get("redis", "redis://127.0.0.1:6379") + " (RedisLockProvider)";
                    default -> {
                        if (!s.values.containsKey("zookeeper")) {
                            var zk = new org.apache.curator.test.TestingServer(true);
                            stopLater.add(zk);
                            s = s.with("zookeeper", zk.getConnectString());
                            locks = "in-process ZooKeeper at " + zk.getConnectString() + " (ZookeeperLockProvider)";
                        } else {
                            locks = "ZooKeeper at " + s.get("zookeeper") + " (ZookeeperLockProvider)";
                        }
                    }
                }
                HikariDataSource data = s.dataSource(dataUrl, 4, "demo");
                // the lock backend's own objects (fencing sequence or table), created once before the replicas start
                s.prepareLockBackend(data, runId);
                out.println("Holdfast demo");
                out.println("  data:  " + dataDescription + ", schema " + schema);
                out.println("  locks: " + locks);
                return new Infrastructure(s, data, stopLater, drop);
            } catch (Exception e) {
                closeAll(stopLater);
                throw e;
            }
        }

        private static String withDatabase(String url, String database) {
            int query = url.indexOf('?');
            String base = query < 0 ? url : url.substring(0, query);
            String params = query < 0 ? "" : url.substring(query);
            int slash = base.indexOf('/', "jdbc:mariadb://".length());
            return (slash < 0 ? base : base.substring(0, slash)) + "/" + database + params;
        }

        @Override
        public void close() {
            data.close();
            try {
                settings.cleanUpLockBackend(settings.get("run-id"));
            } catch (Exception e) {
                System.err.println("could not delete the demo's lock keys/nodes: " + e);
            }
            try {
                dropSchema.run();
            } catch (RuntimeException e) {
                System.err.println("could not drop the demo's schema: " + e);
            }
            closeAll(stopLater);
        }

        private static void closeAll(List<AutoCloseable> all) {
            for (AutoCloseable c : all) {
                try {
                    c.close();
                } catch (Exception e) {
                    System.err.println("could not stop " + c + ": " + e);
                }
            }
        }
    }

}
