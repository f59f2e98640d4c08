package dev.holdfast.lock.redis;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.testkit.fixtures.RedisFixture;
import dev.holdfast.lock.testkit.fixtures.RedisServerProcess;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.redisson.Redisson;
import org.redisson.api.RFencedLock;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.api.redisnode.RedisNodes;
import org.redisson.client.NettyHook;
import org.redisson.client.protocol.CommandData;
import org.redisson.client.protocol.CommandsData;
import org.redisson.config.Config;

/**
 * Prints (does not assert) round trips per operation, the uncontended acquire+release rate and the
 * contended hand-off latency of Holdfast beside Redisson's own RLock and RFencedLock and a bare PING floor,
 * all in one run against the fixture's Redis (local 6379 here). Not part of {@code verify}; run with
 * <pre>
 * mvn -B -o -q -pl lock-redis verify -Dtest=RedisLockBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * Optional: {@code -Dbench.ops=5000 -Dbench.handoffs=200}.
 */
class RedisLockBenchmark {

    private static final int OPS = Integer.getInteger("bench.ops", 5000);
    private static final int HANDOFFS = Integer.getInteger("bench.handoffs", 200);
    private static final String PREFIX = RedisFixture.keyPrefix("bench");

    /** Counts the commands a client writes, by name (batches count their commands and one round trip). */
    static final class CommandCounter implements NettyHook {
        final Map<String, LongAdder> commands = new ConcurrentHashMap<>();
        final LongAdder writes = new LongAdder();

        @Override
        public void afterBoostrapInitialization(Bootstrap bootstrap) {
        }

