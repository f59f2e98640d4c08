package dev.holdfast.lock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariDataSource;
import dev.holdfast.lock.InMemoryLockProvider;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.jdbc.JdbcTableLockProvider;
import dev.holdfast.lock.spring.autoconfigure.HoldfastLockProperties;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/** Bad templates, backends, missing beans and negative durations fail at startup, naming the method or property. */
class StartupFailureTest {

    record Seller(String id) {
    }

    static class BadSpel {
        @Locked(name = "payout:#{#seller.}")
        public void pay(Seller seller) {
        }
    }

    static class UnknownParameter {
        @Locked(name = "payout:#{#sellr.id}")
        public void pay(Seller seller) {
        }
    }

    static class NegativeLease {
        @Locked(name = "job", leaseTime = "-5s")
        public void run() {
        }
    }

    static class NotADuration {
        @Locked(name = "job", waitTime = "soon")
        public void run() {
        }
    }

    static class MinHoldOverLease {
        @Locked(name = "job", leaseTime = "1s", minHold = "2s")
        public void run() {
        }
    }

    static class FinalMethod {
        @Locked(name = "job")
        public final void run() {
        }
    }

    /** The failure's whole chain of messages. */
    private static String startupFailure(List<Class<?>> sources, String... properties) {
        Throwable t = catchThrowable(() -> TestApps.start(sources, Map.of(), properties).close());
        assertThat(t).as("startup should have failed").isNotNull();
        StringWriter out = new StringWriter();
        t.printStackTrace(new PrintWriter(out));
        return out.toString();
    }

    @Test
    void aTemplateThatDoesNotParseNamesTheMethod() {
        assertThat(startupFailure(List.of(BadSpel.class), "holdfast.lock.backend=in-memory"))
                .contains("@Locked on " + BadSpel.class.getName() + "#pay(Seller)")
                .contains("does not parse");
    }

    @Test
    void aTemplateNamingAMissingParameterNamesTheMethodAndTheParameters() {
        assertThat(startupFailure(List.of(UnknownParameter.class), "holdfast.lock.backend=in-memory"))
                .contains(UnknownParameter.class.getName() + "#pay(Seller)")
                .contains("refers to #sellr but the method's parameters are #seller");
    }

    @Test
    void badAnnotationDurationsNameTheMethodAndTheAttribute() {
        assertThat(startupFailure(List.of(NegativeLease.class), "holdfast.lock.backend=in-memory"))
                .contains(NegativeLease.class.getName() + "#run()").contains("leaseTime must not be negative");
        assertThat(startupFailure(List.of(NotADuration.class), "holdfast.lock.backend=in-memory"))
                .contains(NotADuration.class.getName() + "#run()").contains("waitTime 'soon' is not a duration");
        assertThat(startupFailure(List.of(MinHoldOverLease.class), "holdfast.lock.backend=in-memory"))
                .contains(MinHoldOverLease.class.getName() + "#run()").contains("minHold (PT2S) must not be longer");
    }

    @Test
    void aMethodTheProxyCannotInterceptFailsInsteadOfRunningUnlocked() {
        assertThat(startupFailure(List.of(FinalMethod.class), "holdfast.lock.backend=in-memory"))
                .contains(FinalMethod.class.getName() + "#run()").contains("must not be private, static or final");
    }

    @Test
    void anUnknownBackendNamesTheProperty() {
        assertThat(startupFailure(List.of(), "holdfast.lock.backend=cassandra"))
                .contains("holdfast.lock.backend must be one of jdbc-table, postgres-advisory, mysql, redis, zookeeper, in-memory; was 'cassandra'");
    }

    @Test
    void aMissingClientBeanNamesThePropertyAndTheBean() {
        assertThat(startupFailure(List.of(), "holdfast.lock.backend=redis"))
                .contains("holdfast.lock.backend=redis needs a RedissonClient bean, but there is none");
        assertThat(startupFailure(List.of(), "holdfast.lock.backend=zookeeper"))
                .contains("holdfast.lock.backend=zookeeper needs a CuratorFramework bean, but there is none");
        assertThat(startupFailure(List.of(), "holdfast.lock.backend=jdbc-table"))
                .contains("holdfast.lock.backend=jdbc-table needs a DataSource bean, but there is none");
        assertThat(startupFailure(List.of(), "holdfast.lock.backend=postgres-advisory"))
                .contains("holdfast.lock.backend=postgres-advisory needs a DataSource bean, but there is none");
    }

    @Test
    void noBackendAndNoDataSourceAsksForTheProperty() {
        assertThat(startupFailure(List.of()))
                .contains("holdfast.lock.backend is not set and there is no single DataSource bean");
    }

