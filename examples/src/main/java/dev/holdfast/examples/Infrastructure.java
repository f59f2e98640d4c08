package dev.holdfast.examples;

import com.zaxxer.hikari.HikariDataSource;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.springframework.jdbc.core.JdbcTemplate;

/** The databases and servers of one demo run; embedded ones are started here and stopped at close. */
final class Infrastructure implements AutoCloseable {
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
