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
import java.util.Arrays;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The figures of issue #3: round trips per acquire and per release (counted statements, asserted), and the
 * uncontended acquire+release rate of each provider beside the floor of two bare {@code SELECT 1} round
 * trips on the same pool (printed, never asserted). One thread, one free name per iteration.
 *
 * <p>Reproduce: {@code mvn -B -o -q -pl lock-jdbc verify -Dtest=JdbcLockFiguresTest -Dholdfast.figures.iterations=20000}
 * and read {@code lock-jdbc/target/surefire-reports/dev.holdfast.lock.jdbc.JdbcLockFiguresTest-output.txt}.
 */
class JdbcLockFiguresTest {

    @RegisterExtension
    static final TestDb PG = TestDb.postgres();
    @RegisterExtension
    static final TestDb MARIADB = TestDb.mariadb();

    private static final int ITERATIONS = Integer.getInteger("holdfast.figures.iterations", 3000);

    @Test
    void roundTripsPerOperationAreOneAndRatesArePrinted() throws SQLException {
        StringBuilder report = new StringBuilder(String.format(Locale.ROOT,
                "%n%-40s %8s %8s %10s %10s %8s%n", "uncontended, 1 thread (" + ITERATIONS + " ops)", "acq RT", "rel RT",
                "p50 us", "ops/s", "x floor"));
        for (String db : new String[] {"postgresql", "mariadb"}) {
            TestDb counted = db.equals("postgresql") ? PG : MARIADB;
            JdbcSettings settings = db.equals("postgresql") ? PostgresFixture.settings() : MariaDbFixture.settings();
            try (HikariDataSource pool = settings.newDataSource("holdfast-figures", 4)) {
                double floor = floor(pool, report, db);
                double commits = commitFloor(pool, report, db);
                if (db.equals("postgresql")) {
                    rawAdvisory(pool, report, floor);
                    measure(report, floor, "postgresql advisory provider", pool, counted,
                            ds -> PostgresAdvisoryLockProvider.builder(ds).createIfMissing(true).build());
                    measure(report, commits, "postgresql table provider (vs commits)", pool, counted,
                            ds -> JdbcTableLockProvider.builder(ds).createTableIfMissing(true).build());
                } else {
                    rawGetLock(pool, report, floor);
                    measure(report, floor, "mariadb GET_LOCK provider", pool, counted,
                            ds -> MysqlLockProvider.builder(ds).createIfMissing(true).build());
                    measure(report, commits, "mariadb table provider (vs commits)", pool, counted,
                            ds -> JdbcTableLockProvider.builder(ds).createTableIfMissing(true).build());
                }
            }
        }
        System.out.println(report);
    }

