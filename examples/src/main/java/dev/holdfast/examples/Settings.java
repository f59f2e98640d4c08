package dev.holdfast.examples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.jdbc.MysqlLockProvider;
import dev.holdfast.lock.jdbc.PostgresAdvisoryLockProvider;
import dev.holdfast.lock.redis.RedisLockProvider;
import dev.holdfast.lock.zookeeper.ZookeeperLockProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * What the demo runs against: where the data lives (always a SQL database) and where the locks come from.
 * The demo passes these to every replica as {@code --key=value} arguments.
 */
final class Settings {

    static final List<String> BACKENDS = List.of("postgres", "mariadb", "redis", "zookeeper");

    final Map<String, String> values;

    private Settings(Map<String, String> values) {
        this.values = values;
    }

    static Settings parse(String... args) {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("backend", "postgres");
        values.put("replicas", "3");
        values.put("threads", "4");
        values.put("size", "120");
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'; try --help");
            }
            String key = arg.substring(2);
            String value;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else if (key.equals("help")) {
                value = "true";
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException("--" + key + " needs a value");
            }
            values.put(key, value);
        }
        if (!BACKENDS.contains(values.get("backend"))) {
            throw new IllegalArgumentException("--backend must be one of " + BACKENDS + ", was " + values.get("backend"));
        }
        return new Settings(values);
    }

    String get(String key) {
        String v = values.get(key);
        if (v == null) {
            throw new IllegalStateException("missing --" + key);
        }
        return v;
    }

    String get(String key, String orElse) {
        return values.getOrDefault(key, orElse);
    }

    int number(String key) {
        return Integer.parseInt(get(key));
    }

    String backend() {
        return get("backend");
    }

    Settings with(String key, String value) {
        Map<String, String> copy = new LinkedHashMap<>(values);
        copy.put(key, value);
        return new Settings(copy);
    }

    List<String> asArgs() {
        List<String> args = new ArrayList<>();
        values.forEach((k, v) -> args.add("--" + k + "=" + v));
        return args;
    }

    boolean mariadbData() {
        return backend().equals("mariadb");
    }

    /** A pool on the demo's data database (the run's own schema once {@code --data-url} is set). */
    HikariDataSource dataSource(String url, int size, String name) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(get("jdbc-user", mariadbData() ? "root" : "postgres"));
        config.setPassword(get("jdbc-password", ""));
        config.setMaximumPoolSize(size);
        config.setMinimumIdle(0);
        config.setPoolName(name);
        config.setConnectionTimeout(30_000);
        config.setTransactionIsolation("TRANSACTION_READ_COMMITTED"); // what the row patterns are written for
        return new HikariDataSource(config);
    }

    /** The lock provider the backend names, on {@code data} for the SQL backends; clients it opens go to {@code closeLater}. */
    LockProvider lockProvider(javax.sql.DataSource data, String runId, List<AutoCloseable> closeLater) {
        return lockProvider(data, runId, closeLater, false);
    }

    /** Creates the lock backend's own objects (the SQL backends' fencing sequence) before the replicas start. */
    void prepareLockBackend(javax.sql.DataSource data, String runId) throws Exception {
        List<AutoCloseable> clients = new ArrayList<>();
        try (LockProvider locks = lockProvider(data, runId, clients, true)) {
            locks.acquire(dev.holdfast.lock.LockRequest.of("demo-" + runId + ":setup")).release();
        } finally {
            for (AutoCloseable c : clients) {
                c.close();
            }
        }
    }

    /** Deletes what this run left in Redis (fencing counters) or ZooKeeper (lock parents); SQL objects go with the schema. */
    void cleanUpLockBackend(String runId) throws Exception {
        if (backend().equals("redis")) {
            RedissonClient redisson = redisson();
            try {
                redisson.getKeys().deleteByPattern("holdfast-demo-" + runId + ":*");
            } finally {
                redisson.shutdown();
            }
        } else if (backend().equals("zookeeper")) {
            try (CuratorFramework curator = curator()) {
                curator.delete().quietly().deletingChildrenIfNeeded().forPath("/holdfast-demo/" + runId);
            }
        }
    }

    private LockProvider lockProvider(javax.sql.DataSource data, String runId, List<AutoCloseable> closeLater,
                                      boolean create) {
        return switch (backend()) {
            case "postgres" -> PostgresAdvisoryLockProvider.builder(data).namespace("holdfast-demo-" + runId)
                    .createIfMissing(create).build();
            case "mariadb" -> MysqlLockProvider.builder(data).createIfMissing(create).build();
            case "redis" -> RedisLockProvider.builder(redisson()).keyPrefix("holdfast-demo-" + runId + ":")
                    .shutdownClientOnClose(true).build();
            case "zookeeper" -> {
                CuratorFramework curator = curator();
                closeLater.add(curator);
                yield ZookeeperLockProvider.builder(curator).basePath("/holdfast-demo/" + runId).build();
            }
            default -> throw new IllegalStateException(backend());
        };
    }

    RedissonClient redisson() {
        Config config = new Config();
        config.useSingleServer().setAddress(get("redis", "redis://127.0.0.1:6379"))
                .setConnectionMinimumIdleSize(1).setConnectionPoolSize(16)
                .setSubscriptionConnectionMinimumIdleSize(1).setSubscriptionConnectionPoolSize(8);
        return Redisson.create(config);
    }

    CuratorFramework curator() {
        CuratorFramework curator = CuratorFrameworkFactory.builder().connectString(get("zookeeper"))
                .sessionTimeoutMs(15_000).connectionTimeoutMs(10_000)
                .retryPolicy(new ExponentialBackoffRetry(100, 5)).build();
        curator.start();
        return curator;
    }
}