        @Override
        public void afterChannelInitialization(Channel channel) {
            channel.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
                @Override
                public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
                    if (msg instanceof CommandData<?, ?> cd) {
                        count(cd.getCommand().getName());
                    } else if (msg instanceof CommandsData cds) {
                        writes.increment();
                        cds.getCommands().forEach(c -> commands.computeIfAbsent(c.getCommand().getName(), k -> new LongAdder()).increment());
                    }
                    super.write(ctx, msg, promise);
                }
            });
        }

        private void count(String name) {
            commands.computeIfAbsent(name, k -> new LongAdder()).increment();
            if (!name.equals("PING")) {
                writes.increment();
            }
        }

        Map<String, Long> snapshot() {
            Map<String, Long> m = new TreeMap<>();
            commands.forEach((k, v) -> m.put(k, v.sum()));
            return m;
        }

        void reset() {
            commands.clear();
            writes.reset();
        }
    }

    private final MultiThreadIoEventLoopGroup loop = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());

    private RedissonClient client(String address, CommandCounter counter) {
        Config config = new Config();
        config.setEventLoopGroup(loop);
        config.setNettyHook(counter);
        config.useSingleServer().setAddress(address).setConnectionMinimumIdleSize(2).setConnectionPoolSize(8)
                .setSubscriptionConnectionMinimumIdleSize(1).setClientName("holdfast-bench");
        return Redisson.create(config);
    }

    interface Op {
        void run() throws Exception;
    }

    private static long[] time(int n, Op op) throws Exception {
        for (int i = 0; i < Math.min(500, n); i++) {
            op.run(); // warm-up
        }
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            long s = System.nanoTime();
            op.run();
            t[i] = System.nanoTime() - s;
        }
        return t;
    }

    private static final int ROUNDS = 10;

    private static Map<String, long[]> interleaved(Map<String, Op> ops) throws Exception {
        Map<String, long[]> result = new java.util.LinkedHashMap<>();
        int per = Math.max(1, OPS / ROUNDS);
        for (String k : ops.keySet()) {
            time(500, ops.get(k)); // warm-up (time() warms up too)
            result.put(k, new long[per * ROUNDS]);
        }
        for (int r = 0; r < ROUNDS; r++) {
            for (Map.Entry<String, Op> e : ops.entrySet()) {
                long[] t = e.getValue() == null ? null : timeCold(per, e.getValue());
                System.arraycopy(t, 0, result.get(e.getKey()), r * per, per);
            }
        }
        return result;
    }

    private static long[] timeCold(int n, Op op) throws Exception {
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            long s = System.nanoTime();
            op.run();
            t[i] = System.nanoTime() - s;
        }
        return t;
    }

    private static String stats(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        long total = Arrays.stream(s).sum();
        return String.format("p50 %7.1f us  p99 %7.1f us  rate %8.0f /s", s[s.length / 2] / 1e3,
                s[(int) (s.length * 0.99)] / 1e3, s.length / (total / 1e9));
    }

    private static double p50(long[] nanos) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    @Test
    void printFigures() throws Exception {
        RedisFixture redis = RedisFixture.shared();
        CommandCounter countA = new CommandCounter();
        CommandCounter countB = new CommandCounter();
        RedissonClient a = client(redis.address(), countA);
        RedissonClient b = client(redis.address(), countB);
        ExecutorService waiterThread = Executors.newSingleThreadExecutor();
        try (RedisLockProvider ha = RedisLockProvider.builder(a).keyPrefix(PREFIX).build();
             RedisLockProvider hb = RedisLockProvider.builder(b).keyPrefix(PREFIX).build()) {
            System.out.printf("%nRedis %s (%s), %d ops per row, %d hand-offs; JDK %s%n", redis.address(), redis.source(),
                    OPS, HANDOFFS, System.getProperty("java.version"));

            // ---- round trips (commands written by the client, PING excluded)
            LockRequest free = LockRequest.named(PREFIX + "rt").leaseTime(Duration.ofSeconds(30)).build();
            ha.tryAcquire(free).orElseThrow().release();
            countA.reset();
            Lease l = ha.tryAcquire(free).orElseThrow();
            System.out.printf("round trips  holdfast acquire: %d %s%n", countA.writes.sum(), countA.snapshot());
            countA.reset();
            l.release();
            System.out.printf("round trips  holdfast release: %d %s%n", countA.writes.sum(), countA.snapshot());
            RLock rlock = a.getLock(PREFIX + "rt-rlock");
            rlock.tryLock(0, TimeUnit.SECONDS);
            rlock.unlock();
            countA.reset();
            rlock.tryLock(0, TimeUnit.SECONDS);
            System.out.printf("round trips  RLock tryLock (watchdog): %d %s%n", countA.writes.sum(), countA.snapshot());
            countA.reset();
            rlock.unlock();
            System.out.printf("round trips  RLock unlock: %d %s%n", countA.writes.sum(), countA.snapshot());
            RFencedLock fenced = a.getFencedLock(PREFIX + "rt-fenced");
            fenced.tryLockAndGetToken(0, TimeUnit.SECONDS);
            fenced.unlock();
            countA.reset();
            fenced.tryLockAndGetToken(0, TimeUnit.SECONDS);
            System.out.printf("round trips  RFencedLock tryLockAndGetToken: %d %s%n", countA.writes.sum(), countA.snapshot());
            countA.reset();
            fenced.unlock();
            System.out.printf("round trips  RFencedLock unlock: %d %s%n", countA.writes.sum(), countA.snapshot());

            // ---- uncontended acquire+release, one thread; candidates interleaved in rounds so that load
            // changes on a shared machine hit all of them alike
            var single = a.getRedisNodes(RedisNodes.SINGLE).getInstance();
            var bucket = a.getBucket(PREFIX + "floor");
            LockRequest noRenew = free.toBuilder().autoRenew(false).build();
            Map<String, Op> ops = new java.util.LinkedHashMap<>();
            ops.put("ping", single::ping);
            ops.put("ping2", () -> {
                single.ping();
                single.ping();
            });
            ops.put("get2", () -> {
                bucket.get();
                bucket.get();
            });
            ops.put("holdfast", () -> ha.tryAcquire(free).orElseThrow().release());
            ops.put("holdfastNoRenew", () -> ha.tryAcquire(noRenew).orElseThrow().release());
            ops.put("rlock", () -> {
                if (!rlock.tryLock(0, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("busy");
                }
                rlock.unlock();
            });
            ops.put("rlockLease", () -> {
                if (!rlock.tryLock(0, 30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("busy");
                }
                rlock.unlock();
            });
            ops.put("fenced", () -> {
                if (fenced.tryLockAndGetToken(0, TimeUnit.SECONDS) == null) {
                    throw new IllegalStateException("busy");
                }
                fenced.unlock();
            });
            Map<String, long[]> samples = interleaved(ops);
            long[] ping = samples.get("ping");
            long[] ping2 = samples.get("ping2");
            long[] get2 = samples.get("get2");
            long[] holdfast = samples.get("holdfast");
            long[] holdfastNoRenew = samples.get("holdfastNoRenew");
            long[] rlockT = samples.get("rlock");
            long[] rlockLease = samples.get("rlockLease");
            long[] fencedT = samples.get("fenced");
            double floor = p50(ping2);
            System.out.printf("%nuncontended, one thread (x = p50 / p50 of two PINGs)%n");
            System.out.printf("  PING (1 round trip)                  %s%n", stats(ping));
            System.out.printf("  2 x PING  (floor)                    %s  x%.2f%n", stats(ping2), p50(ping2) / floor);
            System.out.printf("  2 x GET                              %s  x%.2f%n", stats(get2), p50(get2) / floor);
            System.out.printf("  holdfast acquire+release (renewing)  %s  x%.2f%n", stats(holdfast), p50(holdfast) / floor);
            System.out.printf("  holdfast acquire+release (no renew)  %s  x%.2f%n", stats(holdfastNoRenew), p50(holdfastNoRenew) / floor);
            System.out.printf("  RLock tryLock+unlock (watchdog)      %s  x%.2f%n", stats(rlockT), p50(rlockT) / floor);
            System.out.printf("  RLock tryLock(lease 30s)+unlock      %s  x%.2f%n", stats(rlockLease), p50(rlockLease) / floor);
            System.out.printf("  RFencedLock tryLockAndGetToken+unlock %s x%.2f%n", stats(fencedT), p50(fencedT) / floor);

            // ---- what replica acknowledgement costs: a throwaway primary + replica on this machine
            try (RedisServerProcess primary = RedisServerProcess.start();
                 RedisServerProcess replica = RedisServerProcess.startReplicaOf(primary)) {
                RedissonClient pc = client(primary.address(), new CommandCounter());
                try (RedisLockProvider plain = RedisLockProvider.builder(pc).keyPrefix(PREFIX).build();
                     RedisLockProvider acked = RedisLockProvider.builder(pc).keyPrefix(PREFIX).replicaAcks(1, Duration.ofSeconds(1)).build()) {
                    Map<String, Op> ackOps = new java.util.LinkedHashMap<>();
                    ackOps.put("plain", () -> plain.tryAcquire(free).orElseThrow().release());
                    ackOps.put("acked", () -> acked.tryAcquire(free).orElseThrow().release());
                    Map<String, long[]> ackSamples = interleaved(ackOps);
                    System.out.printf("%nreplica acknowledgement (own primary %d + replica %d)%n", primary.port(), replica.port());
                    System.out.printf("  holdfast acquire+release, no acks    %s%n", stats(ackSamples.get("plain")));
                    System.out.printf("  holdfast acquire+release, WAIT 1     %s%n", stats(ackSamples.get("acked")));
                } finally {
                    pc.shutdown(0, 2, TimeUnit.SECONDS);
                }
            }

            // ---- contended hand-off: a waiter in another client blocks; the holder releases. Both
            // candidates release from a holder thread (RLock must: it is thread-bound) and alternate.
            ExecutorService holderThread = Executors.newSingleThreadExecutor();
            LockRequest wait = LockRequest.named(PREFIX + "handoff").leaseTime(Duration.ofSeconds(30))
                    .waitTime(Duration.ofSeconds(10)).build();
            RLock ra = a.getLock(PREFIX + "handoff-rlock");
            RLock rb = b.getLock(PREFIX + "handoff-rlock");
            Map<String, HandoffSetup> setups = new java.util.LinkedHashMap<>();
            setups.put("holdfast", () -> {
                Lease held = holderThread.submit(() -> ha.acquire(wait)).get();
                Future<Long> got = waiterThread.submit(() -> {
                    Lease w = hb.acquire(wait);
                    long at = System.nanoTime();
                    w.release();
                    return at;
                });
                return new Handoff(() -> holderThread.submit(held::release).get(), got);
            });
            setups.put("rlock", () -> {
                holderThread.submit(() -> ra.lock()).get();
                Future<Long> got = waiterThread.submit(() -> {
                    if (!rb.tryLock(10, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("not handed over");
                    }
                    long at = System.nanoTime();
                    rb.unlock();
                    return at;
                });
                return new Handoff(() -> holderThread.submit(ra::unlock).get(), got);
            });
            Map<String, long[][]> h = handOffs(setups);
            holderThread.shutdownNow();
            System.out.printf("%ncontended hand-off (release -> waiter in another client holds it), %d times each, alternating%n", HANDOFFS);
            System.out.printf("  holdfast (pub/sub)  hand-off %s  (p50 = %.1f PINGs); release call alone p50 %.1f us%n",
                    stats(h.get("holdfast")[0]), p50(h.get("holdfast")[0]) / p50(ping), p50(h.get("holdfast")[1]) / 1e3);
            System.out.printf("  RLock (pub/sub)     hand-off %s  (p50 = %.1f PINGs); unlock call alone p50 %.1f us%n",
                    stats(h.get("rlock")[0]), p50(h.get("rlock")[0]) / p50(ping), p50(h.get("rlock")[1]) / 1e3);
        } finally {
            waiterThread.shutdownNow();
            a.shutdown(0, 2, TimeUnit.SECONDS);
            b.shutdown(0, 2, TimeUnit.SECONDS);
            try (var admin = redis.connect()) {
                RedisFaults.deleteKeys(admin, PREFIX);
            }
            loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    record Handoff(Op release, Future<Long> acquiredAt) {
    }

    interface HandoffSetup {
        Handoff start() throws Exception;
    }

    /** For each candidate: [0] = release start to waiter holding, [1] = the release call alone. */
    private static Map<String, long[][]> handOffs(Map<String, HandoffSetup> setups) throws Exception {
        Map<String, long[][]> result = new java.util.LinkedHashMap<>();
        setups.keySet().forEach(k -> result.put(k, new long[2][HANDOFFS]));
        for (int i = -10; i < HANDOFFS; i++) {
            for (Map.Entry<String, HandoffSetup> e : setups.entrySet()) {
                Handoff h = e.getValue().start();
                Thread.sleep(15); // let the waiter block
                long releasedAt = System.nanoTime();
                h.release().run();
                long returnedAt = System.nanoTime();
                long d = h.acquiredAt().get(10, TimeUnit.SECONDS) - releasedAt;
                if (i >= 0) {
                    result.get(e.getKey())[0][i] = d;
                    result.get(e.getKey())[1][i] = returnedAt - releasedAt;
                }
            }
        }
        return result;
    }
}
