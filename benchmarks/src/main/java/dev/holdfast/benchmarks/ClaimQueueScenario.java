package dev.holdfast.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import dev.holdfast.lock.jdbc.rows.ClaimQueue;
import dev.holdfast.lock.jdbc.rows.Row;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Scenario 4: {@value #WORKERS} workers drain a table of pending jobs in batches of {@value #BATCH}. Each
 * batch's "work" inserts one row per job into a results table with no unique key, so a job done twice shows
 * up as a duplicate. Contenders, each on a fresh table, in rotating order:
 * <ul>
 *   <li>Holdfast {@link ClaimQueue#process}: claim (skip-locked), work and completion in one transaction;</li>
 *   <li>naive: {@code SELECT} pending unowned ids, {@code UPDATE} them as owned, work, {@code UPDATE} them done
 *       — each auto-committed, no lock and no re-check (what many hand-written pollers do);</li>
 *   <li>upper bound: one transaction that claims and completes at once ({@code UPDATE ... WHERE id IN (SELECT
 *       ... FOR UPDATE SKIP LOCKED) RETURNING} on PostgreSQL; {@code SELECT ... FOR UPDATE SKIP LOCKED} +
 *       {@code UPDATE} on MariaDB, which has no {@code UPDATE ... RETURNING}), then the work, one commit. It
 *       cannot survive a worker dying mid-batch (no claim outlives the transaction): a bound, not a peer.</li>
 * </ul>
 * The figure is correct rows per second: distinct jobs done ÷ time to drain (or the time cap).
 */
final class ClaimQueueScenario {

    static final int WORKERS = 8;
    static final int BATCH = 100;

    record Figure(Samples rates, AtomicLong once, AtomicLong twice, AtomicLong extra, AtomicLong errors) {
        Figure() {
            this(new Samples(), new AtomicLong(), new AtomicLong(), new AtomicLong(), new AtomicLong());
        }
    }

    private static final List<String> CONTENDERS = List.of("holdfast", "naive", "bound");
    private static final Map<String, String> LABELS = Map.of(
            "holdfast", "**Holdfast ClaimQueue.process**",
            "naive", "naive select-then-update",
            "bound", "_upper bound: claim + complete in one transaction_");

    private final Resources resources;
    private final int rows;
    private final int rounds;
    private final Duration cap;

    ClaimQueueScenario(Resources resources, Mode mode) {
        this.resources = resources;
        this.rows = mode.name().equals("smoke") ? 1_000 : mode.name().equals("quick") ? 20_000 : 100_000;
        this.rounds = Math.max(1, mode.handoffRounds());
        this.cap = mode.name().equals("smoke") ? Duration.ofSeconds(10) : Duration.ofSeconds(60);
    }

    Markdown run(Kind.Backend backend) throws Exception {
        Map<String, Figure> figures = new LinkedHashMap<>();
        CONTENDERS.forEach(c -> figures.put(c, new Figure()));
        try (HikariDataSource ds = resources.newPool(backend, "claims", WORKERS + 4)) {
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < CONTENDERS.size(); k++) {
                    String c = CONTENDERS.get((k + round) % CONTENDERS.size());
                    drain(backend, ds, c, figures.get(c), round);
                }
            }
        }
        double holdfast = figures.get("holdfast").rates().medianRate();
        Markdown m = new Markdown("Scenario 4 — claim queue, " + backend.title + ", " + WORKERS + " workers, batches of "
                + BATCH + ", " + String.format("%,d", rows) + " jobs per run", "contender", "correct rows/s", "× Holdfast",
                "jobs done once", "jobs done 2+ times", "extra executions", "errors (deadlocks etc.)");
        for (String c : CONTENDERS) {
            Figure f = figures.get(c);
            double rate = f.rates().medianRate();
            m.row(LABELS.get(c), Markdown.num(rate), Markdown.ratio(rate / holdfast), f.once().get(), f.twice().get(),
                    f.extra().get(), f.errors().get());
        }
        m.note("Correct rows/s: jobs whose work committed exactly once ÷ seconds to drain the table (median of " + rounds
                + " runs, each on a fresh table). Target: Holdfast at least 10× the naive claim's correct rows/s, "
                + "with no duplicates.");
        return m;
    }

    private void drain(Kind.Backend backend, HikariDataSource ds, String contender, Figure f, int round) throws Exception {
        String jobs = resources.runId + "_jobs_" + contender + round;
        String done = resources.runId + "_done_" + contender + round;
        create(backend, ds, jobs, done);
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        List<ClaimQueue> queues = new ArrayList<>();
        try {
            long deadline = System.nanoTime() + cap.toNanos();
            long start = System.nanoTime();
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < WORKERS; w++) {
                String worker = "w" + w;
                ClaimQueue q = contender.equals("holdfast")
                        ? ClaimQueue.builder(ds, jobs, "id").pending("status", "PENDING").doneValue("DONE")
                                .claimTimeout(Duration.ofMinutes(1)).workerId(worker).build()
                        : null;
                if (q != null) {
                    queues.add(q);
                }
                futures.add(pool.submit(() -> {
                    while (System.nanoTime() < deadline) {
                        try {
                            int n = switch (contender) {
                                case "holdfast" -> q.process(BATCH, (rs, c) -> work(c, done, ids(rs), worker)).claimed();
                                case "naive" -> naive(ds, jobs, done, worker);
                                default -> bound(backend, ds, jobs, done, worker);
                            };
                            if (n == 0) {
                                return null;
                            }
                        } catch (Exception e) {
                            f.errors().incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> fu : futures) {
                fu.get();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long[] counts = counts(ds, done);
            f.rates().rate(counts[2] / seconds);
            f.once().addAndGet(counts[2]);
            f.twice().addAndGet(counts[1] - counts[2]);
            f.extra().addAndGet(counts[0] - counts[1]);
        } finally {
            pool.shutdownNow();
            queues.forEach(ClaimQueue::close);
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("DROP TABLE " + jobs);
                st.execute("DROP TABLE " + done);
            }
        }
    }

    private void create(Kind.Backend backend, HikariDataSource ds, String jobs, String done) throws SQLException {
        boolean pg = backend == Kind.Backend.POSTGRESQL;
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + jobs + " (id BIGINT PRIMARY KEY, status VARCHAR(16) NOT NULL, claimed_by VARCHAR(100), "
                    + "claimed_at " + (pg ? "TIMESTAMPTZ" : "DATETIME(6)") + ", payload VARCHAR(64))");
            st.execute("CREATE INDEX " + jobs + "_status ON " + jobs + " (status)");
            st.execute("CREATE TABLE " + done + " (id BIGINT NOT NULL, worker VARCHAR(40) NOT NULL)");
            st.execute(pg
                    ? "INSERT INTO " + jobs + " (id, status, payload) SELECT g, 'PENDING', 'job ' || g FROM generate_series(1, " + rows + ") g"
                    : "INSERT INTO " + jobs + " (id, status, payload) SELECT seq, 'PENDING', CONCAT('job ', seq) FROM seq_1_to_" + rows);
            if (pg) {
                st.execute("ANALYZE " + jobs);
            }
        }
    }

    /** The work: one result row per job, written on the batch's connection. */
    private static void work(Connection c, String done, List<Long> ids, String worker) throws SQLException {
        if (ids.isEmpty()) {
            return;
        }
        StringBuilder sql = new StringBuilder("INSERT INTO " + done + " (id, worker) VALUES ");
        for (int i = 0; i < ids.size(); i++) {
            sql.append(i == 0 ? "(?, ?)" : ", (?, ?)");
        }
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < ids.size(); i++) {
                ps.setLong(2 * i + 1, ids.get(i));
                ps.setString(2 * i + 2, worker);
            }
            ps.executeUpdate();
        }
    }

    private static List<Long> ids(List<Row> rows) {
        List<Long> ids = new ArrayList<>(rows.size());
        rows.forEach(r -> ids.add(r.getLong("id")));
        return ids;
    }

    /** Naive: read pending unowned ids, mark them owned, work, mark them done; each statement auto-committed. */
    private static int naive(HikariDataSource ds, String jobs, String done, String worker) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(true);
            List<Long> ids = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT id FROM " + jobs
                    + " WHERE status = 'PENDING' AND claimed_by IS NULL ORDER BY id LIMIT " + BATCH);
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                }
            }
            if (ids.isEmpty()) {
                return 0;
            }
            String in = in(ids);
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + jobs + " SET claimed_by = ? WHERE id IN (" + in + ")")) {
                ps.setString(1, worker);
                ps.executeUpdate();
            }
            work(c, done, ids, worker);
            try (Statement st = c.createStatement()) {
                st.executeUpdate("UPDATE " + jobs + " SET status = 'DONE' WHERE id IN (" + in + ")");
            }
            return ids.size();
        }
    }

    /** The bound: claim and complete in one transaction (one statement on PostgreSQL), then the work, one commit. */
    private static int bound(Kind.Backend backend, HikariDataSource ds, String jobs, String done, String worker) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try {
                List<Long> ids = new ArrayList<>();
                if (backend == Kind.Backend.POSTGRESQL) {
                    try (PreparedStatement ps = c.prepareStatement("UPDATE " + jobs + " SET status = 'DONE' WHERE id IN (SELECT id FROM "
                            + jobs + " WHERE status = 'PENDING' LIMIT " + BATCH + " FOR UPDATE SKIP LOCKED) RETURNING id");
                         ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getLong(1));
                        }
                    }
                } else {
                    try (PreparedStatement ps = c.prepareStatement("SELECT id FROM " + jobs + " WHERE status = 'PENDING' LIMIT "
                            + BATCH + " FOR UPDATE SKIP LOCKED");
                         ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            ids.add(rs.getLong(1));
                        }
                    }
                    if (!ids.isEmpty()) {
                        try (Statement st = c.createStatement()) {
                            st.executeUpdate("UPDATE " + jobs + " SET status = 'DONE' WHERE id IN (" + in(ids) + ")");
                        }
                    }
                }
                work(c, done, ids, worker);
                c.commit();
                return ids.size();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private static String in(List<Long> ids) {
        StringBuilder sb = new StringBuilder();
        for (Long id : ids) {
            sb.append(sb.length() == 0 ? "" : ",").append(id.longValue());
        }
        return sb.toString();
    }

    /** {total result rows, distinct jobs among them, jobs done exactly once}. */
    private static long[] counts(HikariDataSource ds, String done) throws SQLException {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT sum(n), count(*), sum(CASE WHEN n = 1 THEN 1 ELSE 0 END) FROM "
                     + "(SELECT id, count(*) AS n FROM " + done + " GROUP BY id) per_job")) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
        }
    }

    /** Extra executions (a job's work committed more than once) Holdfast produced in a table (the smoke test's check). */
    static long holdfastDuplicates(Markdown m) {
        return m.rows().stream().filter(r -> r.get(0).startsWith("**Holdfast")).mapToLong(r -> Long.parseLong(r.get(5))).sum();
    }
}
