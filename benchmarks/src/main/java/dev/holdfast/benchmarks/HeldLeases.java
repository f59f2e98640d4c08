package dev.holdfast.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.jdbc.JdbcTableLockProvider;
import dev.holdfast.lock.jdbc.MysqlLockProvider;
import dev.holdfast.lock.jdbc.PostgresAdvisoryLockProvider;
import dev.holdfast.lock.redis.RedisLockProvider;
import dev.holdfast.lock.testkit.fixtures.RedisFixture;
import dev.holdfast.lock.testkit.fixtures.RespClient;
import dev.holdfast.lock.zookeeper.ZookeeperLockProvider;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Collectors;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.sql.DataSource;
import org.apache.curator.framework.CuratorFramework;
import org.jspecify.annotations.Nullable;
import org.redisson.api.RedissonClient;
import org.redisson.client.NettyHook;
import org.redisson.client.protocol.CommandData;
import org.redisson.client.protocol.CommandsData;

/**
 * Scenario 3: one process holds {@code mode.leases()} leases at once (taken by {@value #HOLDERS} threads,
 * each later releasing its own: Curator's and Redisson's locks are thread-bound) for {@code mode.window()}.
 * Counted from the client side: connections the contender's own pool or client opened, threads that
 * appeared after the client was built, heap growth per lease (after GC), and requests sent while holding
 * (JDBC statements through a counting DataSource; Redis commands through a Netty hook; ZooKeeper packets the
 * in-process server received from every client, session pings included).
 */
final class HeldLeases {

    static final int HOLDERS = 4;

    record Row(Kind kind, int held, String connections, int newThreads, String threadNames, double heapBytesPerLease,
               double requestsPerSecond, String requestsCounted, long acquireMillis, int lost) {
    }

    private final Resources resources;
    private final Mode mode;

    HeldLeases(Resources resources, Mode mode) {
        this.resources = resources;
        this.mode = mode;
    }

    /** The contenders of this scenario, in table order. */
    static final List<String> IDS = List.of("holdfast-pg-advisory", "holdfast-maria-getlock", "holdfast-pg-table",
            "holdfast-redis", "redisson-rlock", "holdfast-zk", "curator-mutex");

