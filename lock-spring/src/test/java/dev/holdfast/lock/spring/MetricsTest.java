package dev.holdfast.lock.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.spring.TestApps.Backend;
import dev.holdfast.lock.testkit.Await;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/** holdfast.lock.* meters appear with the expected names and tags (on PostgreSQL, jdbc-table). */
class MetricsTest {

    static class Work {
        @Locked(name = "#{#name}", leaseTime = "900ms")
        public boolean slow(String name) throws InterruptedException {
            Thread.sleep(1200); // several renewals at a third of the lease time
            return true;
        }
    }

    @Configuration(proxyBeanMethods = false)
    @Import(Work.class)
    static class App {
    }

    @Test
    void acquireHeldRenewalsAndLostAreRecordedWithBackendAndResultTags() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        String name = TestApps.unique("metered");
        ConfigurableApplicationContext app = TestApps.start(Backend.JDBC_TABLE, List.of(App.class),
                Map.of("meterRegistry", registry));
        LockTemplate template = app.getBean(LockTemplate.class);
        try {
            assertThat(app.getBean(Work.class).slow(name)).isTrue();
            template.execute(name, lease -> {
                assertThat(registry.get("holdfast.lock.held").tag("backend", "jdbc-table").longTaskTimer().activeTasks())
                        .as("held now").isEqualTo(1);
                assertThat(template.tryRun(LockRequest.of(name), inner -> { })).as("joins; not busy").isTrue();
                return null;
            });
            LockProvider other = app.getBean(LockProvider.class);
            try (Lease held = other.acquire(LockRequest.of(name + "-busy"))) {
                CompletableFutureBusy.run(() -> template.tryRun(name + "-busy", lease -> { }));
            }
            Lease dangling = other.acquire(LockRequest.of(name + "-lost"));
            assertThat(dangling.isHeld()).isTrue();
        } finally {
            app.close(); // the provider closes: the open lease is lost
        }

        assertThat(registry.get("holdfast.lock.acquire").tags("backend", "jdbc-table", "result", "acquired").timer().count())
                .isGreaterThanOrEqualTo(3);
        assertThat(registry.get("holdfast.lock.acquire").tags("backend", "jdbc-table", "result", "busy").timer().count())
                .isEqualTo(1);
        assertThat(registry.get("holdfast.lock.renewals").tag("backend", "jdbc-table").counter().count())
                .isGreaterThanOrEqualTo(1);
        assertThat(registry.get("holdfast.lock.lost").tag("backend", "jdbc-table").counter().count()).isEqualTo(1);
        assertThat(registry.get("holdfast.lock.held").tag("backend", "jdbc-table").longTaskTimer().activeTasks()).isZero();
        assertThat(registry.getMeters()).as("no lock-name tag by default")
                .allSatisfy(m -> assertThat(m.getId().getTag("lock")).isNull());
        assertThat(registry.getMeters().stream().map(m -> m.getId().getName()).distinct())
                .allMatch(n -> n.startsWith("holdfast.lock."));
    }

    /** Runs a busy attempt on another thread (this thread holds the lock through the provider, not @Locked). */
    static final class CompletableFutureBusy {
        static void run(java.util.function.BooleanSupplier attempt) throws Exception {
            boolean ran = java.util.concurrent.CompletableFuture.supplyAsync(attempt::getAsBoolean)
                    .get(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(ran).as("busy").isFalse();
        }
    }

    @Test
    void theLockNameTagIsOptIn() {
        MeterRegistry registry = new SimpleMeterRegistry();
        String name = TestApps.unique("tagged");
        try (ConfigurableApplicationContext app = TestApps.start(Backend.JDBC_TABLE, List.of(), Map.of("meterRegistry", registry),
                "holdfast.lock.metrics.lock-name-tag=true")) {
            app.getBean(LockTemplate.class).tryRun(name, lease -> { });
        }
        assertThat(registry.get("holdfast.lock.acquire").tags("backend", "jdbc-table", "result", "acquired", "lock", name)
                .timer().count()).isEqualTo(1);
    }

    @Test
    void noMetersWhenDisabled() {
        MeterRegistry registry = new SimpleMeterRegistry();
        try (ConfigurableApplicationContext app = TestApps.start(Backend.JDBC_TABLE, List.of(), Map.of("meterRegistry", registry),
                "holdfast.lock.metrics.enabled=false")) {
            app.getBean(LockTemplate.class).tryRun(TestApps.unique("unmetered"), lease -> { });
        }
        assertThat(registry.getMeters()).map(Meter::getId).isEmpty();
    }
}
