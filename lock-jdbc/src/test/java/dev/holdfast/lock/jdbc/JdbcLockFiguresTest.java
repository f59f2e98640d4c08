package dev.holdfast.lock.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.testkit.fixtures.JdbcSettings;
import dev.holdfast.lock.testkit.fixtures.MariaDbFixture;
import dev.holdfast.lock.testkit.fixtures.PostgresFixture;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The JDBC providers' figures: round trips per acquire and per release (counted statements, asserted), and the
 * uncontended acquire+release latency of each provider beside its floor on the same pool — two bare
 * {@code SELECT 1} round trips, and for the table leases two single-row commits — printed, never asserted.
 * One thread; the measured operations run interleaved in blocks, so machine noise hits them alike.
 *
 * <p>Reproduce: {@code mvn -B -o -q -pl lock-jdbc verify -Dtest=JdbcLockFiguresTest -Dholdfast.figures.iterations=20000}
 * and read {@code lock-jdbc/target/surefire-reports/dev.holdfast.lock.jdbc.JdbcLockFiguresTest-output.txt}.
 */
class JdbcLockFiguresTest {

    @RegisterExtension
    static final TestDb PG = TestDb.postgres();
    @RegisterExtension
    static final TestDb MARIADB = TestDb.mariadb();

    private static final int ITERATIONS = Integer.getInteger("holdfast.figures.iterations", 1500);
    private static final int BLOCK = 250;

    /** One measured iteration. */
    private interface Op {
        void run(int i) throws Exception;
    }

    @Test
    void roundTripsPerOperationAreOneAndLatenciesArePrinted() throws Exception {
        StringBuilder report = new StringBuilder(String.format(Locale.ROOT,
                "%n%-44s %7s %7s %9s %9s %8s%n", "uncontended, 1 thread, " + ITERATIONS + " ops each", "acq RT", "rel RT",
                "p50 us", "ops/s", "x floor"));
        postgres(report);
        mariadb(report);
        System.out.println(report);
    }

    private void postgres(StringBuilder report) throws Exception {
        JdbcSettings settings = PostgresFixture.settings();
        try (HikariDataSource pool = settings.newDataSource("holdfast-figures", 10);
             CommitTable commits = new CommitTable(pool);
             Connection raw = pool.getConnection();
             PreparedStatement lock = raw.prepareStatement("SELECT pg_try_advisory_lock(?)");
             PreparedStatement unlock = raw.prepareStatement("SELECT pg_advisory_unlock(?)");
             LockProvider advisory = PostgresAdvisoryLockProvider.builder(pool).createIfMissing(true).build();
             LockProvider table = JdbcTableLockProvider.builder(pool).createIfMissing(true).build()) {
            String[] rt = {
                    roundTrips(PG, ds -> PostgresAdvisoryLockProvider.builder(ds).createIfMissing(true).build()),
                    roundTrips(PG, ds -> JdbcTableLockProvider.builder(ds).createIfMissing(true).build())};
            String prefix = "hf-rate-" + UUID.randomUUID() + "-";
            // the commit-bound pair runs apart from the round-trip-bound ones, so fsync traffic does not skew them
            Map<String, Op> ops = new LinkedHashMap<>();
            Map<String, Op> durable = new LinkedHashMap<>();
            ops.put("floor", i -> selectOneTwice(pool));
            durable.put("commits", i -> commits.twice());
            ops.put("raw", i -> {
                long key = LockKeys.advisoryKey(prefix, Integer.toString(i));
                lock.setLong(1, key);
                lock.executeQuery().close();
                unlock.setLong(1, key);
                unlock.executeQuery().close();
            });
            ops.put("advisory", i -> advisory.tryAcquire(LockRequest.of(prefix + i)).orElseThrow().release());
            durable.put("table", i -> table.tryAcquire(LockRequest.of(prefix + (i % 64))).orElseThrow().release());
            Map<String, long[]> s = interleaved(ops);
            s.putAll(interleaved(durable));
            double floor = p50(s.get("floor"));
            double commitFloor = p50(s.get("commits"));
            line(report, "postgresql floor: 2 x SELECT 1 on the pool", "1", "1", s.get("floor"), floor);
            line(report, "postgresql floor: 2 single-row commits", "1", "1", s.get("commits"), commitFloor);
            line(report, "raw pg_try_advisory_lock + pg_advisory_unlock", "1", "1", s.get("raw"), floor);
            line(report, "PostgresAdvisoryLockProvider", rt[0], rt[0], s.get("advisory"), floor);
            line(report, "JdbcTableLockProvider (x commit floor)", rt[1], rt[1], s.get("table"), commitFloor);
            handOff(report, "  hand-off, advisory (LISTEN/NOTIFY)", pool,
                    ds -> PostgresAdvisoryLockProvider.builder(ds).build());
            handOff(report, "  hand-off, table (LISTEN/NOTIFY)", pool, ds -> JdbcTableLockProvider.builder(ds).build());
        }
    }

