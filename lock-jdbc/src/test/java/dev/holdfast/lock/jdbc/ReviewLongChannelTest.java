package dev.holdfast.lock.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockRequest;
import java.time.Duration;
import java.util.HashSet;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Review: a valid schema-qualified table name whose channel is longer than 63 bytes must still release. */
class ReviewLongChannelTest {

    @RegisterExtension
    static final TestDb DB = TestDb.postgres();

    @Test
    void qualifiedLongTableNameReleases() {
        String table = "public.t" + "x".repeat(58); // valid per Jdbc.identifier (each part <= 63)
        try (JdbcTableLockProvider p = JdbcTableLockProvider.builder(DB.direct(new HashSet<>())).tableName(table).notifications(false).build()) {
            String name = "review-ch-" + UUID.randomUUID();
            Lease lease = p.acquire(LockRequest.named(name).leaseTime(Duration.ofSeconds(30)).build());
            String outcome;
            try {
                outcome = "released=" + lease.release();
            } catch (RuntimeException e) {
                outcome = "release threw " + e;
            }
            boolean freeAfter = p.tryAcquire(LockRequest.named(name).build()).map(l -> { l.release(); return true; }).orElse(false);
            System.out.println("REVIEW " + outcome + " freeAfter=" + freeAfter);
            assertThat(freeAfter).as(outcome).isTrue();
        }
    }
}
