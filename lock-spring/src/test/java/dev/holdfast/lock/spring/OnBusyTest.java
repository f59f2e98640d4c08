package dev.holdfast.lock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockNotAcquiredException;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.jdbc.JdbcTableLockProvider;
import dev.holdfast.lock.spring.TestApps.Backend;
import dev.holdfast.lock.testkit.fixtures.PostgresFixture;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * SKIP, FAIL and WAIT as documented, nested calls joining the outer lease, the current lease, and
 * LockTemplate: one application on PostgreSQL (jdbc-table), with another provider on the same table
 * holding locks like another process.
 */
class OnBusyTest {

    static final AtomicInteger runs = new AtomicInteger();

    static class Jobs {
        private final Inner inner;

        Jobs(Inner inner) {
            this.inner = inner;
        }

        @Locked(name = "#{#name}")
        public String skipString(String name) {
            runs.incrementAndGet();
            return "ran";
        }

        @Locked(name = "#{#p0}")
        public Optional<String> skipOptional(String name) {
            runs.incrementAndGet();
            return Optional.of("ran");
        }

        @Locked(name = "#{#name}")
        public List<String> skipList(String name) {
            runs.incrementAndGet();
            return List.of("ran");
        }

        @Locked(name = "#{#name}")
        public int skipInt(String name) {
            runs.incrementAndGet();
            return 42;
        }

        @Locked(name = "#{#name}")
        public void skipVoid(String name) {
            runs.incrementAndGet();
        }

        @Locked(name = "#{#name}", onBusy = Locked.OnBusy.FAIL)
        public String fail(String name) {
            runs.incrementAndGet();
            return "ran";
        }

        @Locked(name = "#{#name}", onBusy = Locked.OnBusy.WAIT, waitTime = "${test.wait}")
        public String waitLong(String name) {
            return "ran";
        }

        @Locked(name = "#{#name}", onBusy = Locked.OnBusy.WAIT, waitTime = "300ms")
        public String waitShort(String name) {
            return "ran";
        }

        /** Returns outer token, inner token. */
        @Locked(name = "nest:#{#id}", onBusy = Locked.OnBusy.FAIL)
        public long[] outer(String id) {
            Lease lease = LockedContext.currentLease().orElseThrow();
            assertThat(lease.name()).isEqualTo("nest:" + id);
            return new long[] {lease.token(), inner.sameLock(id)};
        }
    }

    static class Inner {
        @Locked(name = "nest:#{#id}", onBusy = Locked.OnBusy.FAIL)
        public long sameLock(String id) {
            return LockedContext.currentLease().orElseThrow().token();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @Import({Jobs.class, Inner.class})
    static class App {
    }

    static ConfigurableApplicationContext app;
    static Jobs jobs;
    static LockProvider otherProcess;

    @BeforeAll
    static void start() {
        app = TestApps.start(Backend.JDBC_TABLE, List.of(App.class), Map.of(), "test.wait=10s",
                "holdfast.lock.wait-time=5s");
        jobs = app.getBean(Jobs.class);
        otherProcess = JdbcTableLockProvider.builder(PostgresFixture.dataSource())
                .tableName("holdfast_lock_spring_test").createIfMissing(true).build();
    }

    @AfterAll
    static void stop() {
        otherProcess.close();
        app.close();
    }

    private static Lease holdElsewhere(String name) {
        return otherProcess.acquire(LockRequest.named(name).leaseTime(Duration.ofSeconds(30)).build());
    }

    @Test
    void skipReturnsAnEmptyValueOfTheDeclaredTypeWithoutRunning() {
        String name = TestApps.unique("skip");
        int before = runs.get();
        try (Lease held = holdElsewhere(name)) {
            assertThat(jobs.skipString(name)).isNull();
            assertThat(jobs.skipOptional(name)).isEmpty();
            assertThat(jobs.skipList(name)).isEmpty();
            assertThat(jobs.skipInt(name)).isZero();
            jobs.skipVoid(name);
        }
        assertThat(runs.get()).as("nothing ran while busy").isEqualTo(before);
        assertThat(jobs.skipString(name)).isEqualTo("ran");
        assertThat(jobs.skipOptional(name)).contains("ran");
        assertThat(jobs.skipInt(name)).isEqualTo(42);
    }

    @Test
    void failThrowsLockNotAcquiredAtOnceWithoutRunning() {
        String name = TestApps.unique("fail");
        int before = runs.get();
        try (Lease held = holdElsewhere(name)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> jobs.fail(name)).isInstanceOf(LockNotAcquiredException.class)
                    .hasMessageContaining(name);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        }
        assertThat(runs.get()).isEqualTo(before);
        assertThat(jobs.fail(name)).isEqualTo("ran");
    }

    @Test
    void waitRunsOnceTheHolderLetsGo() throws Exception {
        String name = TestApps.unique("wait");
        Lease held = holdElsewhere(name);
        CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> jobs.waitLong(name));
        Thread.sleep(500);
        assertThat(call).as("still waiting while held").isNotDone();
        held.release();
        assertThat(call.get(10, TimeUnit.SECONDS)).isEqualTo("ran");
    }

    @Test
    void waitGivesUpWithLockNotAcquiredAfterTheWaitTime() {
        String name = TestApps.unique("wait-short");
        try (Lease held = holdElsewhere(name)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> jobs.waitShort(name)).isInstanceOf(LockNotAcquiredException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
        }
    }

    @Test
    void aNestedCallForTheSameLockJoinsTheOuterLease() {
        String id = TestApps.unique("n");
        long[] tokens = jobs.outer(id);
        assertThat(tokens[0]).isPositive();
        assertThat(tokens[1]).as("inner call ran on the outer lease").isEqualTo(tokens[0]);
        assertThat(LockedContext.currentLease()).as("nothing left on the thread").isEmpty();
        assertThat(otherProcess.tryAcquire(LockRequest.of("nest:" + id))).as("released after the outer call")
                .hasValueSatisfying(Lease::release);
    }

    @Test
    void lockTemplateRunsActionsUnderTheLockAndJoinsOnTheSameThread() {
        LockTemplate template = app.getBean(LockTemplate.class);
        assertThat(template.defaultWaitTime()).isEqualTo(Duration.ofSeconds(5));
        String name = TestApps.unique("template");
        long token = template.execute(name, lease -> template.execute(name, inner -> {
            assertThat(inner.token()).isEqualTo(lease.token());
            return inner.token();
        }));
        assertThat(token).isPositive();
        try (Lease held = holdElsewhere(name)) {
            assertThat(template.tryRun(LockRequest.of(name), lease -> runs.incrementAndGet())).isFalse();
            assertThatThrownBy(() -> template.execute(LockRequest.of(name), lease -> "x"))
                    .isInstanceOf(LockNotAcquiredException.class);
        }
        assertThat(template.tryRun(name, lease -> { })).isTrue();
        assertThat(app.getBean(dev.holdfast.lock.Guard.class).lock(name).act(lease -> "acted").acted()).isTrue();
    }
}
