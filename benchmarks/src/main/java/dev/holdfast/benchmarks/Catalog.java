package dev.holdfast.benchmarks;

import static dev.holdfast.benchmarks.Kind.Backend.MARIADB;
import static dev.holdfast.benchmarks.Kind.Backend.POSTGRESQL;
import static dev.holdfast.benchmarks.Kind.Backend.REDIS;
import static dev.holdfast.benchmarks.Kind.Backend.ZOOKEEPER;
import static dev.holdfast.benchmarks.Kind.Floor.COMMITS;
import static dev.holdfast.benchmarks.Kind.Floor.NODE;
import static dev.holdfast.benchmarks.Kind.Floor.ROUND_TRIPS;

import com.zaxxer.hikari.HikariDataSource;
import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.jdbc.JdbcTableLockProvider;
import dev.holdfast.lock.jdbc.MysqlLockProvider;
import dev.holdfast.lock.jdbc.PostgresAdvisoryLockProvider;
import dev.holdfast.lock.redis.RedisLockProvider;
import dev.holdfast.lock.zookeeper.ZookeeperLockProvider;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.function.Function;
import javax.sql.DataSource;
import net.javacrumbs.shedlock.core.LockConfiguration;
import net.javacrumbs.shedlock.core.SimpleLock;
import net.javacrumbs.shedlock.provider.jdbctemplate.JdbcTemplateLockProvider;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.jspecify.annotations.Nullable;
import org.redisson.api.RFencedLock;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.Redisson;
import org.redisson.client.codec.StringCodec;
import org.redisson.client.protocol.RedisCommands;
import org.redisson.command.CommandAsyncExecutor;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.integration.jdbc.lock.DefaultLockRepository;
import org.springframework.integration.jdbc.lock.JdbcLockRegistry;
import org.springframework.integration.redis.util.RedisLockRegistry;
import org.springframework.integration.support.locks.LockRegistry;
import org.springframework.integration.zookeeper.lock.ZookeeperLockRegistry;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;

/**
 * Every contender and floor, and how to open one. {@code own = true} opens it on a client or pool of its
 * own, as another process would (the hand-off scenario); otherwise on the run's shared one.
 *
 * <p>Configurations are each library's documented defaults, except where a default would measure
 * something else: Spring Integration's Redis registry uses {@code PUB_SUB_LOCK} (its notified mode); lease
 * times are 30 s everywhere; Redisson's watchdog keeps its default.
 */
final class Catalog {

    static final Duration LEASE = Duration.ofSeconds(30);

    /** Opens one contender. */
    interface Opener {
        Contender open(Resources r, boolean own, Duration lease);
    }

    record Entry(Kind kind, Opener opener) {
        Contender open(Resources r, boolean own) {
            return opener.open(r, own, LEASE);
        }
    }

