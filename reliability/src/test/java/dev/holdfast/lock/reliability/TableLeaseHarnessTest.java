package dev.holdfast.lock.reliability;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.jdbc.JdbcTableLockProvider;
import dev.holdfast.lock.testkit.fixtures.JdbcSettings;
import dev.holdfast.lock.testkit.fixtures.PostgresFixture;
import dev.holdfast.lock.testkit.harness.FaultKind;
import dev.holdfast.lock.testkit.harness.HarnessRun;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The table-lease provider on PostgreSQL under SIGKILL, SIGSTOP past the lease, connection cuts, stalls
 * and termination of every worker session ({@code pg_terminate_backend}). The lease lives in a row with
 * the server's clock, not in a session, so no fault may ever let two holders overlap.
 */
class TableLeaseHarnessTest {

    @Test
    void tableLeaseKeepsExclusionAndFencingUnderProcessAndNetworkFaults() {
        JdbcSettings pg = PostgresFixture.settings();
        String suffix = Harness.suffix();
        String table = "harness_locks_" + suffix;
        String appName = "hf-harness-" + suffix;
        try (LockProvider setup = JdbcTableLockProvider.builder(PostgresFixture.dataSource()).tableName(table)
                .createIfMissing(true).build()) {
            setup.tryAcquire(LockRequest.of("harness-setup-" + suffix)).ifPresent(l -> l.release());
        }
        try {
            HarnessRun run = Harness.builder("table-lease-postgresql", TableLeaseWorkerBackend.class)
                    .backend(Harness.host(pg), Harness.port(pg, 5432))
                    .setting("harness.jdbc.url", pg.url())
                    .setting("harness.jdbc.user", pg.user())
                    .setting("harness.jdbc.password", pg.password())
                    .setting("harness.jdbc.table", table)
                    .setting("harness.jdbc.appName", appName)
                    .kill().stop(Duration.ofSeconds(4)).cut().stall(Duration.ofSeconds(3))
                    .restart(proxies -> PostgresSessions.terminate(pg, proxies))
                    .build();
            Harness.runAndCheck("table-lease-postgresql", run,
                    FaultKind.KILL, FaultKind.STOP, FaultKind.CUT, FaultKind.STALL, FaultKind.RESTART);
        } finally {
            PostgresSessions.execute(pg, "DROP TABLE IF EXISTS " + table);
        }
    }
}