    @Test
    void negativeDurationsNameTheProperty() {
        assertThat(startupFailure(List.of(), "holdfast.lock.backend=in-memory", "holdfast.lock.lease-time=-5s"))
                .contains("holdfast.lock.lease-time must be positive, was PT-5S");
        assertThat(startupFailure(List.of(), "holdfast.lock.backend=in-memory", "holdfast.lock.wait-time=-1s"))
                .contains("holdfast.lock.wait-time must not be negative, was PT-1S");
        assertThat(startupFailure(List.of(), "holdfast.lock.backend=in-memory", "holdfast.lock.leader.name=x",
                "holdfast.lock.leader.lease-time=-1s"))
                .contains("holdfast.lock.leader.lease-time must be positive");
        assertThat(startupFailure(List.of(), "holdfast.lock.backend=in-memory", "holdfast.lock.lease-time=0s"))
                .contains("holdfast.lock.lease-time must be positive, was PT0S");
    }

    @Configuration(proxyBeanMethods = false)
    @Import(TestApps.PgConfig.class)
    static class OneDataSource {
    }

    @Test
    void zeroPropertiesWithASingleDataSourcePickTheTableProvider() {
        try (ConfigurableApplicationContext app = TestApps.start(List.of(OneDataSource.class), Map.of(),
                "holdfast.lock.jdbc.table-name=holdfast_lock_spring_test")) {
            assertThat(app.getBean(LockProvider.class)).isInstanceOf(JdbcTableLockProvider.class);
            assertThat(app.getBean(HikariDataSource.class)).isNotNull();
            assertThat(app.getBean(LockTemplate.class).tryRun(TestApps.unique("zero-config"), lease -> { })).isTrue();
        }
    }

    @Test
    void aMissingLockTableWithCreateIfMissingOffFailsStartupNamingTheTableTheOptionAndTheDdl() {
        String table = "hf_missing_" + Long.toHexString(System.nanoTime());
        for (String option : new String[] {"holdfast.lock.jdbc.create-if-missing=false", "holdfast.lock.jdbc.create-table=false"}) {
            assertThat(startupFailure(List.of(OneDataSource.class), "holdfast.lock.backend=jdbc-table",
                    "holdfast.lock.jdbc.table-name=" + table, option))
                    .contains("the table '" + table + "' does not exist")
                    .contains("createIfMissing(true)")
                    .contains("dev/holdfast/lock/jdbc/schema/postgresql-holdfast_lock.sql");
        }
    }

    @Test
    void createIfMissingCoversEveryJdbcBackendAndDefaultsToOn() throws Exception {
        String table = "hf_created_" + Long.toHexString(System.nanoTime());
        try (ConfigurableApplicationContext app = TestApps.start(List.of(OneDataSource.class), Map.of(),
                "holdfast.lock.backend=jdbc-table", "holdfast.lock.jdbc.table-name=" + table)) {
            assertThat(app.getBean(LockTemplate.class).tryRun(TestApps.unique("created"), lease -> { })).isTrue();
            try (var c = app.getBean(HikariDataSource.class).getConnection(); var s = c.createStatement()) {
                s.execute("DROP TABLE " + table);
            }
        }
        // the new property wins over the deprecated one, for the advisory backend too
        try (ConfigurableApplicationContext app = TestApps.start(List.of(OneDataSource.class), Map.of(),
                "holdfast.lock.backend=postgres-advisory", "holdfast.lock.jdbc.create-table=false",
                "holdfast.lock.jdbc.create-if-missing=true")) {
            assertThat(app.getBean(HoldfastLockProperties.class).getJdbc().isCreateIfMissing()).isTrue();
            assertThat(app.getBean(LockTemplate.class).tryRun(TestApps.unique("advisory"), lease -> { })).isTrue();
        }
    }

    @Test
    void aStatementTimeoutOutOfRangeFailsStartupNamingTheOption() {
        assertThat(startupFailure(List.of(OneDataSource.class), "holdfast.lock.backend=jdbc-table",
                "holdfast.lock.jdbc.statement-timeout=0s"))
                .contains("statementTimeout");
        assertThat(startupFailure(List.of(OneDataSource.class), "holdfast.lock.backend=jdbc-table",
                "holdfast.lock.jdbc.statement-timeout=2d"))
                .contains("statementTimeout must be at most");
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnProvider {
        @Bean
        LockProvider myProvider() {
            return InMemoryLockProvider.create();
        }
    }

    @Test
    void anApplicationsOwnProviderIsKept() {
        try (ConfigurableApplicationContext app = TestApps.start(List.of(OwnProvider.class), Map.of())) {
            assertThat(app.getBean(LockProvider.class)).isInstanceOf(InMemoryLockProvider.class);
            assertThat(app.getBean(LockTemplate.class).provider()).isSameAs(app.getBean(LockProvider.class));
        }
    }
}
