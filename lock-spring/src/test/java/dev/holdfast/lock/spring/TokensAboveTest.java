package dev.holdfast.lock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.zaxxer.hikari.HikariDataSource;
import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.jdbc.PostgresAdvisoryLockProvider;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Moving lock names to another backend: {@code holdfast.lock.tokens-above} (the builders' {@code tokensAbove})
 * makes every token of the new provider greater than the old backend's high-water mark, on a real backend
 * (PostgreSQL advisory locks), while its own owner checks keep working.
 */
class TokensAboveTest {

    private static final long HIGH_WATER_MARK = 1_800_000_000_000_000L; // e.g. the last Redis token a resource saw

    @Test
    void everyTokenOfTheMovedProviderIsAboveTheHighWaterMark() {
        try (ConfigurableApplicationContext app = TestApps.start(List.of(TestApps.PgConfig.class), Map.of(),
                "holdfast.lock.backend=postgres-advisory", "holdfast.lock.tokens-above=" + HIGH_WATER_MARK);
             LockProvider plain = PostgresAdvisoryLockProvider.builder(app.getBean(HikariDataSource.class)).build()) {
            LockTemplate locks = app.getBean(LockTemplate.class);
            String name = TestApps.unique("moved");
            long first = locks.execute(name, lease -> {
                assertThat(plain.tryAcquire(name)).as("held on the backend").isEmpty();
                lease.extend(lease.leaseTime()); // owner-checked on the backend with its own token
                return lease.token();
            });
            assertThat(first).isGreaterThan(HIGH_WATER_MARK);
            try (Lease again = plain.tryAcquire(name).orElseThrow()) { // released on the backend
                assertThat(again.token()).as("the same backend without the option").isLessThan(HIGH_WATER_MARK);
            }
            long second = locks.execute(name, Lease::token);
            assertThat(second).isGreaterThan(first);
        }
    }

    @Test
    void aNegativeValueFailsAtStartupNamingTheProperty() {
        Throwable t = catchThrowable(() -> TestApps.start(List.of(), Map.of(), "holdfast.lock.backend=in-memory",
                "holdfast.lock.tokens-above=-5").close());
        assertThat(t).isNotNull();
        java.io.StringWriter out = new java.io.StringWriter();
        t.printStackTrace(new java.io.PrintWriter(out));
        assertThat(out.toString()).contains("holdfast.lock.tokens-above must be zero or positive, was -5");
    }
}