    /** Two bare round trips, each on a connection borrowed from the pool: the floor of acquire+release. */
    private static double floor(DataSource pool, StringBuilder report, String db) throws SQLException {
        long[] samples = new long[ITERATIONS];
        for (int round = 0; round < 2; round++) { // the first round warms up
            for (int i = 0; i < ITERATIONS; i++) {
                long t = System.nanoTime();
                for (int rt = 0; rt < 2; rt++) {
                    try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT 1")) {
                        ps.executeQuery().close();
                    }
                }
                samples[i] = System.nanoTime() - t;
            }
        }
        double p50 = p50(samples);
        line(report, db + " floor: 2 x SELECT 1 on the pool", "1", "1", p50, samples, p50);
        return p50;
    }

    /** Two single-row committed updates, each on a connection borrowed from the pool: the table lease's floor. */
    private static double commitFloor(DataSource pool, StringBuilder report, String db) throws SQLException {
        String table = "hf_floor_" + UUID.randomUUID().toString().substring(0, 8);
        try (Connection c = pool.getConnection(); var s = c.createStatement()) {
            s.execute("CREATE TABLE " + table + " (id INT PRIMARY KEY, n BIGINT NOT NULL)");
            s.execute("INSERT INTO " + table + " VALUES (1, 0)");
        }
        try {
            long[] samples = new long[ITERATIONS];
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < ITERATIONS; i++) {
                    long t = System.nanoTime();
                    for (int rt = 0; rt < 2; rt++) {
                        try (Connection c = pool.getConnection();
                             PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET n = n + 1 WHERE id = 1")) {
                            ps.executeUpdate();
                        }
                    }
                    samples[i] = System.nanoTime() - t;
                }
            }
            double p50 = p50(samples);
            line(report, db + " floor: 2 single-row commits", "1", "1", p50, samples, p50);
            return p50;
        } finally {
            try (Connection c = pool.getConnection(); var s = c.createStatement()) {
                s.execute("DROP TABLE " + table);
            }
        }
    }

    private static void rawGetLock(DataSource pool, StringBuilder report, double floor) throws SQLException {
        long[] samples = new long[ITERATIONS];
        String prefix = "raw-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        try (Connection c = pool.getConnection();
             PreparedStatement lock = c.prepareStatement("SELECT GET_LOCK(?, 0)");
             PreparedStatement unlock = c.prepareStatement("SELECT RELEASE_LOCK(?)")) {
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < ITERATIONS; i++) {
                    String key = prefix + i;
                    long t = System.nanoTime();
                    lock.setString(1, key);
                    lock.executeQuery().close();
                    unlock.setString(1, key);
                    unlock.executeQuery().close();
                    samples[i] = System.nanoTime() - t;
                }
            }
        }
        line(report, "raw GET_LOCK + RELEASE_LOCK", "1", "1", p50(samples), samples, floor);
    }

    private static void rawAdvisory(DataSource pool, StringBuilder report, double floor) throws SQLException {
        long[] samples = new long[ITERATIONS];
        String prefix = "raw-" + UUID.randomUUID();
        try (Connection c = pool.getConnection();
             PreparedStatement lock = c.prepareStatement("SELECT pg_try_advisory_lock(?)");
             PreparedStatement unlock = c.prepareStatement("SELECT pg_advisory_unlock(?)")) {
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < ITERATIONS; i++) {
                    long key = LockKeys.advisoryKey(prefix, Integer.toString(i));
                    long t = System.nanoTime();
                    lock.setLong(1, key);
                    lock.executeQuery().close();
                    unlock.setLong(1, key);
                    unlock.executeQuery().close();
                    samples[i] = System.nanoTime() - t;
                }
            }
        }
        line(report, "raw pg_try_advisory_lock + unlock", "1", "1", p50(samples), samples, floor);
    }

    private static void measure(StringBuilder report, double floor, String label, DataSource pool, TestDb counted,
                                Function<DataSource, LockProvider> factory) {
        // round trips: on a counting pool of the same database
        long acquireStatements;
        long releaseStatements;
        int n = 200;
        try (LockProvider p = factory.apply(counted.pool("holdfast-figures-count", 4, ConcurrentHashMap.newKeySet()))) {
            String prefix = "hf-rt-" + UUID.randomUUID() + "-";
            for (int i = 0; i < 50; i++) { // warm up: connect, create schema, prepare statements
                p.tryAcquire(LockRequest.of(prefix + "w" + i)).orElseThrow().release();
            }
            long acquire = 0;
            long release = 0;
            for (int i = 0; i < n; i++) {
                long before = counted.statements.get();
                Lease lease = p.tryAcquire(LockRequest.of(prefix + i)).orElseThrow();
                long between = counted.statements.get();
                lease.release();
                long after = counted.statements.get();
                acquire += between - before;
                release += after - between;
            }
            acquireStatements = acquire;
            releaseStatements = release;
        }
        assertThat(acquireStatements).as("%s: statements per acquire", label).isEqualTo(n);
        assertThat(releaseStatements).as("%s: statements per release", label).isEqualTo(n);

        long[] samples = new long[ITERATIONS];
        try (LockProvider p = factory.apply(pool)) {
            String prefix = "hf-rate-" + UUID.randomUUID() + "-";
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < ITERATIONS; i++) {
                    LockRequest request = LockRequest.of(prefix + (i % 64)); // the table provider reuses 64 rows
                    long t = System.nanoTime();
                    p.tryAcquire(request).orElseThrow().release();
                    samples[i] = System.nanoTime() - t;
                }
            }
        }
        line(report, label, fmt((double) acquireStatements / n), fmt((double) releaseStatements / n), p50(samples), samples, floor);
        handOff(report, label, pool, factory);
    }

    /** Release by one client to grant to another client already waiting (a process waiting for the lock). */
    private static void handOff(StringBuilder report, String label, DataSource pool, Function<DataSource, LockProvider> factory) {
        int rounds = 20;
        long[] samples = new long[rounds];
        var executor = java.util.concurrent.Executors.newSingleThreadExecutor();
        try (LockProvider holder = factory.apply(pool); LockProvider waiter = factory.apply(pool)) {
            String prefix = "hf-handoff-" + UUID.randomUUID() + "-";
            for (int i = 0; i < rounds; i++) {
                String name = prefix + i;
                Lease held = holder.tryAcquire(LockRequest.of(name)).orElseThrow();
                var got = executor.submit(() -> {
                    try (Lease l = waiter.acquire(LockRequest.named(name).waitTime(java.time.Duration.ofSeconds(10)).build())) {
                        return System.nanoTime();
                    }
                });
                dev.holdfast.lock.testkit.Await.sleep(java.time.Duration.ofMillis(60)); // the waiter is waiting
                long released = System.nanoTime();
                held.release();
                samples[i] = got.get(15, java.util.concurrent.TimeUnit.SECONDS) - released;
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            executor.shutdownNow();
        }
        report.append(String.format(Locale.ROOT, "%-40s %8s %8s %10.1f   (hand-off to a waiting client, p50 us)%n",
                "  hand-off", "", "", p50(samples)));
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    private static double p50(long[] samples) {
        long[] sorted = samples.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2] / 1000.0;
    }

    private static void line(StringBuilder report, String label, String acq, String rel, double p50, long[] samples, double floor) {
        double total = Arrays.stream(samples).sum() / 1e9;
        report.append(String.format(Locale.ROOT, "%-40s %8s %8s %10.1f %10.0f %8.2f%n", label, acq, rel, p50,
                samples.length / total, p50 / floor));
    }
}
