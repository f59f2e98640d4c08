package dev.holdfast.lock.reliability;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.harness.WorkerBackend;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The JDBC providers' common worker side: a small pool whose connections go through the worker's proxy,
 * named {@code harness.jdbc.appName} (also the PostgreSQL {@code application_name}) so the run can end exactly its own
 * sessions, with socket timeouts so a stalled connection fails instead of hanging.
 */
abstract class JdbcWorkerBackend implements WorkerBackend {

    private static final Pattern URL = Pattern.compile("^(jdbc:[a-z]+://)[^/]+(/.*)$");

    private @Nullable HikariDataSource pool;

    /** Builds the provider on {@code dataSource}. */
    abstract LockProvider provider(DataSource dataSource, Map<String, String> settings);

    @Override
    public final LockProvider open(Map<String, String> settings) {
        String url = settings.get("harness.jdbc.url");
        Matcher m = URL.matcher(url);
        if (!m.matches()) {
            throw new IllegalArgumentException("cannot route " + url + " through the proxy");
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(m.group(1) + "127.0.0.1:" + settings.get("harness.proxy.port") + m.group(2));
        config.setUsername(settings.get("harness.jdbc.user"));
        config.setPassword(settings.get("harness.jdbc.password"));
        config.setPoolName(settings.get("harness.jdbc.appName"));
        config.setMaximumPoolSize(Integer.parseInt(settings.get("harness.threads")) + 3);
        config.setMinimumIdle(0);
        config.setConnectionTimeout(3_000);
        config.setValidationTimeout(1_000);
        config.setInitializationFailTimeout(-1);
        if (url.startsWith("jdbc:postgresql:")) {
            config.addDataSourceProperty("ApplicationName", settings.get("harness.jdbc.appName"));
            config.addDataSourceProperty("socketTimeout", "5");
            config.addDataSourceProperty("connectTimeout", "3");
        } else {
            config.addDataSourceProperty("socketTimeout", "5000");
            config.addDataSourceProperty("connectTimeout", "3000");
        }
        pool = new HikariDataSource(config);
        return provider(pool, settings);
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.close();
        }
    }
}
