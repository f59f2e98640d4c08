package dev.holdfast.lock.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.testkit.fixtures.RedisFixture;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

/** Review: a Redis lease built with tokensAbove must still renew and release (owner checks use the backend token). */
class ReviewTokensAboveRedisTest {

    private static final RedisClients CLIENTS = new RedisClients();

    @AfterAll
    static void stop() {
        CLIENTS.close();
    }

    @Test
    void redisLeaseWithTokensAboveRenewsAndReleases() {
        RedisFixture redis = RedisFixture.shared();
        RedissonClient client = CLIENTS.create("redis://" + redis.host() + ":" + redis.port(), RedisClients.uniqueName("review"));
        try (RedisLockProvider p = RedisLockProvider.builder(client).keyPrefix(RedisFixture.keyPrefix("review"))
                .tokensAbove(1_000_000).build()) {
            String name = "review-ta-" + UUID.randomUUID();
            Lease lease = p.acquire(LockRequest.named(name).leaseTime(Duration.ofSeconds(30)).build());
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