    Row run(String id) throws Exception {
        Catalog.Entry entry = Catalog.get(id);
        Kind kind = entry.kind();
        AtomicLong requests = new AtomicLong();
        HikariDataSource pool = null;
        RedissonClient redisson = null;
        CuratorFramework curator = null;
        String clientName = null;
        switch (kind.backend()) {
            case POSTGRESQL, MARIADB -> pool = resources.newPool(kind.backend(), "held-" + id, 10);
            case REDIS -> {
                clientName = "held-" + id;
                redisson = resources.newRedisson(clientName, new CountingHook(requests));
                clientName = resources.runId + "-" + clientName;
            }
            case ZOOKEEPER -> curator = resources.newCurator();
        }
        DataSource counted = pool == null ? null : counting(pool, requests);
        Set<Thread> threadsBefore = Thread.getAllStackTraces().keySet();
        long heapBefore = usedHeapAfterGc();
        Contender c = switch (id) {
            case "holdfast-pg-advisory" -> holdfast(PostgresAdvisoryLockProvider.builder(counted).namespace(resources.runId).createIfMissing(true).build());
            case "holdfast-maria-getlock" -> holdfast(MysqlLockProvider.builder(counted).createIfMissing(true).build());
            case "holdfast-pg-table" -> holdfast(JdbcTableLockProvider.builder(counted).tableName(Sql.HOLDFAST_TABLE).createIfMissing(true).build());
            case "holdfast-redis" -> holdfast(RedisLockProvider.builder(redisson).keyPrefix(resources.runId + ":held:").build());
            case "holdfast-zk" -> holdfast(ZookeeperLockProvider.builder(curator).basePath("/" + resources.runId + "/held").build());
            case "redisson-rlock", "curator-mutex" -> shared(kind, redisson, curator);
            default -> throw new IllegalArgumentException(id);
        };
        int n = mode.leases();
        List<List<Contender.Held>> held = new ArrayList<>();
        CountDownLatch acquiredAll = new CountDownLatch(HOLDERS);
        CountDownLatch releaseNow = new CountDownLatch(1);
        List<Thread> holders = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int h = 0; h < HOLDERS; h++) {
            List<Contender.Held> mine = new ArrayList<>();
            held.add(mine);
            int from = h * n / HOLDERS;
            int to = (h + 1) * n / HOLDERS;
            Thread t = new Thread(() -> {
                try {
                    for (int i = from; i < to; i++) {
                        Contender.Held x = c.tryLock(resources.runId + "-held-" + id + "-" + i);
                        if (x != null) {
                            mine.add(x);
                        }
                    }
                    acquiredAll.countDown();
                    releaseNow.await();
                    for (Contender.Held x : mine) {
                        try {
                            x.release();
                        } catch (RuntimeException e) {
                            // a lease lost while held: counted below
                        }
                    }
                } catch (Exception e) {
                    acquiredAll.countDown();
                    System.err.println(id + ": " + e);
                }
            }, "hfb-holder-" + h);
            t.setDaemon(true);
            holders.add(t);
            t.start();
        }
        int lost;
        Row row;
        try {
            acquiredAll.await();
            long acquireMillis = (System.nanoTime() - t0) / 1_000_000;
            int count = held.stream().mapToInt(List::size).sum();
            long packetsBefore = zkPackets();
            long requestsBefore = requests.get();
            long start = System.nanoTime();
            Thread.sleep(mode.window().toMillis());
            double seconds = (System.nanoTime() - start) / 1e9;
            double rate = kind.backend() == Kind.Backend.ZOOKEEPER
                    ? (zkPackets() - packetsBefore) / seconds : (requests.get() - requestsBefore) / seconds;
            long heapAfter = usedHeapAfterGc();
            List<Thread> newThreads = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> !threadsBefore.contains(t) && !t.getName().startsWith("hfb-holder")).toList();
            lost = c instanceof Catalog.HoldfastContender hc ? (int) hc.lost.sum() : 0;
            String connections = switch (kind.backend()) {
                case POSTGRESQL, MARIADB -> pool.getHikariPoolMXBean().getTotalConnections() + " (pool)";
                case REDIS -> redisConnections(clientName) + " (CLIENT LIST)";
                case ZOOKEEPER -> "1 session";
            };
            String names = newThreads.stream().map(t -> t.getName().replaceAll("\\d+", "N")).distinct().sorted()
                    .collect(Collectors.joining(", "));
            row = new Row(kind, count, connections, newThreads.size(), names, (heapAfter - heapBefore) / (double) Math.max(1, count),
                    rate, kind.backend() == Kind.Backend.ZOOKEEPER ? "server packets/s (all sessions)"
                    : kind.backend() == Kind.Backend.REDIS ? "commands/s" : "statements/s",
                    acquireMillis, lost);
        } finally {
            releaseNow.countDown();
            for (Thread t : holders) {
                t.join(TimeUnit.MINUTES.toMillis(2));
            }
            Catalog.closeQuietly(c);
            if (redisson != null) {
                redisson.shutdown();
            }
            Catalog.closeQuietly(curator);
            Catalog.closeQuietly(pool);
        }
        return row;
    }

    private static Contender holdfast(LockProvider p) {
        return new Catalog.HoldfastContender(p, Catalog.LEASE, null);
    }

    /** Redisson's RLock or Curator's mutex on the client built above (so it is the one counted). */
    private Contender shared(Kind kind, @Nullable RedissonClient redisson, @Nullable CuratorFramework curator) {
        if (redisson != null) {
            return new Contender() {
                @Override
                public Held tryLock(String name) throws InterruptedException {
                    var l = redisson.getLock(resources.runId + ":rl:" + name);
                    return l.tryLock(0, TimeUnit.MILLISECONDS) ? l::unlock : null;
                }

                @Override
                public Held lock(String name, java.time.Duration wait) throws InterruptedException {
                    return tryLock(name);
                }

                @Override
                public void close() {
                }
            };
        }
        return new Contender() {
            @Override
            public Held tryLock(String name) throws Exception {
                var m = new org.apache.curator.framework.recipes.locks.InterProcessMutex(curator, "/" + resources.runId + "/cheld/" + name);
                return m.acquire(0, TimeUnit.MILLISECONDS) ? () -> {
                    try {
                        m.release();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                } : null;
            }

            @Override
            public Held lock(String name, java.time.Duration wait) throws Exception {
                return tryLock(name);
            }

            @Override
            public void close() {
            }
        };
    }

    static Markdown table(List<Row> rows, Mode mode) {
        Markdown m = new Markdown("Scenario 3 — " + String.format("%,d", mode.leases()) + " held leases in one process",
                "contender", "held", "connections", "new threads", "heap / lease (B)", "requests while holding", "took (s)", "lost");
        for (Row r : rows) {
            m.row(Uncontended.label(r.kind()) + " (" + r.kind().backend().title + ")", r.held(), r.connections(),
                    r.newThreads() + (r.threadNames().isEmpty() ? "" : " (" + r.threadNames() + ")"),
                    Markdown.num(r.heapBytesPerLease()), Markdown.num(r.requestsPerSecond()) + " " + r.requestsCounted(),
                    Markdown.num(r.acquireMillis() / 1000.0), r.kind().holdfast() ? String.valueOf(r.lost()) : "–");
        }
        m.note("Leases of " + Catalog.LEASE.toSeconds() + " s with auto-renewal (Redisson: its watchdog), held for "
                + mode.window().toSeconds() + " s after the last was taken; \"took\": taking them all with "
                + HOLDERS + " threads. Targets: advisory ≤ 2 connections, one renewal thread. "
                + "New threads are those alive after the window that were not before the provider was built "
                + "(digits shown as N).");
        return m;
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Packets received by the in-process ZooKeeper server(s), from JMX; 0 if it is not in this process. */
    private static long zkPackets() {
        try {
            MBeanServer s = ManagementFactory.getPlatformMBeanServer();
            long sum = 0;
            for (ObjectName n : s.queryNames(new ObjectName("org.apache.ZooKeeperService:name0=*"), null)) {
                Object v = s.getAttribute(n, "PacketsReceived");
                if (v instanceof Number num) {
                    sum += num.longValue();
                }
            }
            return sum;
        } catch (Exception e) {
            return 0;
        }
    }

    private static long redisConnections(String clientName) {
        RedisFixture redis = RedisFixture.shared();
        try (RespClient c = RespClient.connect(redis.host(), redis.port())) {
            Object list = c.call("CLIENT", "LIST");
            return String.valueOf(list).lines().filter(l -> l.contains(" name=" + clientName + " ")).count();
        }
    }

    /** Counts the commands a Redisson client writes (a batch counts each of its commands). */
    static final class CountingHook implements NettyHook {
        private final AtomicLong count;

        CountingHook(AtomicLong count) {
            this.count = count;
        }

        @Override
        public void afterBoostrapInitialization(Bootstrap bootstrap) {
        }

        @Override
        public void afterChannelInitialization(Channel channel) {
            channel.pipeline().addLast(new ChannelOutboundHandlerAdapter() {
                @Override
                public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
                    if (msg instanceof CommandData<?, ?>) {
                        count.incrementAndGet();
                    } else if (msg instanceof CommandsData cds) {
                        count.addAndGet(cds.getCommands().size());
                    }
                    super.write(ctx, msg, promise);
                }
            });
        }
    }

    /** A DataSource whose connections count every statement they execute. */
    static DataSource counting(DataSource ds, AtomicLong count) {
        return (DataSource) Proxy.newProxyInstance(HeldLeases.class.getClassLoader(), new Class<?>[] {DataSource.class},
                (proxy, m, args) -> {
                    Object r = invoke(ds, m, args);
                    return r instanceof Connection c ? countingConnection(c, count) : r;
                });
    }

    private static Connection countingConnection(Connection c, AtomicLong count) {
        return (Connection) Proxy.newProxyInstance(HeldLeases.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, m, args) -> {
                    Object r = invoke(c, m, args);
                    if (r instanceof Statement st) {
                        Class<?>[] ifaces = st instanceof java.sql.CallableStatement ? new Class<?>[] {java.sql.CallableStatement.class}
                                : st instanceof java.sql.PreparedStatement ? new Class<?>[] {java.sql.PreparedStatement.class}
                                : new Class<?>[] {Statement.class};
                        InvocationHandler h = (p2, m2, a2) -> {
                            if (m2.getName().startsWith("execute")) {
                                count.incrementAndGet();
                            }
                            return invoke(st, m2, a2);
                        };
                        return Proxy.newProxyInstance(HeldLeases.class.getClassLoader(), ifaces, h);
                    }
                    return r;
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
