package dev.holdfast.lock.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockRequest;
import java.time.Duration;
import java.util.HashSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Review: a table lease built with tokensAbove must still renew and release (owner checks use the backend token). */
class ReviewTokensAboveTableTest {

    @RegisterExtension
    static final TestDb DB = TestDb.postgres();

    @Test
    void tableLeaseWithTokensAboveRenewsAndReleases() {
        try (JdbcTableLockProvider p = JdbcTableLockProvider.builder(DB.direct(new HashSet<>())).tokensAbove(1_000_000).build()) {
            String name = "review-ta-" + UUID.randomUUID();
            Lease lease = p.acquire(LockRequest.named(name).leaseTime(Duration.ofSeconds(30)).build());
            assertThat(lease.token()).isGreaterThan(1_000_000);
            boolean extended;
            try {
                lease.extend(Duration.ofSeconds(30));
                extended = true;
            } catch (RuntimeException e) {
                extended = false;
                System.out.println("REVIEW extend failed: " + e);
            }
            boolean released = lease.release();
            boolean freeAfter = p.tryAcquire(LockRequest.named(name).build()).map(l -> { l.release(); return true; }).orElse(false);
            System.out.println("REVIEW extended=" + extended + " released=" + released + " freeAfter=" + freeAfter);
            assertThat(extended).as("extend").isTrue();
            assertThat(released).as("release").isTrue();
            assertThat(freeAfter).as("free after release").isTrue();
        }
    }
}
