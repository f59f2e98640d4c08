package dev.holdfast.lock.spring;

import com.zaxxer.hikari.HikariDataSource;
import dev.holdfast.lock.testkit.fixtures.PostgresFixture;
import dev.holdfast.lock.testkit.fixtures.RedisFixture;
import dev.holdfast.lock.testkit.fixtures.ZookeeperFixture;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Starts real Spring Boot applications on the real local backends, each like a process of its own. */
final class TestApps {

    private TestApps() {
    }

    /** The backends the Spring tests run on. */
    enum Backend {
        JDBC_TABLE("jdbc-table", PgConfig.class),
        REDIS("redis", RedisConfig.class),
        ZOOKEEPER("zookeeper", ZkConfig.class);

        final String property;
        final Class<?> config;

        Backend(String property, Class<?> config) {
            this.property = property;
            this.config = config;
        }
    }

    private static ZookeeperFixture zookeeper;

    static synchronized String zookeeperConnect() {
        if (zookeeper == null) {
            zookeeper = ZookeeperFixture.open();
            Runtime.getRuntime().addShutdownHook(new Thread(zookeeper::close));
        }
        return zookeeper.connectString();
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8) + ThreadLocalRandom.current().nextInt(1000);
    }

    /** Starts an application of {@code sources} on {@code backend} with {@code properties} ("key=value"). */
    static ConfigurableApplicationContext start(Backend backend, List<Class<?>> sources, Map<String, Object> singletons,
                                                String... properties) {
        List<Class<?>> all = new ArrayList<>(sources);
        all.add(backend.config);
        List<String> props = new ArrayList<>(List.of(properties));
        props.add("holdfast.lock.backend=" + backend.property);
        props.add("holdfast.lock.jdbc.table-name=holdfast_lock_spring_test");
        props.add("holdfast.lock.redis.key-prefix=holdfast-spring-test:");
        props.add("holdfast.lock.zookeeper.base-path=/holdfast-spring-test");
        if (backend == Backend.ZOOKEEPER) {
            props.add("test.zk.connect=" + zookeeperConnect());
        }
        return start(all, singletons, props.toArray(String[]::new));
    }

    /** Starts an application of {@code sources} with {@code properties} only. */
    static ConfigurableApplicationContext start(List<Class<?>> sources, Map<String, Object> singletons,
                                                String... properties) {
        List<Class<?>> all = new ArrayList<>(sources);
        all.add(0, AutoConfig.class);
        List<String> props = new ArrayList<>(List.of(properties));
        // Boot 3's one autoconfigure jar would build a DataSource of its own (HikariCP is on the test classpath)
        props.add("spring.autoconfigure.exclude=org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration");
        return new SpringApplicationBuilder(all.toArray(Class<?>[]::new))
                .web(WebApplicationType.NONE)
                .bannerMode(Banner.Mode.OFF)
                .logStartupInfo(false)
                .properties(props.toArray(String[]::new))
                .initializers(ctx -> singletons.forEach((name, bean) -> ctx.getBeanFactory().registerSingleton(name, bean)))
                .run();
    }

    /** Boot's auto-configuration, Holdfast's included, as an application gets it. */
    @SpringBootConfiguration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class AutoConfig {
    }

    /** Its own pool on the test PostgreSQL, like another process. */
    @Configuration(proxyBeanMethods = false)
    static class PgConfig {
        @Bean(destroyMethod = "close")
        HikariDataSource dataSource() {
            return PostgresFixture.newDataSource(unique("holdfast-spring"), 4);
        }
    }

    /** Its own Redisson client on the test Redis, like another process. */
    @Configuration(proxyBeanMethods = false)
    static class RedisConfig {
        @Bean(destroyMethod = "shutdown")
        RedissonClient redisson() {
            Config config = new Config();
            config.useSingleServer().setAddress(RedisFixture.shared().address())
                    .setConnectionMinimumIdleSize(1).setConnectionPoolSize(8)
                    .setSubscriptionConnectionMinimumIdleSize(1).setSubscriptionConnectionPoolSize(4);
            return Redisson.create(config);
        }
    }

    /** Its own Curator client (its own session) on the in-process ZooKeeper, like another process. */
    @Configuration(proxyBeanMethods = false)
    static class ZkConfig {
        @Bean(initMethod = "start", destroyMethod = "close")
        CuratorFramework curator(@Value("${test.zk.connect}") String connect) {
            return CuratorFrameworkFactory.builder().connectString(connect)
                    .sessionTimeoutMs(10_000).connectionTimeoutMs(5_000)
                    .retryPolicy(new ExponentialBackoffRetry(100, 3)).build();
        }
    }
}