    static final List<Entry> ALL = List.of(
            floor("floor-pg-rt", "floor: 2× SELECT 1 (same pool)", POSTGRESQL, ROUND_TRIPS),
            floor("floor-pg-commit", "floor: upsert + update, 2 commits", POSTGRESQL, COMMITS),
            floor("floor-pg-commit-notify", "floor (diagnostic): upsert + update that also pg_notify()s, 2 commits", POSTGRESQL, COMMITS),
            holdfast("holdfast-pg-advisory", "Holdfast PostgresAdvisoryLockProvider", POSTGRESQL, ROUND_TRIPS, (r, own, lease) -> jdbc(r, POSTGRESQL, own, 3,
                    ds -> PostgresAdvisoryLockProvider.builder(ds).namespace(r.runId).createIfMissing(true).build(), lease)),
            holdfast("holdfast-pg-table", "Holdfast JdbcTableLockProvider", POSTGRESQL, COMMITS, (r, own, lease) -> jdbc(r, POSTGRESQL, own, 3,
                    ds -> JdbcTableLockProvider.builder(ds).tableName(Sql.HOLDFAST_TABLE).createIfMissing(true).build(), lease)),
            peer("shedlock-pg", "ShedLock JdbcTemplateLockProvider", POSTGRESQL, COMMITS, (r, own, lease) -> shedlockJdbc(r, POSTGRESQL, own, lease)),
            peer("si-jdbc-pg", "Spring Integration JdbcLockRegistry", POSTGRESQL, COMMITS, (r, own, lease) -> siJdbc(r, POSTGRESQL, own, lease)),

            floor("floor-maria-rt", "floor: 2× SELECT 1 (same pool)", MARIADB, ROUND_TRIPS),
            floor("floor-maria-commit", "floor: upsert + update, 2 commits", MARIADB, COMMITS),
            holdfast("holdfast-maria-getlock", "Holdfast MysqlLockProvider (GET_LOCK)", MARIADB, ROUND_TRIPS, (r, own, lease) -> jdbc(r, MARIADB, own, 3,
                    ds -> MysqlLockProvider.builder(ds).createIfMissing(true).build(), lease)),
            holdfast("holdfast-maria-table", "Holdfast JdbcTableLockProvider", MARIADB, COMMITS, (r, own, lease) -> jdbc(r, MARIADB, own, 3,
                    ds -> JdbcTableLockProvider.builder(ds).tableName(Sql.HOLDFAST_TABLE).createIfMissing(true).build(), lease)),
            peer("shedlock-maria", "ShedLock JdbcTemplateLockProvider", MARIADB, COMMITS, (r, own, lease) -> shedlockJdbc(r, MARIADB, own, lease)),
            peer("si-jdbc-maria", "Spring Integration JdbcLockRegistry", MARIADB, COMMITS, (r, own, lease) -> siJdbc(r, MARIADB, own, lease)),

            floor("floor-redis-ping", "floor: 2× PING (same client)", REDIS, ROUND_TRIPS),
            holdfast("holdfast-redis", "Holdfast RedisLockProvider", REDIS, ROUND_TRIPS, Catalog::holdfastRedis),
            peer("redisson-rlock", "Redisson RLock", REDIS, ROUND_TRIPS, (r, own, lease) -> redisson(r, own, false)),
            peer("redisson-fenced", "Redisson RFencedLock", REDIS, ROUND_TRIPS, (r, own, lease) -> redisson(r, own, true)),
            peer("shedlock-redis", "ShedLock RedisLockProvider (Spring Data)", REDIS, ROUND_TRIPS, Catalog::shedlockRedis),
            peer("si-redis", "Spring Integration RedisLockRegistry", REDIS, ROUND_TRIPS, Catalog::siRedis),

            floor("floor-zk-node", "floor: create + delete a node", ZOOKEEPER, NODE),
            holdfast("holdfast-zk", "Holdfast ZookeeperLockProvider", ZOOKEEPER, NODE, Catalog::holdfastZk),
            peer("curator-mutex", "Curator InterProcessMutex", ZOOKEEPER, NODE, Catalog::curator),
            peer("si-zk", "Spring Integration ZookeeperLockRegistry", ZOOKEEPER, NODE, Catalog::siZk));

