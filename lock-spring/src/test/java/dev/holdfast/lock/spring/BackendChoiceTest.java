package dev.holdfast.lock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.holdfast.lock.InMemoryLockProvider;
import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.jdbc.JdbcTableLockProvider;
import dev.holdfast.lock.jdbc.MysqlLockProvider;
import dev.holdfast.lock.jdbc.PostgresAdvisoryLockProvider;
import dev.holdfast.lock.redis.RedisLockProvider;
import dev.holdfast.lock.testkit.fixtures.MariaDbFixture;
import dev.holdfast.lock.testkit.fixtures.PostgresFixture;
import dev.holdfast.lock.zookeeper.ZookeeperLockProvider;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.springframework.beans.BeanWrapperImpl;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import dev.holdfast.lock.spring.autoconfigure.HoldfastLockProperties;

/** Each holdfast.lock.backend value builds its provider on the application's client bean, and locks. */
class BackendChoiceTest {

    @Configuration(proxyBeanMethods = false)
    static class PostgresApp {
        @Bean(destroyMethod = "close")
        HikariDataSource dataSource() {
            return PostgresFixture.newDataSource(TestApps.unique("holdfast-spring"), 2);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class MariaDbApp {
        @Bean(destroyMethod = "close")
        HikariDataSource dataSource() {
            return MariaDbFixture.newDataSource(TestApps.unique("holdfast-spring"), 2);
        }
    }

    private static void assertBuildsAndLocks(ConfigurableApplicationContext app, Class<? extends LockProvider> type) {
        try (app) {
            assertThat(app.getBean(LockProvider.class)).isInstanceOf(type);
            assertThat(app.getBean(LockTemplate.class).tryRun(TestApps.unique("choice"), lease ->
                    assertThat(lease.token()).isPositive())).isTrue();
        }
    }

    @Test
    void eachBackendValueBuildsItsProvider() {
        assertBuildsAndLocks(TestApps.start(TestApps.Backend.JDBC_TABLE, List.of(), Map.of()), JdbcTableLockProvider.class);
        assertBuildsAndLocks(TestApps.start(TestApps.Backend.REDIS, List.of(), Map.of()), RedisLockProvider.class);
        assertBuildsAndLocks(TestApps.start(TestApps.Backend.ZOOKEEPER, List.of(), Map.of()), ZookeeperLockProvider.class);
        assertBuildsAndLocks(TestApps.start(List.of(PostgresApp.class), Map.of(), "holdfast.lock.backend=postgres-advisory"),
                PostgresAdvisoryLockProvider.class);
        assertBuildsAndLocks(TestApps.start(List.of(MariaDbApp.class), Map.of(), "holdfast.lock.backend=mysql"),
                MysqlLockProvider.class);
        assertBuildsAndLocks(TestApps.start(List.of(), Map.of(), "holdfast.lock.backend=in-memory"),
                InMemoryLockProvider.class);
    }

    @Test
    void aFailingBackendIsAnErrorNotBusyInTheMeters() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (ConfigurableApplicationContext app = TestApps.start(List.of(), Map.of("meterRegistry", registry),
                "holdfast.lock.backend=in-memory")) {
            ((InMemoryLockProvider) app.getBean(LockProvider.class)).store().setAvailable(false);
            assertThatThrownBy(() -> app.getBean(LockTemplate.class).tryRun("down", lease -> { }))
                    .isInstanceOf(LockBackendException.class);
        }
        assertThat(registry.get("holdfast.lock.acquire").tags("backend", "in-memory", "result", "error").timer().count())
                .isEqualTo(1);
    }

    @Test
    void theConfigurationMetadataDescribesEveryProperty() throws Exception {
        String json;
        try (var in = BackendChoiceTest.class.getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("metadata on the classpath").isNotNull();
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Set<String> described = new TreeSet<>();
        Matcher m = Pattern.compile("\"name\": \"(holdfast\\.lock\\.[a-z.-]+)\",\\s*\"type\": \"java\\.(?!.*\\$)").matcher(json);
        while (m.find()) {
            described.add(m.group(1));
        }
        Set<String> actual = new TreeSet<>();
        collect("holdfast.lock", new HoldfastLockProperties(), actual);
        assertThat(described).isEqualTo(actual);
    }

    private static void collect(String prefix, Object bean, Set<String> into) {
        BeanWrapperImpl w = new BeanWrapperImpl(bean);
        for (var pd : w.getPropertyDescriptors()) {
            if (pd.getName().equals("class") || pd.getReadMethod() == null) {
                continue;
            }
            String name = prefix + "." + pd.getName().replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
            if (pd.getWriteMethod() != null) {
                into.add(name);
            } else {
                collect(name, w.getPropertyValue(pd.getName()), into);
            }
        }
    }
}
