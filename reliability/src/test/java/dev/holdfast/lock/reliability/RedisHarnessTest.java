package dev.holdfast.lock.reliability;

import dev.holdfast.lock.testkit.fixtures.RedisServerProcess;
import dev.holdfast.lock.testkit.harness.FaultKind;
import dev.holdfast.lock.testkit.harness.HarnessRun;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The Redis provider against a throwaway {@code redis-server} (no persistence) under SIGKILL, SIGSTOP past
 * the lease, connection cuts, stalls and restarts of the server.
 *
 * <p>The promise it cannot keep: a restart without persistence forgets every lock at once, while each
 * holder learns it only at its next renewal (within a third of the lease time); another worker may be
 * granted the lock in between (documented in {@code dev.holdfast.lock.redis} package docs, "Restart").
 * The run counts these as tolerated overlaps after RESTART; tokens still increase (timestamp-seeded
 * counters), so the ledger rejects the old holder's late writes.
 */
class RedisHarnessTest {

    @Test
    void redisKeepsFencingUnderProcessNetworkAndRestartFaults() {
        try (RedisServerProcess redis = RedisServerProcess.start()) {
            HarnessRun run = Harness.builder("redis", RedisWorkerBackend.class)
                    .backend("127.0.0.1", redis.port())
                    .kill().stop(Duration.ofSeconds(4)).cut().stall(Duration.ofSeconds(3))
                    .restart(proxies -> redis.restart())
                    .exclusionMayBreakAfter(FaultKind.RESTART)
                    .leasesLostAfter(FaultKind.RESTART)
                    .build();
            Harness.runAndCheck("redis", run,
                    FaultKind.KILL, FaultKind.STOP, FaultKind.CUT, FaultKind.STALL, FaultKind.RESTART);
        }
    }
}