    private void mariadb(StringBuilder report) throws Exception {
        JdbcSettings settings = MariaDbFixture.settings();
        try (HikariDataSource pool = settings.newDataSource("holdfast-figures", 10);
             CommitTable commits = new CommitTable(pool);
             Connection raw = pool.getConnection();
             PreparedStatement lock = raw.prepareStatement("SELECT GET_LOCK(?, 0)");
             PreparedStatement unlock = raw.prepareStatement("SELECT RELEASE_LOCK(?)");
             LockProvider getLock = MysqlLockProvider.builder(pool).createIfMissing(true).build();
             LockProvider table = JdbcTableLockProvider.builder(pool).createIfMissing(true).build()) {
            String[] rt = {
                    roundTrips(MARIADB, ds -> MysqlLockProvider.builder(ds).createIfMissing(true).build()),
                    roundTrips(MARIADB, ds -> JdbcTableLockProvider.builder(ds).createIfMissing(true).build())};
            String prefix = "hf-rate-" + UUID.randomUUID().toString().substring(0, 8) + "-";
            // the commit-bound pair runs apart from the round-trip-bound ones, so fsync traffic does not skew them
            Map<String, Op> ops = new LinkedHashMap<>();
            Map<String, Op> durable = new LinkedHashMap<>();
            ops.put("floor", i -> selectOneTwice(pool));
            durable.put("commits", i -> commits.twice());
            ops.put("raw", i -> {
                lock.setString(1, prefix + i);
                lock.executeQuery().close();
                unlock.setString(1, prefix + i);
                unlock.executeQuery().close();
            });
            ops.put("getlock", i -> getLock.tryAcquire(LockRequest.of(prefix + i)).orElseThrow().release());
            durable.put("table", i -> table.tryAcquire(LockRequest.of(prefix + (i % 64))).orElseThrow().release());
            Map<String, long[]> s = interleaved(ops);
            s.putAll(interleaved(durable));
            double floor = p50(s.get("floor"));
            double commitFloor = p50(s.get("commits"));
            line(report, "mariadb floor: 2 x SELECT 1 on the pool", "1", "1", s.get("floor"), floor);
            line(report, "mariadb floor: 2 single-row commits", "1", "1", s.get("commits"), commitFloor);
            line(report, "raw GET_LOCK + RELEASE_LOCK", "1", "1", s.get("raw"), floor);
            line(report, "MysqlLockProvider (GET_LOCK)", rt[0], rt[0], s.get("getlock"), floor);
            line(report, "JdbcTableLockProvider (x commit floor)", rt[1], rt[1], s.get("table"), commitFloor);
            handOff(report, "  hand-off, GET_LOCK (backoff polling)", pool, ds -> MysqlLockProvider.builder(ds).build());
            handOff(report, "  hand-off, table (backoff polling)", pool, ds -> JdbcTableLockProvider.builder(ds).build());
        }
    }

    /** Runs every op ITERATIONS times (after a warm-up), in round-robin blocks; the samples in ns per op. */
    private static Map<String, long[]> interleaved(Map<String, Op> ops) throws Exception {
        for (Op op : ops.values()) {
            for (int i = 0; i < 500; i++) {
                op.run(1_000_000 + i);
            }
        }
        Map<String, long[]> samples = new LinkedHashMap<>();
        ops.keySet().forEach(k -> samples.put(k, new long[ITERATIONS]));
        for (int from = 0; from < ITERATIONS; from += BLOCK) {
            for (Map.Entry<String, Op> e : ops.entrySet()) {
                long[] out = samples.get(e.getKey());
                for (int i = from; i < Math.min(ITERATIONS, from + BLOCK); i++) {
                    long t = System.nanoTime();
                    e.getValue().run(i);
                    out[i] = System.nanoTime() - t;
                }
            }
        }
        return samples;
    }