    static Entry get(String id) {
        return ALL.stream().filter(e -> e.kind().id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no contender " + id));
    }

    static List<Entry> of(Kind.Backend backend) {
        return ALL.stream().filter(e -> e.kind().backend() == backend).toList();
    }

    private Catalog() {
    }

    // ---- entries

    private static Entry holdfast(String id, String label, Kind.Backend b, Kind.Floor f, Opener o) {
        return new Entry(new Kind(id, label, b, f, true, false), o);
    }

    private static Entry peer(String id, String label, Kind.Backend b, Kind.Floor f, Opener o) {
        return new Entry(new Kind(id, label, b, f, false, false), o);
    }

    private static Entry floor(String id, String label, Kind.Backend b, Kind.Floor f) {
        return new Entry(new Kind(id, label, b, f, false, true), (r, own, lease) -> switch (b) {
            case POSTGRESQL, MARIADB -> f == ROUND_TRIPS ? new SelectFloor(r.sharedPool(b))
                    : new CommitFloor(r.sharedPool(b), b, r.runId, id.endsWith("-notify"));
            case REDIS -> new PingFloor(r.redisson());
            case ZOOKEEPER -> new NodeFloor(r.curator(), "/" + r.runId + "/floor");
        });
    }

    // ---- Holdfast

    /** Holdfast behind the common interface; {@code extra} is what it runs on when it has its own client. */
    static final class HoldfastContender implements Contender {
        final LockProvider provider;
        private final Duration lease;
        private final @Nullable AutoCloseable extra;
        /** Leases reported lost (never expected while the backend is up). */
        final java.util.concurrent.atomic.LongAdder lost = new java.util.concurrent.atomic.LongAdder();

        HoldfastContender(LockProvider provider, Duration lease, @Nullable AutoCloseable extra) {
            this.provider = provider;
            this.lease = lease;
            this.extra = extra;
        }

        @Override
        public @Nullable Held tryLock(String name) {
            return lock(name, Duration.ZERO);
        }

        @Override
        public @Nullable Held lock(String name, Duration wait) {
            Optional<Lease> l = provider.tryAcquire(LockRequest.named(name).leaseTime(lease).waitTime(wait).build());
            if (l.isEmpty()) {
                return null;
            }
            l.get().onLost(e -> lost.increment());
            return l.get()::release;
        }

        @Override
        public void close() {
            provider.close();
            closeQuietly(extra);
        }
    }

    private static Contender jdbc(Resources r, Kind.Backend b, boolean own, int poolSize,
                                  Function<DataSource, LockProvider> build, Duration lease) {
        HikariDataSource ds = own ? r.newPool(b, "hf", poolSize) : r.sharedPool(b);
        return new HoldfastContender(build.apply(ds), lease, own ? ds : null);
    }

    private static Contender holdfastRedis(Resources r, boolean own, Duration lease) {
        RedissonClient c = own ? r.newRedisson("hf", null) : r.redisson();
        return new HoldfastContender(RedisLockProvider.builder(c).keyPrefix(r.runId + ":hf:").build(), lease,
                own ? c::shutdown : null);
    }

    private static Contender holdfastZk(Resources r, boolean own, Duration lease) {
        CuratorFramework c = own ? r.newCurator() : r.curator();
        return new HoldfastContender(ZookeeperLockProvider.builder(c).basePath("/" + r.runId + "/holdfast").build(), lease,
                own ? c : null);
    }

    // ---- peers

    private static Contender shedlockJdbc(Resources r, Kind.Backend b, boolean own, Duration lease) {
        HikariDataSource ds = own ? r.newPool(b, "shedlock", 3) : r.sharedPool(b);
        JdbcTemplateLockProvider p = new JdbcTemplateLockProvider(JdbcTemplateLockProvider.Configuration.builder()
                .withJdbcTemplate(new JdbcTemplate(ds)).withTableName(Sql.SHEDLOCK_TABLE).usingDbTime().build());
        return new ShedLockContender(p, lease, own ? ds : null);
    }

    private static Contender shedlockRedis(Resources r, boolean own, Duration lease) {
        LettuceConnectionFactory f = own ? r.newLettuce() : r.lettuce();
        return new ShedLockContender(new net.javacrumbs.shedlock.provider.redis.spring.RedisLockProvider(f, r.runId), lease,
                own ? f::destroy : null);
    }

    /** ShedLock: one attempt, no waiting (its model: a skipped run, not a queue). */
    static final class ShedLockContender implements Contender {
        private final net.javacrumbs.shedlock.core.LockProvider provider;
        private final Duration lease;
        private final @Nullable AutoCloseable extra;

        ShedLockContender(net.javacrumbs.shedlock.core.LockProvider provider, Duration lease, @Nullable AutoCloseable extra) {
            this.provider = provider;
            this.lease = lease;
            this.extra = extra;
        }

        @Override
        public @Nullable Held tryLock(String name) {
            Optional<SimpleLock> l = provider.lock(new LockConfiguration(Instant.now(), name, lease, Duration.ZERO));
            return l.<Held>map(x -> x::unlock).orElse(null);
        }

        @Override
        public @Nullable Held lock(String name, Duration wait) {
            return tryLock(name);
        }

        @Override
        public boolean canWait() {
            return false;
        }

        @Override
        public void close() {
            closeQuietly(extra);
        }
    }

    private static Contender siJdbc(Resources r, Kind.Backend b, boolean own, Duration lease) {
        HikariDataSource ds = own ? r.newPool(b, "si", 3) : r.sharedPool(b);
        DefaultLockRepository repo = new DefaultLockRepository(ds);
        repo.setPrefix(Sql.SI_PREFIX);
        repo.setRegion(r.runId);
        repo.setTimeToLive((int) lease.toMillis());
        repo.setTransactionManager(new DataSourceTransactionManager(ds));
        repo.afterPropertiesSet();
        repo.afterSingletonsInstantiated();
        repo.start();
        JdbcLockRegistry registry = new JdbcLockRegistry(repo);
        return new RegistryContender(registry, () -> {
            repo.close();
            if (own) {
                ds.close();
            }
        });
    }

    private static Contender siRedis(Resources r, boolean own, Duration lease) {
        LettuceConnectionFactory f = own ? r.newLettuce() : r.lettuce();
        RedisLockRegistry registry = new RedisLockRegistry(f, r.runId + ":si", lease);
        registry.setRedisLockType(RedisLockRegistry.RedisLockType.PUB_SUB_LOCK);
        return new RegistryContender(registry, () -> {
            registry.destroy();
            if (own) {
                f.destroy();
            }
        });
    }

    private static Contender siZk(Resources r, boolean own, Duration lease) {
        CuratorFramework c = own ? r.newCurator() : r.curator();
        ZookeeperLockRegistry registry = new ZookeeperLockRegistry(c, "/" + r.runId + "/si");
        return new RegistryContender(registry, () -> {
            registry.destroy();
            if (own) {
                c.close();
            }
        });
    }

    /** A Spring Integration lock registry (thread-bound {@link Lock}s). */
    static final class RegistryContender implements Contender {
        private final LockRegistry<?> registry;
        private final AutoCloseable closer;

        RegistryContender(LockRegistry<?> registry, AutoCloseable closer) {
            this.registry = registry;
            this.closer = closer;
        }

        @Override
        public @Nullable Held tryLock(String name) {
            Lock l = registry.obtain(name);
            return l.tryLock() ? l::unlock : null;
        }

        @Override
        public @Nullable Held lock(String name, Duration wait) throws InterruptedException {
            Lock l = registry.obtain(name);
            return l.tryLock(wait.toMillis(), TimeUnit.MILLISECONDS) ? l::unlock : null;
        }

        @Override
        public void close() {
            closeQuietly(closer);
        }
    }

    private static Contender redisson(Resources r, boolean own, boolean fenced) {
        RedissonClient c = own ? r.newRedisson("peer", null) : r.redisson();
        String prefix = r.runId + (fenced ? ":rf:" : ":rl:");
        return new Contender() {
            @Override
            public @Nullable Held tryLock(String name) throws InterruptedException {
                return lock(name, Duration.ZERO);
            }

            @Override
            public @Nullable Held lock(String name, Duration wait) throws InterruptedException {
                if (fenced) {
                    RFencedLock l = c.getFencedLock(prefix + name);
                    return l.tryLockAndGetToken(wait.toMillis(), TimeUnit.MILLISECONDS) != null ? l::unlock : null;
                }
                RLock l = c.getLock(prefix + name);
                return l.tryLock(wait.toMillis(), TimeUnit.MILLISECONDS) ? l::unlock : null;
            }

            @Override
            public void close() {
                if (own) {
                    c.shutdown();
                }
            }
        };
    }

    private static Contender curator(Resources r, boolean own, Duration lease) {
        CuratorFramework c = own ? r.newCurator() : r.curator();
        String base = "/" + r.runId + "/curator/";
        return new Contender() {
            @Override
            public @Nullable Held tryLock(String name) throws Exception {
                return lock(name, Duration.ZERO);
            }

            @Override
            public @Nullable Held lock(String name, Duration wait) throws Exception {
                InterProcessMutex m = new InterProcessMutex(c, base + name);
                return m.acquire(wait.toMillis(), TimeUnit.MILLISECONDS) ? () -> {
                    try {
                        m.release();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                } : null;
            }

            @Override
            public void close() {
                if (own) {
                    c.close();
                }
            }
        };
    }

    // ---- floors

    /** Two bare round trips ({@code SELECT 1} twice) on a connection from the same pool. */
    static final class SelectFloor extends FloorContender {
        private final DataSource ds;

        SelectFloor(DataSource ds) {
            this.ds = ds;
        }

        @Override
        void run(String name) throws Exception {
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                for (int i = 0; i < 2; i++) {
                    try (ResultSet rs = st.executeQuery("SELECT 1")) {
                        rs.next();
                    }
                }
            }
        }
    }

    /**
     * Two single-row commits: an upsert and an update of a scratch row (what a table lease must write). The
     * diagnostic variant's update also calls {@code pg_notify} (as Holdfast's PostgreSQL table release does),
     * to show what a NOTIFY costs a commit.
     */
    static final class CommitFloor extends FloorContender {
        private final DataSource ds;
        private final String upsert;
        private final String update;
        private final String prefix;
        private final boolean notify;

        CommitFloor(DataSource ds, Kind.Backend backend, String runId, boolean notify) {
            this.ds = ds;
            this.upsert = backend == POSTGRESQL ? Sql.PG_UPSERT : Sql.MARIA_UPSERT;
            this.update = notify ? Sql.PG_UPDATE_NOTIFY : Sql.UPDATE;
            this.prefix = runId + ":";
            this.notify = notify;
        }

        @Override
        void run(String name) throws Exception {
            String id = name.length() > 40 ? name.substring(name.length() - 40) : name;
            try (Connection c = ds.getConnection()) {
                c.setAutoCommit(true);
                try (PreparedStatement ps = c.prepareStatement(upsert)) {
                    ps.setString(1, prefix + id);
                    ps.executeUpdate();
                }
                try (PreparedStatement ps = c.prepareStatement(update)) {
                    ps.setString(1, prefix + id);
                    if (notify) {
                        ps.setString(2, "hfb_" + prefix.substring(0, prefix.length() - 1));
                        ps.setString(3, id);
                        ps.executeQuery().close();
                    } else {
                        ps.executeUpdate();
                    }
                }
            }
        }
    }

    /** Two PINGs on the shared Redisson client, through the same command path (and pool) as a lock's script. */
    static final class PingFloor extends FloorContender {
        private final CommandAsyncExecutor executor;

        PingFloor(RedissonClient client) {
            this.executor = ((Redisson) client).getCommandExecutor();
        }

        @Override
        void run(String name) {
            for (int i = 0; i < 2; i++) {
                executor.get(executor.<String, String>writeAsync(name, StringCodec.INSTANCE, RedisCommands.PING));
            }
        }
    }

    /** A create and a delete of a node (two ZooKeeper writes). */
    static final class NodeFloor extends FloorContender {
        private final CuratorFramework client;
        private final String base;

        NodeFloor(CuratorFramework client, String base) {
            this.client = client;
            this.base = base;
        }

        @Override
        void run(String name) throws Exception {
            String path = client.create().creatingParentContainersIfNeeded().forPath(base + "/" + name);
            client.delete().forPath(path);
        }
    }

    abstract static class FloorContender implements Contender {
        abstract void run(String name) throws Exception;

        @Override
        public Held tryLock(String name) throws Exception {
            run(name);
            return NOTHING;
        }

        @Override
        public Held lock(String name, Duration wait) throws Exception {
            return tryLock(name);
        }

        @Override
        public boolean canWait() {
            return false;
        }

        @Override
        public void close() {
        }
    }

    static void closeQuietly(@Nullable AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            System.err.println("closing: " + e);
        }
    }

    static List<String> ids() {
        List<String> ids = new ArrayList<>();
        ALL.forEach(e -> ids.add(e.kind().id()));
        return ids;
    }
}
