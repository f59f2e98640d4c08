package dev.holdfast.lock.reliability;

import dev.holdfast.lock.testkit.fixtures.ZookeeperFixture;
import dev.holdfast.lock.testkit.harness.FaultKind;
import dev.holdfast.lock.testkit.harness.HarnessRun;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryNTimes;
import org.junit.jupiter.api.Test;

/**
 * The ZooKeeper provider against an in-process server under SIGKILL, SIGSTOP past the session timeout,
 * connection cuts, stalls past the session timeout, server restarts and session expiry on the server.
 *
 * <p>Session expiry forced on the server (another handle closes the session) deletes the holder's node
 * before its client hears of it, so another worker may be granted the lock for a moment: tolerated,
 * fenced. A real expiry needs the client to be silent for the whole session timeout, and the client
 * gives up (SUSPENDED counts as lost) after two thirds of it, so it learns first.
 */
class ZookeeperHarnessTest {

    private static final Duration SESSION = Duration.ofSeconds(4);

    @Test
    void zookeeperKeepsExclusionAndFencingUnderProcessNetworkAndServerFaults() throws Exception {
        try (ZookeeperFixture zk = ZookeeperFixture.server()) {
            Duration negotiated = negotiatedSessionTimeout(zk.connectString());
            HarnessRun run = Harness.builder("zookeeper", ZookeeperWorkerBackend.class)
                    .backend("127.0.0.1", Integer.parseInt(zk.connectString().replaceAll(".*:", "")))
                    .setting("harness.zk.sessionMillis", String.valueOf(SESSION.toMillis()))
                    .setting("harness.zk.direct", zk.connectString())
                    .kill().stop(negotiated.plusSeconds(2)).cut().stall(negotiated.plusSeconds(1))
                    .restart(proxies -> zk.restart())
                    .inWorkerFault(ZookeeperWorkerBackend.EXPIRE_SESSION)
                    .exclusionMayBreakAfter(FaultKind.IN_WORKER)
                    .leasesLostAfter(FaultKind.CUT, FaultKind.STALL, FaultKind.RESTART, FaultKind.IN_WORKER)
                    .note("session timeout " + negotiated.toMillis() + " ms (negotiated), SUSPENDED = lost")
                    // Expiry runs in tick-sized buckets, then the queue moves on; a server restart (the RESTART
                    // fault) gives every session a fresh timeout, so a kill just before a restart can take
                    // two session timeouts plus the restart itself (seen: 11.1 s with 4 s sessions under load).
                    .crashReleaseBound(negotiated.multipliedBy(3))
                    .build();
            Harness.runAndCheck("zookeeper", run, FaultKind.values());
        }
    }

    /** The session timeout the server grants a client that asks for {@link #SESSION}. */
    private static Duration negotiatedSessionTimeout(String connect) throws InterruptedException {
        try (CuratorFramework c = CuratorFrameworkFactory.builder().connectString(connect)
                .sessionTimeoutMs((int) SESSION.toMillis()).retryPolicy(new RetryNTimes(3, 100)).build()) {
            c.start();
            if (!c.blockUntilConnected(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("no connection to " + connect);
            }
            return Duration.ofMillis(c.getZookeeperClient().getZooKeeper().getSessionTimeout());
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