    private static void selectOneTwice(DataSource pool) throws SQLException {
        for (int rt = 0; rt < 2; rt++) {
            try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT 1")) {
                ps.executeQuery().close();
            }
        }
    }

    /** A one-row table for the floor of two single-row commits, dropped afterwards. */
    private static final class CommitTable implements AutoCloseable {
        private final DataSource pool;
        private final String table = "hf_floor_" + UUID.randomUUID().toString().substring(0, 8);

        CommitTable(DataSource pool) throws SQLException {
            this.pool = pool;
            try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE " + table + " (id INT PRIMARY KEY, n BIGINT NOT NULL)");
                s.execute("INSERT INTO " + table + " VALUES (1, 0)");
            }
        }

        void twice() throws SQLException {
            for (int rt = 0; rt < 2; rt++) {
                try (Connection c = pool.getConnection();
                     PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET n = n + 1 WHERE id = 1")) {
                    ps.executeUpdate();
                }
            }
        }

        @Override
        public void close() throws SQLException {
            try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP TABLE " + table);
            }
        }
    }

    /** Statements per acquire and per release, counted on a pool of the same database; asserted to be one each. */
    private static String roundTrips(TestDb db, Function<DataSource, LockProvider> factory) {
        int n = 200;
        long acquire = 0;
        long release = 0;
        try (LockProvider p = factory.apply(db.pool("holdfast-figures-count", 4, ConcurrentHashMap.newKeySet()))) {
            String prefix = "hf-rt-" + UUID.randomUUID().toString().substring(0, 8) + "-";
            for (int i = 0; i < 50; i++) { // warm up: connect, create the schema
                p.tryAcquire(LockRequest.of(prefix + "w" + i)).orElseThrow().release();
            }
            for (int i = 0; i < n; i++) {
                long before = db.statements.get();
                Lease lease = p.tryAcquire(LockRequest.of(prefix + i)).orElseThrow();
                long between = db.statements.get();
                lease.release();
                acquire += between - before;
                release += db.statements.get() - between;
            }
        }
        assertThat(acquire).as("%s: statements per acquire", factory).isEqualTo(n);
        assertThat(release).as("%s: statements per release", factory).isEqualTo(n);
        return String.format(Locale.ROOT, "%.2f", (double) acquire / n);
    }

    /** Release by one client to the grant of another client already waiting (like another process). */
    private static void handOff(StringBuilder report, String label, DataSource pool, Function<DataSource, LockProvider> factory)
            throws Exception {
        int rounds = 20;
        long[] samples = new long[rounds];
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (LockProvider holder = factory.apply(pool); LockProvider waiter = factory.apply(pool)) {
            String prefix = "hf-handoff-" + UUID.randomUUID() + "-";
            for (int i = 0; i < rounds; i++) {
                String name = prefix + i;
                Lease held = holder.tryAcquire(LockRequest.of(name)).orElseThrow();
                Future<Long> got = executor.submit(() -> {
                    try (Lease l = waiter.acquire(LockRequest.named(name).waitTime(Duration.ofSeconds(30)).build())) {
                        return System.nanoTime();
                    }
                });
                Thread.sleep(60); // the waiter is waiting
                long released = System.nanoTime();
                held.release();
                samples[i] = got.get(45, TimeUnit.SECONDS) - released;
            }
        } finally {
            executor.shutdownNow();
        }
        long[] sorted = samples.clone();
        Arrays.sort(sorted);
        report.append(String.format(Locale.ROOT, "%-44s %7s %7s %9.1f   (p50 us from release to the waiter's grant; max %.1f)%n",
                label, "", "", sorted[rounds / 2] / 1000.0, sorted[rounds - 1] / 1000.0));
    }

    private static double p50(long[] samples) {
        long[] sorted = samples.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2] / 1000.0;
    }

    private static void line(StringBuilder report, String label, String acq, String rel, long[] samples, double floor) {
        double p50 = p50(samples);
        double total = Arrays.stream(samples).sum() / 1e9;
        report.append(String.format(Locale.ROOT, "%-44s %7s %7s %9.1f %9.0f %8.2f%n", label, acq, rel, p50,
                samples.length / total, p50 / floor));
    }
}
