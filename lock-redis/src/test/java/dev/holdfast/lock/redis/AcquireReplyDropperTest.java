package dev.holdfast.lock.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.testkit.fixtures.RedisFixture;
import dev.holdfast.lock.testkit.fixtures.RedisServerProcess;
import dev.holdfast.lock.testkit.fixtures.RespClient;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

/**
 * The test fault itself: {@link AcquireReplyDropper} must lose the reply of the command that ran the acquire
 * script. On a server whose script cache is empty the acquire's EVALSHA gets a NOSCRIPT error and the
 * script runs only in the EVAL that follows; losing the NOSCRIPT error instead would leave the lost-reply
 * path untested while looking as if it fired.
 */
class AcquireReplyDropperTest {

    @Test
    void onAnEmptyScriptCacheTheReplyOfTheEvalThatRanTheScriptIsLostNotTheNoscriptError() {
        try (RedisServerProcess server = RedisServerProcess.start(); RedisClients clients = new RedisClients()) {
            String prefix = RedisFixture.keyPrefix("dropper");
            for (int round = 0; round < 3; round++) {
                try (RespClient admin = RespClient.connect("127.0.0.1", server.port())) {
                    admin.call("SCRIPT", "FLUSH");
                }
                AcquireReplyDropper dropper = new AcquireReplyDropper();
                RedissonClient client = clients.create(server.address(), RedisClients.uniqueName("hf-dropper"), false,
                        1000, 2, 100, dropper);
                try (RedisLockProvider provider = RedisLockProvider.builder(client).keyPrefix(prefix).build()) {
                    dropper.arm();
                    Optional<Lease> got;
                    try {
                        got = provider.tryAcquire(LockRequest.named("dropper-" + round)
                                .leaseTime(Duration.ofSeconds(30)).build());
                    } catch (LockBackendException e) {
                        got = Optional.empty();
                    }
                    got.ifPresent(Lease::release);
                    assertThat(dropper.droppedReplies()).as("round %d: the replies the dropper lost", round)
                            .hasSize(1)
                            .noneMatch(reply -> reply.startsWith("-"));
                    assertThat(dropper.dropped()).isEqualTo(1);
                }
            }
        }
    }
}
