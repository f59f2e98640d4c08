package dev.holdfast.lock.reliability;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.jdbc.PostgresAdvisoryLockProvider;
import dev.holdfast.lock.testkit.fixtures.JdbcSettings;
import dev.holdfast.lock.testkit.fixtures.PostgresFixture;
import dev.holdfast.lock.testkit.harness.FaultKind;
import dev.holdfast.lock.testkit.harness.HarnessRun;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL advisory provider under SIGKILL, SIGSTOP past the lease, connection cuts, stalls and
 * {@code pg_terminate_backend} of every worker session.
 *
 * <p>The promise it cannot keep: an advisory lock belongs to a session, and the server frees it the
 * instant the session ends (cut, terminated), while the old holder learns it only at its next heartbeat
 * (within a third of the lease time). In that window another worker may be granted the lock: the run
 * counts these as tolerated overlaps after CUT and RESTART and checks that the ledger's fencing rejected
 * the old holder's late writes.
 */
class AdvisoryHarnessTest {

    @Test
    void advisoryLocksKeepFencingUnderProcessAndNetworkFaults() {
        JdbcSettings pg = PostgresFixture.settings();
        String suffix = Harness.suffix();
        String fence = "harness_fence_" + suffix;
        String appName = "hf-harness-" + suffix;
        try (LockProvider setup = PostgresAdvisoryLockProvider.builder(PostgresFixture.dataSource())
                .fenceSequence(fence).createIfMissing(true).build()) {
            setup.tryAcquire(LockRequest.of("harness-setup-" + suffix)).ifPresent(l -> l.release());
        }
        try {
            HarnessRun run = Harness.builder("advisory-postgresql", AdvisoryWorkerBackend.class)
                    .backend(Harness.host(pg), Harness.port(pg, 5432))
                    .setting("harness.jdbc.url", pg.url())
                    .setting("harness.jdbc.user", pg.user())
                    .setting("harness.jdbc.password", pg.password())
                    .setting("harness.jdbc.fence", fence)
                    .setting("harness.jdbc.appName", appName)
                    .kill().stop(Duration.ofSeconds(4)).cut().stall(Duration.ofSeconds(3))
                    .restart(proxies -> PostgresSessions.terminate(pg, proxies))
                    .exclusionMayBreakAfter(FaultKind.CUT, FaultKind.RESTART)
                    .leasesLostAfter(FaultKind.CUT, FaultKind.RESTART)
                    .build();
            Harness.runAndCheck("advisory-postgresql", run,
                    FaultKind.KILL, FaultKind.STOP, FaultKind.CUT, FaultKind.STALL, FaultKind.RESTART);
        } finally {
            PostgresSessions.execute(pg, "DROP SEQUENCE IF EXISTS " + fence);
        }
    }
}
