package dev.holdfast.benchmarks;

import com.zaxxer.hikari.HikariDataSource;
import dev.holdfast.lock.testkit.fixtures.JdbcSettings;
import dev.holdfast.lock.testkit.fixtures.MariaDbFixture;
import dev.holdfast.lock.testkit.fixtures.PostgresFixture;
import dev.holdfast.lock.testkit.fixtures.RedisFixture;
import dev.holdfast.lock.testkit.fixtures.ZookeeperFixture;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.jspecify.annotations.Nullable;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.client.NettyHook;
import org.redisson.config.Config;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The servers of one run and the clients on them, opened on first use and closed at the end. Every name,
 * key, table and path a run writes carries {@link #runId} (or lives in a table of its own), so runs and
 * other engineers' tests on the same servers never meet.
 */
final class Resources implements AutoCloseable {

    /** Scenario-1 pools are this large: 16 workers, a provider's two own connections, and some slack. */
    static final int SHARED_POOL_SIZE = 20;

    final String runId = "hfb" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private @Nullable HikariDataSource postgres;
    private @Nullable HikariDataSource mariadb;
    private @Nullable RedissonClient redisson;
    private @Nullable LettuceConnectionFactory lettuce;
    private @Nullable MultiThreadIoEventLoopGroup redisLoop;
    private @Nullable ClientResources lettuceResources;
    private @Nullable ZookeeperFixture zookeeper;
    private @Nullable CuratorFramework curator;
    private boolean tablesReady;

    /** The shared PostgreSQL pool (the floor's "same pool"). */
    synchronized HikariDataSource postgres() {
        if (postgres == null) {
            postgres = keep(PostgresFixture.settings().newDataSource(runId + "-pg", SHARED_POOL_SIZE));
            createTables();
        }
        return postgres;
    }

    /** The shared MariaDB pool. */
    synchronized HikariDataSource mariadb() {
        if (mariadb == null) {
            mariadb = keep(MariaDbFixture.settings().newDataSource(runId + "-maria", SHARED_POOL_SIZE));
            createTables();
        }
        return mariadb;
    }

    JdbcSettings settings(Kind.Backend backend) {
        return backend == Kind.Backend.POSTGRESQL ? PostgresFixture.settings() : MariaDbFixture.settings();
    }

    HikariDataSource sharedPool(Kind.Backend backend) {
        return backend == Kind.Backend.POSTGRESQL ? postgres() : mariadb();
    }

    /** A pool of its own (another "process"), closed with the run unless the caller closes it first. */
    HikariDataSource newPool(Kind.Backend backend, String name, int size) {
        sharedPool(backend); // tables
        return settings(backend).newDataSource(runId + "-" + name, size);
    }

    /** The shared Redisson client (the PING floor's "same client"). */
    synchronized RedissonClient redisson() {
        if (redisson == null) {
            redisson = newRedisson("shared", null);
        }
        return redisson;
    }

    /** A Redisson client of its own (another "process") on the run's event loop; the caller shuts it down. */
    synchronized RedissonClient newRedisson(String name, @Nullable NettyHook hook) {
        if (redisLoop == null) {
            redisLoop = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        }
        Config config = new Config();
        config.setEventLoopGroup(redisLoop);
        if (hook != null) {
            config.setNettyHook(hook);
        }
        config.useSingleServer().setAddress(RedisFixture.shared().address())
                .setConnectionMinimumIdleSize(2).setConnectionPoolSize(SHARED_POOL_SIZE)
                .setSubscriptionConnectionMinimumIdleSize(1).setClientName(runId + "-" + name);
        RedissonClient client = Redisson.create(config);
        if (name.equals("shared")) {
            closeables.add(client::shutdown);
        }
        return client;
    }

    /** The shared Spring Data Redis (Lettuce) connection factory, for ShedLock's and Spring Integration's locks. */
    synchronized LettuceConnectionFactory lettuce() {
        if (lettuce == null) {
            lettuce = newLettuce();
            closeables.add(lettuce::destroy);
        }
        return lettuce;
    }

    /** A Lettuce connection factory of its own on the run's client resources; the caller destroys it. */
    synchronized LettuceConnectionFactory newLettuce() {
        if (lettuceResources == null) {
            lettuceResources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
        }
        RedisFixture redis = RedisFixture.shared();
        LettuceConnectionFactory f = new LettuceConnectionFactory(new RedisStandaloneConfiguration(redis.host(), redis.port()),
                LettuceClientConfiguration.builder().clientResources(lettuceResources).build());
        f.afterPropertiesSet();
        f.start();
        return f;
    }

    /** The run's in-process ZooKeeper (curator-test TestingServer) or the configured ensemble. */
    synchronized ZookeeperFixture zookeeper() {
        if (zookeeper == null) {
            zookeeper = keep(ZookeeperFixture.open());
        }
        return zookeeper;
    }

    /** The shared Curator client. */
    synchronized CuratorFramework curator() {
        if (curator == null) {
            curator = keep(newCurator());
        }
        return curator;
    }

    /** A Curator client (a ZooKeeper session) of its own; the caller closes it. */
    CuratorFramework newCurator() {
        CuratorFramework c = CuratorFrameworkFactory.builder().connectString(zookeeper().connectString())
                .sessionTimeoutMs(30_000).connectionTimeoutMs(10_000).retryPolicy(new ExponentialBackoffRetry(100, 3)).build();
        c.start();
        try {
            if (!c.blockUntilConnected(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("ZooKeeper did not answer at " + zookeeper().connectString());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return c;
    }

    /** The peers' tables and the floors' scratch table; each lives once per database and is keyed by run. */
    private void createTables() {
        if (postgres != null) {
            exec(postgres, Sql.POSTGRES_TABLES);
        }
        if (mariadb != null) {
            exec(mariadb, Sql.MARIADB_TABLES);
        }
        tablesReady = true;
    }

    private static void exec(HikariDataSource ds, List<String> statements) {
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            for (String s : statements) {
                try {
                    st.execute(s);
                } catch (SQLException e) {
                    // Another run may create the same table at the same moment; the next statement tells.
                    if (!String.valueOf(e.getMessage()).toLowerCase().contains("exist")) {
                        throw e;
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not create the benchmark tables", e);
        }
    }

    boolean tablesReady() {
        return tablesReady;
    }

    private <T extends AutoCloseable> T keep(T t) {
        closeables.add(t);
        return t;
    }

    @Override
    public synchronized void close() {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                System.err.println("closing: " + e);
            }
        }
        closeables.clear();
        if (lettuceResources != null) {
            lettuceResources.shutdown(0, 2, TimeUnit.SECONDS);
        }
        if (redisLoop != null) {
            redisLoop.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        }
    }
}
