package dev.holdfast.lock.reliability;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.jdbc.MysqlLockProvider;
import dev.holdfast.lock.testkit.fixtures.JdbcSettings;
import dev.holdfast.lock.testkit.fixtures.MariaDbFixture;
import dev.holdfast.lock.testkit.harness.FaultKind;
import dev.holdfast.lock.testkit.harness.HarnessRun;
import dev.holdfast.lock.testkit.harness.TcpProxy;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The MariaDB {@code GET_LOCK} provider under SIGKILL, SIGSTOP past the lease, connection cuts, stalls and
 * {@code KILL CONNECTION} of every worker session (found by the proxies' upstream ports, so only this
 * run's sessions). Like advisory locks, a {@code GET_LOCK} lock is freed the instant its session ends,
 * before the old holder's next liveness check: overlaps after CUT and RESTART are tolerated, fenced.
 */
class GetLockHarnessTest {

    @Test
    void getLockKeepsFencingUnderProcessAndNetworkFaults() {
        JdbcSettings maria = MariaDbFixture.settings();
        String suffix = Harness.suffix();
        String fence = "harness_fence_" + suffix;
        try (LockProvider setup = MysqlLockProvider.builder(MariaDbFixture.dataSource())
                .fenceSequence(fence).createIfMissing(true).build()) {
            setup.tryAcquire(LockRequest.of("harness-setup-" + suffix)).ifPresent(l -> l.release());
        }
        try {
            HarnessRun run = Harness.builder("get-lock-mariadb", GetLockWorkerBackend.class)
                    .backend(Harness.host(maria), Harness.port(maria, 3306))
                    .setting("harness.jdbc.url", maria.url())
                    .setting("harness.jdbc.user", maria.user())
                    .setting("harness.jdbc.password", maria.password())
                    .setting("harness.jdbc.fence", fence)
                    .setting("harness.jdbc.appName", "hf-harness-" + suffix)
                    .kill().stop(Duration.ofSeconds(4)).cut().stall(Duration.ofSeconds(3))
                    .restart(proxies -> killSessions(maria, proxies))
                    .exclusionMayBreakAfter(FaultKind.CUT, FaultKind.RESTART)
                    .leasesLostAfter(FaultKind.CUT, FaultKind.RESTART)
                    .build();
            Harness.runAndCheck("get-lock-mariadb", run,
                    FaultKind.KILL, FaultKind.STOP, FaultKind.CUT, FaultKind.STALL, FaultKind.RESTART);
        } finally {
            PostgresSessions.execute(maria, "DROP SEQUENCE IF EXISTS " + fence);
        }
    }

    /** KILL CONNECTION of every session that came in through one of {@code proxies}. */
    private static void killSessions(JdbcSettings maria, List<TcpProxy> proxies) {
        Set<String> ports = new HashSet<>();
        proxies.forEach(p -> p.upstreamLocalPorts().forEach(port -> ports.add(":" + port)));
        try (Connection c = maria.connect(); Statement s = c.createStatement()) {
            List<Long> ids = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT ID, HOST FROM information_schema.PROCESSLIST")) {
                while (rs.next()) {
                    String host = rs.getString(2);
                    int colon = host == null ? -1 : host.lastIndexOf(':');
                    if (colon >= 0 && ports.contains(host.substring(colon))) {
                        ids.add(rs.getLong(1));
                    }
                }
            }
            for (long id : ids) {
                try {
                    s.execute("KILL CONNECTION " + id); // a number read from the server, never text
                } catch (SQLException gone) {
                    // ended meanwhile
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("KILL of the run's MariaDB sessions", e);
        }
    }
}
