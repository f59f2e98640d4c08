package dev.holdfast.lock.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockLostException;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.LossReason;
import dev.holdfast.lock.testkit.Await;
import dev.holdfast.lock.testkit.History;
import dev.holdfast.lock.testkit.fixtures.ZookeeperFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Failover on a three-server in-process ensemble (curator-test TestingCluster). */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ZookeeperFailoverTest {

    private static final Duration PATIENCE = Duration.ofSeconds(40);
    private static ZookeeperFixture ensemble;
    private final ZkClients clients = new ZkClients();
    private final List<ZookeeperLockProvider> providers = new CopyOnWriteArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final String base = "/holdfast-failover/" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeAll
    static void startEnsemble() {
        ensemble = ZookeeperFixture.cluster(3);
    }

    @AfterAll
    static void stopEnsemble() {
        ensemble.close();
    }

    @AfterEach
    void closeAll() {
        pool.shutdownNow();
        providers.forEach(ZookeeperLockProvider::close);
        clients.close();
    }

    private ZookeeperLockProvider provider(CuratorFramework client, boolean treatSuspendedAsLost) {
        ZookeeperLockProvider p = ZookeeperLockProvider.builder(client).basePath(base)
                .treatSuspendedAsLost(treatSuspendedAsLost).build();
        providers.add(p);
        return p;
    }

    @Test
    void losingTheLeaderNeverMakesTwoHoldersAndServiceResumes() throws Exception {
        String name = "leader-loss";
        History history = new History();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger grants = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        List<Future<?>> workers = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            ZookeeperLockProvider p = provider(clients.open(ensemble.connectString(), Duration.ofSeconds(15)), true);
            for (int t = 0; t < 2; t++) {
                workers.add(pool.submit(() -> {
                    while (!stop.get()) {
                        Optional<Lease> lease;
                        try {
                            lease = p.tryAcquire(LockRequest.named(name).leaseTime(Duration.ofSeconds(5))
                                    .waitTime(Duration.ofMillis(500)).build());
                        } catch (LockBackendException e) {
                            errors.incrementAndGet();
                            Await.sleep(Duration.ofMillis(50));
                            continue;
                        }
                        if (lease.isPresent()) {
                            try {
                                history.record(lease.get()).around(() -> {
                                    Await.sleep(Duration.ofMillis(3));
                                    return grants.incrementAndGet();
                                });
                            } catch (LockBackendException e) {
                                errors.incrementAndGet(); // the release could not be sent: the node goes later
                            }
                        }
                    }
                    return null;
                }));
            }
        }
        Await.until(PATIENCE, "grants flow before the fault", () -> grants.get() >= 20);
        // a lock held, waiters queued behind it: stop the leader
        int port = ensemble.killLeader();
        int atKill = grants.get();
        Duration resumed = Await.until(PATIENCE, "grants resume after the leader (port " + port + ") stopped",
                () -> grants.get() >= atKill + 20);
        ensemble.start(); // the old leader rejoins as a follower
        int atRejoin = grants.get();
        Await.until(PATIENCE, "grants go on once the old leader rejoined", () -> grants.get() >= atRejoin + 20);
        stop.set(true);
        for (Future<?> f : workers) {
            f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }
        history.assertValid();
        System.out.printf("leader loss: %d grants, %d backend errors while electing, service resumed %d ms after the kill%n",
                grants.get(), errors.get(), resumed.toMillis());
    }

    @Test
    void stoppingTheWholeEnsembleLosesLeasesWithinTheSessionTimeoutAndAcquireFails() throws Exception {
        Duration sessionTimeout = Duration.ofSeconds(4);
        ZookeeperLockProvider strict = provider(clients.open(ensemble.connectString(), sessionTimeout), true);
        ZookeeperLockProvider lenient = provider(clients.open(ensemble.connectString(), sessionTimeout), false);
        Lease a = strict.tryAcquire(LockRequest.of("down-a")).orElseThrow();
        Lease b = lenient.tryAcquire(LockRequest.of("down-b")).orElseThrow();
        AtomicReference<LockLostException> lostA = new AtomicReference<>();
        AtomicReference<LockLostException> lostB = new AtomicReference<>();
        a.onLost(lostA::set);
        b.onLost(lostB::set);
        long stoppedAt = System.nanoTime();
        ensemble.stop();
        try {
            Await.until(PATIENCE, "the strict lease is lost (SUSPENDED)", () -> lostA.get() != null);
            Duration strictAfter = Duration.ofNanos(System.nanoTime() - stoppedAt);
            Await.until(PATIENCE, "the lenient lease is lost (LOST)", () -> lostB.get() != null);
            Duration lenientAfter = Duration.ofNanos(System.nanoTime() - stoppedAt);
            assertThat(lostA.get().reason()).isEqualTo(LossReason.CONNECTION_LOST);
            assertThat(lostB.get().reason()).isEqualTo(LossReason.CONNECTION_LOST);
            assertThat(strictAfter).isLessThan(sessionTimeout);
            assertThat(lenientAfter).as("lost within the session timeout (+ scheduling slack)")
                    .isLessThan(sessionTimeout.plusSeconds(3));
            for (ZookeeperLockProvider p : List.of(strict, lenient)) {
                Throwable thrown = catchThrowable(() -> p.tryAcquire(LockRequest.of("down-c")));
                assertThat(thrown).as("tryAcquire with the ensemble down").isInstanceOf(LockBackendException.class)
                        .hasMessageContaining("down-c").hasMessageContaining("zookeeper");
            }
            System.out.printf("ensemble down: strict lease lost after %d ms, lenient after %d ms (session timeout %d ms)%n",
                    strictAfter.toMillis(), lenientAfter.toMillis(), sessionTimeout.toMillis());
        } finally {
            ensemble.start();
        }
        Lease again = Await.value(PATIENCE, "service resumes once the ensemble is back", () -> {
            try {
                return strict.tryAcquire(LockRequest.of("down-a")).orElse(null);
            } catch (LockBackendException e) {
                return null;
            }
        });
        assertThat(again.token()).isGreaterThan(a.token());
        again.release();
    }
}
