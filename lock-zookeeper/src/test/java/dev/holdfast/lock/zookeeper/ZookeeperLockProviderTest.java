package dev.holdfast.lock.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockInfo;
import dev.holdfast.lock.LockLostException;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.LossReason;
import dev.holdfast.lock.testkit.Await;
import dev.holdfast.lock.testkit.fixtures.ZookeeperFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/** ZooKeeper-only behaviour, on an in-process server of this class's own (it is restarted). */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ZookeeperLockProviderTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);
    private static ZookeeperFixture zk;
    private final ZkClients clients = new ZkClients();
    private final List<ZookeeperLockProvider> providers = new CopyOnWriteArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private String base = "/t";

    @BeforeAll
    static void startServer() {
        // the server removes empty lock folders (container nodes) every 200 ms instead of every minute
        System.setProperty("znode.container.checkIntervalMs", "200");
        zk = ZookeeperFixture.server();
    }

    @AfterAll
    static void stopServer() {
        zk.close();
    }

    @org.junit.jupiter.api.BeforeEach
    void uniqueBase(TestInfo info) {
        base = "/holdfast-test/" + info.getTestMethod().orElseThrow().getName() + "-" + UUID.randomUUID().toString().substring(0, 6);
    }

    @AfterEach
    void closeAll() {
        pool.shutdownNow();
        providers.forEach(ZookeeperLockProvider::close);
        clients.close();
    }

    private ZookeeperLockProvider provider(CuratorFramework client) {
        return provider(ZookeeperLockProvider.builder(client));
    }

    private ZookeeperLockProvider provider(ZookeeperLockProvider.Builder builder) {
        ZookeeperLockProvider p = builder.basePath(base).build();
        providers.add(p);
        return p;
    }

    private CuratorFramework client() {
        return clients.open(zk.connectString());
    }

    private static LockRequest once(String name) {
        return LockRequest.named(name).leaseTime(Duration.ofSeconds(30)).build();
    }

    private static Lease grant(ZookeeperLockProvider p, String name) {
        return p.tryAcquire(once(name)).orElseThrow(() -> new AssertionError("lock '" + name + "' was busy"));
    }

    /** A resource that accepts a write only with a token at least as high as any it accepted before. */
    private static final class FencedLedger {
        private final AtomicLong highest = new AtomicLong(Long.MIN_VALUE);

        boolean write(long token) {
            while (true) {
                long seen = highest.get();
                if (token < seen) {
                    return false;
                }
                if (highest.compareAndSet(seen, token)) {
                    return true;
                }
            }
        }
    }

    // ------------------------------------------------------------------ session is the lease

    @Test
    void sessionExpiryLosesTheLeaseAndTheFencedLedgerRejectsTheOldHolder() throws Exception {
        CuratorFramework holderClient = client();
        ZookeeperLockProvider holder = provider(holderClient);
        ZookeeperLockProvider other = provider(client());
        FencedLedger ledger = new FencedLedger();
        Lease old = grant(holder, "ledger");
        AtomicReference<LockLostException> lost = new AtomicReference<>();
        old.onLost(lost::set);
        assertThat(ledger.write(old.token())).isTrue();

        zk.expireSession(holderClient.getZookeeperClient().getZooKeeper());

        Await.until(PATIENCE, "the old holder reports its lease lost", () -> lost.get() != null);
        assertThat(lost.get().reason()).isEqualTo(LossReason.CONNECTION_LOST);
        assertThat(old.isHeld()).isFalse();
        Lease next = Await.value(PATIENCE, "another client gets the lock", () -> other.tryAcquire(once("ledger")).orElse(null));
        assertThat(next.token()).isGreaterThan(old.token());
        assertThat(ledger.write(next.token())).isTrue();
        assertThat(ledger.write(old.token())).as("the old holder's fenced write").isFalse();
        assertThat(ledger.write(next.token())).isTrue();
        next.release();
        // the expired client's provider serves again on its new session
        Lease again = Await.value(PATIENCE, "the old holder's provider works on a new session",
                () -> holder.tryAcquire(once("ledger")).orElse(null));
        assertThat(again.token()).isGreaterThan(next.token());
        again.release();
    }

    @Test
    void suspendedConnectionLosesLeasesByDefaultAndFreesTheNodeOnReconnect() {
        ZookeeperLockProvider a = provider(client());
        ZookeeperLockProvider b = provider(client());
        Lease lease = grant(a, "blip");
        AtomicReference<LockLostException> lost = new AtomicReference<>();
        lease.onLost(lost::set);
        zk.restart(); // the session survives a quick restart
        Await.until(PATIENCE, "SUSPENDED ends the lease", () -> lost.get() != null);
        assertThat(lost.get().reason()).isEqualTo(LossReason.CONNECTION_LOST);
        Lease next = Await.value(PATIENCE, "the lost lease's node is deleted once reconnected",
                () -> retrying(() -> b.tryAcquire(once("blip")).orElse(null)));
        assertThat(next.token()).isGreaterThan(lease.token());
        next.release();
    }

    @Test
    void withTreatSuspendedAsLostOffALeaseSurvivesABlipOnTheSameSession() throws Exception {
        CuratorFramework client = clients.open(zk.connectString(), Duration.ofSeconds(20));
        ZookeeperLockProvider a = provider(ZookeeperLockProvider.builder(client).treatSuspendedAsLost(false));
        ZookeeperLockProvider b = provider(client());
        Lease lease = grant(a, "survivor");
        long session = ((ZookeeperLease) lease).sessionId();
        assertThat(session).isEqualTo(client.getZookeeperClient().getZooKeeper().getSessionId()).isNotZero();
        zk.restart();
        Await.until(PATIENCE, "the client reconnects", () -> client.getZookeeperClient().isConnected());
        assertThat(client.getZookeeperClient().getZooKeeper().getSessionId()).isEqualTo(session);
        assertThat(lease.isHeld()).isTrue();
        Await.until(PATIENCE, "the other client reconnects", () -> retrying(() -> b.tryAcquire(once("survivor")).isEmpty()));
        lease.extend(Duration.ofSeconds(30)); // the renewal check still finds the node under the same session
        assertThat(lease.isHeld()).isTrue();
        assertThat(lease.release()).isTrue();
        grant(b, "survivor").release();
    }

    @Test
    void withTreatSuspendedAsLostOffALeaseStillNeverSurvivesANewSession() throws Exception {
        CuratorFramework client = client();
        ZookeeperLockProvider a = provider(ZookeeperLockProvider.builder(client).treatSuspendedAsLost(false));
        Lease lease = grant(a, "new-session");
        AtomicReference<LockLostException> lost = new AtomicReference<>();
        lease.onLost(lost::set);
        zk.expireSession(client.getZookeeperClient().getZooKeeper());
        Await.until(PATIENCE, "LOST ends the lease", () -> lost.get() != null);
        assertThat(lease.isHeld()).isFalse();
        assertThat(lost.get().reason()).isEqualTo(LossReason.CONNECTION_LOST);
    }

    // ------------------------------------------------------------------ queue, fairness, waiting

    @Test
    void waitersAreGrantedInArrivalOrder() throws Exception {
        ZookeeperLockProvider holder = provider(client());
        Lease held = grant(holder, "fifo");
        List<ZookeeperLockProvider> waiters = List.of(provider(client()), provider(client()), provider(client()));
        List<Integer> order = new CopyOnWriteArrayList<>();
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < waiters.size(); i++) {
            int n = i;
            ZookeeperLockProvider w = waiters.get(i);
            futures.add(pool.submit(() -> {
                Lease l = w.acquire(LockRequest.named("fifo").waitTime(PATIENCE).build());
                order.add(n);
                Await.sleep(Duration.ofMillis(20));
                l.release();
                return null;
            }));
            int queued = i + 1;
            Await.until(PATIENCE, "waiter " + n + " queued", () -> holder.inspect("fifo").orElseThrow().waiters() == queued);
        }
        LockInfo info = holder.inspect("fifo").orElseThrow();
        assertThat(info.ownerId()).isEqualTo(held.ownerId());
        assertThat(info.token()).isEqualTo(held.token());
        assertThat(info.waiters()).isEqualTo(3);
        assertThat(info.expiresIn()).isNull();
        held.release();
        for (Future<?> f : futures) {
            f.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        }
        assertThat(order).containsExactly(0, 1, 2);
    }

    @Test
    void waitingUsesTheWatchAndNeverPolls() throws Exception {
        ZookeeperLockProvider holder = provider(client());
        CuratorFramework waiterClient = client();
        ZookeeperLockProvider waiter = provider(waiterClient);
        Lease held = grant(holder, "no-poll");
        RoundTrips trips = RoundTrips.attach(waiterClient);
        Future<Lease> got = pool.submit(() -> waiter.acquire(LockRequest.named("no-poll").waitTime(PATIENCE).build()));
        Await.until(PATIENCE, "the waiter queued", () -> holder.inspect("no-poll").orElseThrow().waiters() == 1);
        Await.sleep(Duration.ofMillis(1500));
        int whileWaiting = trips.total();
        // create, list, a watch on its own node, a watch on the holder's
        assertThat(whileWaiting).as("operations while waiting 1.5 s: %s", trips.byKind()).isLessThanOrEqualTo(4);
        held.release();
        Lease lease = got.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(lease.token()).isGreaterThan(held.token());
        assertThat(trips.total() - whileWaiting).as("granted on the watch, without listing again: %s", trips.byKind())
                .isZero();
        lease.release();
    }

    @Test
    void aWaiterWhoseNodeIsDeletedBehindItsBackIsNotGrantedByTheHoldersRelease() throws Exception {
        CuratorFramework admin = client();
        ZookeeperLockProvider holder = provider(client());
        ZookeeperLockProvider waiter = provider(client());
        Lease held = grant(holder, "orphaned");
        Future<Optional<Lease>> waits = pool.submit(() -> waiter.tryAcquire(
                LockRequest.named("orphaned").waitTime(PATIENCE).build()));
        Await.until(PATIENCE, "the waiter queued", () -> holder.inspect("orphaned").orElseThrow().waiters() == 1);
        Await.sleep(Duration.ofMillis(200)); // let it set its watches
        String folder = ZKPaths.makePath(base, LockPaths.segment("orphaned"));
        List<String> queue = LockPaths.queue(admin.getChildren().forPath(folder));
        // one transaction: the waiter's node goes first, then the holder's; the waiter hears both at once
        admin.transaction().forOperations(
                admin.transactionOp().delete().forPath(ZKPaths.makePath(folder, queue.get(1))),
                admin.transactionOp().delete().forPath(ZKPaths.makePath(folder, queue.get(0))));
        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> waits.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        if (failure == null) {
            assertThat(waits.get()).as("a waiter without a node must not be granted").isEmpty();
        } else {
            assertThat(failure).hasCauseInstanceOf(dev.holdfast.lock.LockBackendException.class);
        }
        grant(provider(client()), "orphaned").release();
        held.release();
    }

    @Test
    void worksOnANamespacedClient() throws Exception {
        CuratorFramework root = client();
        CuratorFramework namespaced = root.usingNamespace("tenant-a");
        ZookeeperLockProvider a = provider(namespaced);
        ZookeeperLockProvider b = provider(client().usingNamespace("tenant-a"));
        Lease held = grant(a, "ns");
        assertThat(root.checkExists().forPath("/tenant-a" + ((ZookeeperLease) held).path())).isNotNull();
        Future<Lease> waits = pool.submit(() -> b.acquire(LockRequest.named("ns").waitTime(PATIENCE).build()));
        Await.until(PATIENCE, "the waiter queued", () -> a.inspect("ns").orElseThrow().waiters() == 1);
        held.release();
        Lease next = waits.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(next.token()).isGreaterThan(held.token());
        assertThat(b.inspect("ns").orElseThrow().ownerId()).isEqualTo(next.ownerId());
        next.release();
    }

    @Test
    void aWaiterWhosePredecessorGivesUpKeepsWaitingForTheHolder() throws Exception {
        ZookeeperLockProvider holder = provider(client());
        ZookeeperLockProvider quitter = provider(client());
        ZookeeperLockProvider patient = provider(client());
        Lease held = grant(holder, "chain");
        Future<Optional<Lease>> quits = pool.submit(() -> quitter.tryAcquire(
                LockRequest.named("chain").waitTime(Duration.ofMillis(1500)).build()));
        Await.until(PATIENCE, "the quitter queued", () -> holder.inspect("chain").orElseThrow().waiters() == 1);
        Future<Lease> waits = pool.submit(() -> patient.acquire(LockRequest.named("chain").waitTime(PATIENCE).build()));
        Await.until(PATIENCE, "the patient waiter queued", () -> holder.inspect("chain").orElseThrow().waiters() == 2);
        assertThat(quits.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).as("the quitter gives up").isEmpty();
        Await.until(PATIENCE, "the quitter's node is gone", () -> holder.inspect("chain").orElseThrow().waiters() == 1);
        Await.sleep(Duration.ofMillis(300));
        assertThat(waits.isDone()).as("the patient waiter must not be granted while the holder holds").isFalse();
        assertThat(held.isHeld()).isTrue();
        assertThat(holder.inspect("chain").orElseThrow().token()).isEqualTo(held.token());
        held.release();
        Lease next = waits.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(next.token()).isGreaterThan(held.token());
        next.release();
    }

    @Test
    void roundTripsOfAnUncontendedAcquireAReleaseAndABusyTryOnce() throws Exception {
        CuratorFramework client = client();
        // a folder that exists (Curator traces only the operations that succeed, not a list's NoNode)
        client.create().creatingParentContainersIfNeeded().forPath(ZKPaths.makePath(base, LockPaths.segment("rt2"), "keep"));
        ZookeeperLockProvider p = provider(client);
        grant(p, "warm").release(); // creates the base folders
        Lease keep = grant(p, "warm"); // keeps the folder from being removed
        ZookeeperLockProvider q = provider(client);
        RoundTrips trips = RoundTrips.attach(client);
        Lease lease = grant(p, "rt");
        lease.release();
        trips.reset();
        Lease held = grant(q, "rt2");
        int tryOnce = trips.total();
        Map<String, Integer> tryOnceKinds = trips.byKind();
        trips.reset();
        held.release();
        int release = trips.total();
        trips.reset();
        Lease waited = q.acquire(LockRequest.named("rt2").leaseTime(Duration.ofSeconds(30)).waitTime(PATIENCE).build());
        int waiting = trips.total();
        Map<String, Integer> waitingKinds = trips.byKind();
        waited.release();
        trips.reset();
        assertThat(q.tryAcquire(once("warm"))).isEmpty();
        int busy = trips.total();
        assertThat(tryOnce).as("try-once: %s", tryOnceKinds).isEqualTo(3); // list, create (+ folder), list
        assertThat(waiting).as("acquire with a wait time: %s", waitingKinds).isEqualTo(2); // create, list
        assertThat(release).isEqualTo(1); // delete
        assertThat(busy).as("busy try-once: %s", trips.byKind()).isEqualTo(1); // list only: no node is created
        keep.release();
    }

    // ------------------------------------------------------------------ tokens and folders

    @Test
    void tokensKeepIncreasingWhenTheEmptyFolderIsRemovedAndSequencesRestart() throws Exception {
        CuratorFramework client = client();
        ZookeeperLockProvider p = provider(client);
        String folder = ZKPaths.makePath(base, LockPaths.segment("cycle"));
        Lease first = grant(p, "cycle");
        ZookeeperLease firstZk = (ZookeeperLease) first;
        first.release();
        Await.until(PATIENCE, "the empty lock folder is removed by the server",
                () -> retrying(() -> exists(client, folder) ? null : Boolean.TRUE) != null);
        Lease second = grant(p, "cycle");
        ZookeeperLease secondZk = (ZookeeperLease) second;
        assertThat(LockPaths.sequence(ZKPaths.getNodeFromPath(secondZk.path())))
                .as("the sequence restarted with the new folder")
                .isEqualTo(LockPaths.sequence(ZKPaths.getNodeFromPath(firstZk.path())));
        assertThat(second.token()).as("the czxid token still increased").isGreaterThan(first.token());
        second.release();
    }

    @Test
    void aNewHolderIsNeverRacedByFolderCleanup() throws Exception {
        // many short grants on one name while the server removes empty folders every 200 ms
        ZookeeperLockProvider a = provider(client());
        ZookeeperLockProvider b = provider(client());
        long last = Long.MIN_VALUE;
        long until = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        int grants = 0;
        while (System.nanoTime() < until) {
            ZookeeperLockProvider p = grants % 2 == 0 ? a : b;
            Lease l = grant(p, "churn");
            assertThat(l.token()).isGreaterThan(last);
            last = l.token();
            assertThat((grants % 2 == 0 ? b : a).tryAcquire(once("churn"))).isEmpty();
            l.release();
            grants++;
            if (grants % 10 == 0) {
                Await.sleep(Duration.ofMillis(150)); // let the folder empty out and be removed sometimes
            }
        }
        assertThat(grants).isGreaterThan(10);
    }

    @Test
    void namesMapToOneFolderEachDirectlyUnderTheBasePath() throws Exception {
        CuratorFramework client = client();
        ZookeeperLockProvider p = provider(client);
        List<String> names = List.of("a/b/c", "..", ".", "/", "錠🔒", "x".repeat(LockRequest.MAX_NAME_LENGTH));
        List<Lease> held = new ArrayList<>();
        for (String name : names) {
            held.add(grant(p, name));
        }
        List<String> folders = client.getChildren().forPath(base);
        assertThat(folders).hasSize(names.size()).allMatch(f -> f.matches("[nh]-[A-Za-z0-9_%-]+"));
        for (String f : folders) {
            assertThat(client.getChildren().forPath(ZKPaths.makePath(base, f))).hasSize(1)
                    .allMatch(LockPaths::isQueueNode);
        }
        held.forEach(Lease::release);
    }

    // ------------------------------------------------------------------ minHold, close, builder

    @Test
    void minHoldOutlivesTheProviderClosing() {
        ZookeeperLockProvider a = provider(client());
        ZookeeperLockProvider b = provider(client());
        long start = System.nanoTime();
        Lease lease = a.tryAcquire(LockRequest.named("kept").leaseTime(Duration.ofSeconds(10))
                .minHold(Duration.ofMillis(3000)).build()).orElseThrow();
        lease.release();
        a.close();
        assertThat(b.tryAcquire(once("kept"))).isEmpty();
        Lease next = Await.value(PATIENCE, "the kept lock frees after minHold", () -> b.tryAcquire(once("kept")).orElse(null));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(2900));
        next.release();
    }

    @Test
    void unreachableEnsembleFailsFastWithABackendError() {
        ZookeeperLockProvider down = provider(clients.unreachable());
        long start = System.nanoTime();
        assertThatThrownBy(() -> down.tryAcquire(once("down")))
                .isInstanceOf(dev.holdfast.lock.LockBackendException.class)
                .hasMessageContaining("zookeeper").hasMessageContaining("down");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThatThrownBy(() -> down.inspect("down")).isInstanceOf(dev.holdfast.lock.LockBackendException.class);
    }

    @Test
    void builderRejectsBadBasePaths() {
        CuratorFramework client = client();
        for (String bad : List.of("relative", "/", "/trailing/", "/a//b", "/zookeeper", "/zookeeper/x", "/a/./b", "")) {
            assertThatThrownBy(() -> ZookeeperLockProvider.builder(client).basePath(bad))
                    .as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("basePath");
        }
        assertThatThrownBy(() -> ZookeeperLockProvider.builder(null)).isInstanceOf(NullPointerException.class);
        CuratorFramework closed = client();
        closed.close();
        assertThatThrownBy(() -> ZookeeperLockProvider.builder(closed).build()).isInstanceOf(IllegalStateException.class);
        try (ZookeeperLockProvider p = ZookeeperLockProvider.builder(client).build()) {
            assertThat(p.basePath()).isEqualTo(ZookeeperLockProvider.DEFAULT_BASE_PATH);
        }
    }

    private static boolean exists(CuratorFramework client, String path) {
        try {
            Stat s = client.checkExists().forPath(path);
            return s != null;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static <T> T retrying(java.util.function.Supplier<T> attempt) {
        try {
            return attempt.get();
        } catch (RuntimeException e) {
            return null;
        }
    }
}
