package dev.holdfast.lock.zookeeper;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.testkit.fixtures.ZookeeperFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.zookeeper.CreateMode;
import org.junit.jupiter.api.Test;

/**
 * Measures (prints, asserts nothing) Holdfast's ZooKeeper provider beside Curator's own InterProcessMutex
 * and the bare floor, on one in-process TestingServer in one run. Not part of {@code verify} (the name does
 * not end in Test); run it with:
 *
 * <pre>
 * mvn -B -o -q -pl lock-zookeeper test -Dtest=ZookeeperLockBenchmark -Dbench.iterations=3000 -Dbench.handoffs=300
 * cat lock-zookeeper/target/surefire-reports/dev.holdfast.lock.zookeeper.ZookeeperLockBenchmark-output.txt
 * </pre>
 */
class ZookeeperLockBenchmark {

    private static final int ITERATIONS = Integer.getInteger("bench.iterations", 3000);
    private static final int HANDOFFS = Integer.getInteger("bench.handoffs", 300);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
    private final Map<String, List<double[]>> results = new LinkedHashMap<>();

    @Test
    void measure() throws Exception {
        try (ZookeeperFixture zk = ZookeeperFixture.open(); ZkClients clients = new ZkClients()) {
            CuratorFramework c1 = clients.open(zk.connectString());
            CuratorFramework c2 = clients.open(zk.connectString());
            RoundTrips trips1 = RoundTrips.attach(c1);
            c1.create().creatingParentsIfNeeded().forPath("/bench/floor");
            try (ZookeeperLockProvider h1 = ZookeeperLockProvider.builder(c1).basePath("/bench/holdfast").build();
                 ZookeeperLockProvider h2 = ZookeeperLockProvider.builder(c2).basePath("/bench/holdfast").build()) {
                InterProcessMutex m1 = new InterProcessMutex(c1, "/bench/curator/lock");
                InterProcessMutex m2 = new InterProcessMutex(c2, "/bench/curator/lock");
                LockRequest req = LockRequest.named("bench").leaseTime(Duration.ofSeconds(30)).build();

                System.out.printf("ZooKeeper %s, %d iterations, %d hand-offs, JDK %s%n", zk.source(), ITERATIONS, HANDOFFS,
                        System.getProperty("java.version"));
                for (int round = 0; round <= ROUNDS; round++) { // round 0 warms up the JIT and the server
                    boolean print = round > 0;
                    int n = print ? ITERATIONS : Math.max(200, ITERATIONS / 3);
                    report(print, "floor: create+delete ephemeral node", n, trips1, () -> {
                        c1.create().withMode(CreateMode.EPHEMERAL).forPath("/bench/floor/n");
                        c1.delete().forPath("/bench/floor/n");
                    });
                    report(print, "floor: two reads (exists x2)", n, trips1, () -> {
                        c1.checkExists().forPath("/bench/floor");
                        c1.checkExists().forPath("/bench/floor");
                    });
                    Step holdfastStep = () -> {
                        Lease l = h1.tryAcquire(req).orElseThrow();
                        l.release();
                    };
                    Step curatorStep = () -> {
                        m1.acquire();
                        m1.release();
                    };
                    for (int k = 0; k < 2; k++) { // alternate which goes first
                        if ((k + round) % 2 == 0) {
                            report(print, "holdfast ZookeeperLockProvider acquire+release", n, trips1, holdfastStep);
                        } else {
                            report(print, "curator InterProcessMutex acquire+release", n, trips1, curatorStep);
                        }
                    }
                    int handoffs = print ? HANDOFFS : 50;
                    long[] holdfast = handOff(handoffs, new Pair() {
                        Lease held;

                        @Override public void takeFirst() {
                            held = h1.tryAcquire(req).orElseThrow();
                        }

                        @Override public boolean secondQueued() {
                            return h1.inspect("bench").orElseThrow().waiters() == 1;
                        }

                        @Override public void releaseFirst() {
                            held.release();
                        }

                        @Override public long second() {
                            Lease l = h2.acquire(req.withWaitTime(Duration.ofSeconds(10)));
                            long at = System.nanoTime();
                            l.release();
                            return at;
                        }
                    });
                    long[] curator = handOff(handoffs, new Pair() {
                        @Override public void takeFirst() throws Exception {
                            m1.acquire();
                        }

                        @Override public boolean secondQueued() throws Exception {
                            return m1.getParticipantNodes().size() == 2;
                        }

                        @Override public void releaseFirst() throws Exception {
                            m1.release();
                        }

                        @Override public long second() throws Exception {
                            m2.acquire();
                            long at = System.nanoTime();
                            m2.release();
                            return at;
                        }
                    });
                    if (print) {
                        System.out.printf("%-50s p50 %7.0f us  p90 %7.0f us%n", "hand-off holdfast (release -> waiter granted)",
                                pct(holdfast, 50) / 1e3, pct(holdfast, 90) / 1e3);
                        System.out.printf("%-50s p50 %7.0f us  p90 %7.0f us%n", "hand-off curator InterProcessMutex",
                                pct(curator, 50) / 1e3, pct(curator, 90) / 1e3);
                        results.computeIfAbsent("hand-off holdfast", k -> new ArrayList<>())
                                .add(new double[] {0, pct(holdfast, 50) / 1e3});
                        results.computeIfAbsent("hand-off curator InterProcessMutex", k -> new ArrayList<>())
                                .add(new double[] {0, pct(curator, 50) / 1e3});
                        System.out.println();
                    }
                }
                System.out.printf("median over %d rounds:%n", ROUNDS);
                results.forEach((what, rounds) -> System.out.printf("  %-50s %s p50 %7.0f us%n", what,
                        what.startsWith("hand-off") ? " ".repeat(13) : String.format("%7.0f ops/s ", median(rounds, 0)),
                        median(rounds, 1)));
            }
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private interface Pair {
        void takeFirst() throws Exception;

        boolean secondQueued() throws Exception;

        void releaseFirst() throws Exception;

        /** Acquires as the second holder (waiting), returns the time it was granted, releases. */
        long second() throws Exception;
    }

    private static double median(List<double[]> rounds, int field) {
        double[] v = rounds.stream().mapToDouble(r -> r[field]).sorted().toArray();
        return v[v.length / 2];
    }

    private void report(boolean print, String what, int n, RoundTrips trips, Step step) throws Exception {
        long[] lat = new long[n];
        trips.reset();
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            long t = System.nanoTime();
            step.run();
            lat[i] = System.nanoTime() - t;
        }
        long total = System.nanoTime() - start;
        Map<String, Integer> kinds = trips.byKind();
        if (print) {
            results.computeIfAbsent(what, k -> new ArrayList<>()).add(new double[] {n / (total / 1e9), pct(lat, 50) / 1e3});
            System.out.printf("%-50s %7.0f ops/s  p50 %7.0f us  p90 %7.0f us  round trips/op %.2f %s%n", what,
                    n / (total / 1e9), pct(lat, 50) / 1e3, pct(lat, 90) / 1e3, trips.total() / (double) n, perOp(kinds, n));
        }
    }

    private static String perOp(Map<String, Integer> kinds, int n) {
        StringBuilder sb = new StringBuilder("{");
        kinds.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k.replace("-Foreground", ""))
                .append('=').append(String.format("%.2f", v / (double) n)));
        return sb.append('}').toString();
    }

    /** Hand-off latency: the first holds, the second queues, the first releases; time until the second holds. */
    private static long[] handOff(int n, Pair pair) throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        long[] lat = new long[n];
        try {
            for (int i = 0; i < n; i++) {
                pair.takeFirst();
                Future<Long> f = pool.submit(pair::second);
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!pair.secondQueued()) {
                    if (System.nanoTime() > until) {
                        throw new IllegalStateException("the second never queued");
                    }
                    Thread.onSpinWait();
                }
                Thread.sleep(10); // let the second finish queuing (list, watches) and sleep on its watch
                long released = System.nanoTime();
                pair.releaseFirst();
                lat[i] = f.get(10, TimeUnit.SECONDS) - released;
            }
        } finally {
            pool.shutdownNow();
        }
        return lat;
    }

    private static double pct(long[] values, int p) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
}
