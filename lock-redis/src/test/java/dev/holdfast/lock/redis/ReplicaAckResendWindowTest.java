package dev.holdfast.lock.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.testkit.fixtures.RedisFixture;
import dev.holdfast.lock.testkit.fixtures.RedisServerProcess;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

/**
 * With replicaAcks the acquire and renew scripts go out as a Redisson batch with
 * {@code sync(n, t)}, and Redisson 4.7 gives such a batch a response timeout of {@code timeout + t}
 * (RedisCommonBatchExecutor.timeout), so its resend window is {@code retryAttempts × (timeout + t + delay)}.
 * build() must count that longer window (it once checked only {@code retryAttempts × (timeout + delay)}).
 */
class ReplicaAckResendWindowTest {

    @Test
    void aReplicaAckedBatchWaitsTimeoutPlusTheAckTimeoutBeforeRedissonGivesUpOrResends() {
        // no replica on this throwaway server
        try (RedisServerProcess server = RedisServerProcess.start(); RedisClients clients = new RedisClients()) {
            RedissonClient client = clients.create(server.address(), RedisClients.uniqueName("hf-ackwindow"), true,
                    1000, 0, 100);
            try (RedisLockProvider p = RedisLockProvider.builder(client).keyPrefix(RedisFixture.keyPrefix("ackwindow"))
                    .replicaAcks(1, Duration.ofMillis(1500)).build()) {
                long start = System.nanoTime();
                Throwable t = catchThrowable(() -> p.tryAcquire(LockRequest.of("ackwindow-acked")));
                long tookMs = (System.nanoTime() - start) / 1_000_000;
                // WAIT 1 1500 answers 0 after 1.5 s, later than the client's 1000 ms timeout, and Redisson still
                // waits for it: the batch's response timeout is timeout + t (2500 ms), not timeout. On a loaded
                // machine the answer may miss even those 2500 ms, and Redisson's message then names them.
                assertThat(t).isInstanceOf(LockBackendException.class).satisfiesAnyOf(
                        e -> assertThat(e).hasMessageContaining("acknowledged by 0 of the 1 replicas"),
                        e -> assertThat(e).hasMessageContaining("response timeout (2500 ms)"));
                assertThat(tookMs).as("the acked batch outlived the client's 1000 ms timeout").isGreaterThanOrEqualTo(1400);
            }
        }
    }

    @Test
    void buildRefusesAReplicaAckedProviderWhoseBatchResendWindowIsNotBelowTheGoneMemory() {
        try (RedisServerProcess server = RedisServerProcess.start(); RedisClients clients = new RedisClients()) {
            // 3 × (15 s + 1 s) = 48 s for plain commands (accepted, as in RedisLockProviderTest), but the acquire
            // batch with replicaAcks(1, 10 s) may be resent for 3 × (15 s + 10 s + 1 s) = 78 s
            RedissonClient client = clients.create(server.address(), RedisClients.uniqueName("hf-ackwindow"), true,
                    15_000, 3, 1000);
            assertThatThrownBy(() -> RedisLockProvider.builder(client).keyPrefix(RedisFixture.keyPrefix("ackwindow"))
                    .replicaAcks(1, Duration.ofSeconds(10)).build().close())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("60000 ms");
        }
    }
}
