package dev.holdfast.lock.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockInterruptedException;
import dev.holdfast.lock.LockLostException;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.testkit.Await;
import dev.holdfast.lock.testkit.History;
import dev.holdfast.lock.testkit.fixtures.ZookeeperFixture;
import dev.holdfast.lock.testkit.harness.TcpProxy;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.CreateBuilder;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * Regression tests for the ZooKeeper items of the safety review: leases granted after a long queue wait
 * (the deadline counts from the read that confirmed the grant), a create whose reply was lost (Curator's
 * protected mode finds the node without its Stat), a busy try-once that must not create a node, and
 * every non-grant path (interrupt, unknown create outcome) leaving no queue node of ours behind.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ZookeeperAcquireSafetyTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final Duration LEASE = Duration.ofSeconds(2);
    private static ZookeeperFixture zk;
    private final ZkClients clients = new ZkClients();
    private final List<ZookeeperLockProvider> providers = new CopyOnWriteArrayList<>();
    private final List<CuratorFramework> extraClients = new CopyOnWriteArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private String base;

    @BeforeAll
    static void startServer() {
        zk = ZookeeperFixture.server();
    }

    @AfterAll
    static void stopServer() {
        zk.close();
    }

    @BeforeEach
    void uniqueBase(TestInfo info) {
        base = "/holdfast-safety/" + info.getTestMethod().orElseThrow().getName() + "-"
                + UUID.randomUUID().toString().substring(0, 6);
    }

    @AfterEach
    void closeAll() {
        pool.shutdownNow();
        providers.forEach(ZookeeperLockProvider::close);
        extraClients.forEach(CuratorFramework::close);
        clients.close();
    }

    private ZookeeperLockProvider provider(CuratorFramework client) {
        ZookeeperLockProvider p = ZookeeperLockProvider.builder(client).basePath(base).build();
        providers.add(p);
        return p;
    }

    private ZookeeperLockProvider provider() {
        return provider(clients.open(zk.connectString()));
    }

    private static LockRequest waiting(String name, Duration waitTime) {
        return LockRequest.named(name).leaseTime(LEASE).waitTime(waitTime).build();
    }

    private List<String> queue(CuratorFramework reader, String name) throws Exception {
        try {
            return LockPaths.queue(reader.getChildren().forPath(ZKPaths.makePath(base, LockPaths.segment(name))));
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
    }

    /** The owner ids recorded in the queue nodes of {@code name}, first to last. */
    private List<String> queueOwners(CuratorFramework reader, String name) throws Exception {
        List<String> owners = new ArrayList<>();
        String folder = ZKPaths.makePath(base, LockPaths.segment(name));
        for (String node : queue(reader, name)) {
            try {
                owners.add(new String(reader.getData().forPath(ZKPaths.makePath(folder, node)), StandardCharsets.UTF_8));
            } catch (KeeperException.NoNodeException gone) {
                // left between the list and the read
            }
        }
        return owners;
    }

    // ------------------------------------------------------------------ item 1: the grant's deadline

    @Test
    void aWaiterQueuedLongerThanItsLeaseGetsAHeldLeaseThatKeepsRenewing() throws Exception {
        ZookeeperLockProvider holder = provider();
        ZookeeperLockProvider waiter = provider();
        Lease held = holder.acquire(waiting("long-queue", Duration.ZERO));
        Future<Lease> queued = pool.submit(() -> waiter.acquire(waiting("long-queue", PATIENCE)));
        Await.until(PATIENCE, "the waiter queued", () -> holder.inspect("long-queue").orElseThrow().waiters() == 1);
        Await.sleep(Duration.ofMillis(3500)); // the holder renews; the waiter queues 1.75 lease times
        assertThat(held.isHeld()).as("the holder renewed its 2 s lease").isTrue();
        held.release();
        Lease lease = queued.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(lease.isHeld()).as("the lease is held when acquire returns it").isTrue();
        AtomicReference<LockLostException> lost = new AtomicReference<>();
        lease.onLost(lost::set);
        Await.sleep(LEASE.multipliedBy(2));
        assertThat(lost.get()).as("no loss reported after two lease times").isNull();
        assertThat(lease.isHeld()).as("still held (renewed) two lease times later").isTrue();
        assertThat(holder.inspect("long-queue").orElseThrow().token()).isEqualTo(lease.token());
        assertThat(lease.release()).isTrue();
    }

    @Test
    void aLockTemplateLoopOnFourProvidersNeverRunsTwoBodiesAtOnce() throws Exception {
        // the reproduction: 4 nodes, lease 2 s, wait 30 s, bodies long enough that the last in
        // line queues for longer than the lease
        int workers = 4;
        int rounds = 3;
        Duration body = Duration.ofMillis(700);
        History history = new History();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        AtomicInteger unheldBodies = new AtomicInteger();
        AtomicInteger losses = new AtomicInteger();
        AtomicInteger bodies = new AtomicInteger();
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            ZookeeperLockProvider p = provider();
            futures.add(pool.submit(() -> {
                for (int r = 0; r < rounds; r++) {
                    Lease lease = p.acquire(waiting("template", PATIENCE));
                    History.Recording recording = history.record(lease);
                    lease.onLost(e -> losses.incrementAndGet());
                    // what LockTemplate does: run the body under the lease
                    int now = running.incrementAndGet();
                    mostAtOnce.accumulateAndGet(now, Math::max);
                    if (!lease.isHeld()) {
                        unheldBodies.incrementAndGet();
                    }
                    Await.sleep(body);
                    if (!lease.isHeld()) {
                        unheldBodies.incrementAndGet();
                    }
                    running.decrementAndGet();
                    bodies.incrementAndGet();
                    recording.end();
                    lease.release();
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get(90, TimeUnit.SECONDS);
        }
        assertThat(bodies.get()).isEqualTo(workers * rounds);
        assertThat(mostAtOnce.get()).as("bodies running at the same time").isEqualTo(1);
        assertThat(unheldBodies.get()).as("body checks that found the lease not held").isZero();
        assertThat(losses.get()).as("onLost reports").isZero();
        history.assertValid();
    }

    @Test
    void aGrantConfirmedOnlyAfterItsLeaseTimeIsNeverHandedOut() throws Exception {
        CuratorFramework real = clients.open(zk.connectString());
        ZookeeperLockProvider slow = provider(slowLists(real, Duration.ofMillis(600)));
        ZookeeperLockProvider other = provider();
        LockRequest shortLease = LockRequest.named("slow-read").leaseTime(Duration.ofMillis(300))
                .waitTime(Duration.ofSeconds(5)).build();
        assertThatThrownBy(() -> slow.tryAcquire(shortLease))
                .as("a grant whose confirming read outlasted the lease").isInstanceOf(LockBackendException.class)
                .hasMessageContaining("lease time");
        assertThat(queue(real, "slow-read")).as("its node was deleted").isEmpty();
        other.acquire(waiting("slow-read", Duration.ZERO)).release();
    }

    /** A client whose folder listings answer {@code delay} late (a ZooKeeper or network that slow). */
    private static CuratorFramework slowLists(CuratorFramework real, Duration delay) {
        InvocationHandler handler = (proxy, method, args) -> {
            Object result = invoke(method, real, args);
            if (method.getName().equals("getChildren") && method.getParameterCount() == 0) {
                Object builder = result;
                InvocationHandler slow = (p, m, a) -> {
                    Object r = invoke(m, builder, a);
                    if (m.getName().equals("forPath")) {
                        Thread.sleep(delay.toMillis());
                    }
                    return r;
                };
                return Proxy.newProxyInstance(ZookeeperAcquireSafetyTest.class.getClassLoader(),
                        new Class<?>[] {org.apache.curator.framework.api.GetChildrenBuilder.class}, slow);
            }
            return result;
        };
        return (CuratorFramework) Proxy.newProxyInstance(ZookeeperAcquireSafetyTest.class.getClassLoader(),
                new Class<?>[] {CuratorFramework.class}, handler);
    }

    // ------------------------------------------------------------------ item 8: lost create reply

    @Test
    void aCreateWhoseReplyWasLostIsGrantedWithTheNodesStat() throws Exception {
        CuratorFramework real = clients.open(zk.connectString());
        keepFolder(real, "lost-reply");
        CuratorFramework lossy = losingCreateReplies(real, 1);
        ZookeeperLockProvider p = provider(lossy);
        ZookeeperLockProvider other = provider();
        Lease lease = p.acquire(waiting("lost-reply", Duration.ZERO));
        ZookeeperLease z = (ZookeeperLease) lease;
        Stat stat = real.checkExists().forPath(z.path());
        assertThat(stat).as("the lease's node exists").isNotNull();
        assertThat(lease.token()).as("the token is the node's czxid").isEqualTo(stat.getCzxid()).isPositive();
        assertThat(z.sessionId()).as("the lease's session is the node's owner")
                .isEqualTo(stat.getEphemeralOwner())
                .isEqualTo(real.getZookeeperClient().getZooKeeper().getSessionId());
        assertThat(queue(real, "lost-reply")).as("one node: the retried create found ours").hasSize(1);
        assertThat(other.tryAcquire(waiting("lost-reply", Duration.ZERO))).isEmpty();
        lease.extend(LEASE); // the renewal check finds the node under the same session and czxid
        assertThat(lease.isHeld()).isTrue();
        assertThat(lease.release()).isTrue();
        other.acquire(waiting("lost-reply", Duration.ZERO)).release();
    }

    @Test
    void aCreateWithAnUnknownOutcomeLeavesNoNodeBehind() throws Exception {
        CuratorFramework noRetries = CuratorFrameworkFactory.builder()
                .connectString(zk.connectString())
                .sessionTimeoutMs(10_000)
                .connectionTimeoutMs(5_000)
                .retryPolicy(new RetryNTimes(0, 0))
                .build();
        noRetries.start();
        extraClients.add(noRetries);
        CuratorFramework reader = clients.open(zk.connectString());
        keepFolder(reader, "unknown");
        ZookeeperLockProvider p = provider(losingCreateReplies(noRetries, 1));
        ZookeeperLockProvider other = provider();
        assertThatThrownBy(() -> p.tryAcquire(waiting("unknown", PATIENCE)))
                .isInstanceOf(LockBackendException.class);
        Await.until(PATIENCE, "the node the lost reply was for is deleted", () -> {
            try {
                return queue(reader, "unknown").isEmpty();
            } catch (Exception e) {
                return false;
            }
        });
        other.acquire(waiting("unknown", Duration.ZERO)).release();
        p.acquire(waiting("unknown", Duration.ZERO)).release(); // the provider itself works on
    }

    /**
     * Creates the lock folder with a persistent non-queue child in it, so that the lossy create below is the
     * queue node's own (Curator's test switch would otherwise fire on the create that makes the parents).
     */
    private void keepFolder(CuratorFramework client, String name) throws Exception {
        client.create().creatingParentContainersIfNeeded()
                .forPath(ZKPaths.makePath(ZKPaths.makePath(base, LockPaths.segment(name)), "keep"));
    }

    /**
     * A client whose next {@code losses} creates reach the server but lose their reply, as Curator 5.9.0
     * then behaves: its own test switch on the create builder throws a ConnectionLoss after the create was
     * done, the retry (protected mode) finds the node by its protection id and returns its path, and the
     * caller's {@code storingStatIn} Stat is left unfilled (the Stat the builder fills is a throwaway one
     * here, since in a real loss no reply, hence no Stat, ever arrives).
     */
    private static CuratorFramework losingCreateReplies(CuratorFramework real, int losses) {
        AtomicInteger left = new AtomicInteger(losses);
        InvocationHandler handler = (proxy, method, args) -> {
            Object result = invoke(method, real, args);
            if (method.getName().equals("create") && method.getParameterCount() == 0 && left.getAndDecrement() > 0) {
                Field fail = result.getClass().getDeclaredField("failNextCreateForTesting");
                fail.setAccessible(true);
                fail.setBoolean(result, true);
                return losingTheStat((CreateBuilder) result);
            }
            return result;
        };
        return (CuratorFramework) Proxy.newProxyInstance(ZookeeperAcquireSafetyTest.class.getClassLoader(),
                new Class<?>[] {CuratorFramework.class}, handler);
    }

    private static CreateBuilder losingTheStat(CreateBuilder real) {
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.getName().equals("storingStatIn")) {
                return invoke(method, real, new Object[] {new Stat()});
            }
            return invoke(method, real, args);
        };
        return (CreateBuilder) Proxy.newProxyInstance(ZookeeperAcquireSafetyTest.class.getClassLoader(),
                new Class<?>[] {CreateBuilder.class}, handler);
    }

    private static Object invoke(java.lang.reflect.Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    // ------------------------------------------------------------------ item 10: try-once looks first

    @Test
    void aBusyTryOnceCreatesNoNode() throws Exception {
        ZookeeperLockProvider holder = provider();
        CuratorFramework client = clients.open(zk.connectString());
        ZookeeperLockProvider p = provider(client);
        CuratorFramework reader = clients.open(zk.connectString());
        Lease held = holder.acquire(waiting("look-first", Duration.ZERO));
        RoundTrips trips = RoundTrips.attach(client);
        for (int i = 0; i < 20; i++) {
            assertThat(p.tryAcquire(waiting("look-first", Duration.ZERO))).isEmpty();
        }
        assertThat(trips.byKind()).as("a busy try-once only lists the queue").doesNotContainKey("Create-Foreground")
                .doesNotContainKey("Delete-Foreground");
        assertThat(trips.total()).as("one round trip per busy try-once: %s", trips.byKind()).isEqualTo(20);
        assertThat(queue(reader, "look-first")).hasSize(1);
        held.release();
        Lease next = p.acquire(waiting("look-first", Duration.ZERO));
        assertThat(next.token()).isGreaterThan(held.token());
        next.release();
    }

    // ------------------------------------------------------------------ item 2: nothing left behind

    @Test
    void anInterruptedWaitingAcquireThrowsLockInterruptedAndLeavesNoNode() throws Exception {
        ZookeeperLockProvider holder = provider();
        ZookeeperLockProvider interrupted = provider();
        ZookeeperLockProvider next = provider();
        CuratorFramework reader = clients.open(zk.connectString());
        Lease held = holder.acquire(LockRequest.named("interrupt").leaseTime(Duration.ofSeconds(30)).build());
        AtomicReference<Thread> thread = new AtomicReference<>();
        AtomicReference<String> interruptFlag = new AtomicReference<>();
        Future<Optional<Lease>> attempt = pool.submit(() -> {
            thread.set(Thread.currentThread());
            try {
                return interrupted.tryAcquire(waiting("interrupt", PATIENCE));
            } finally {
                interruptFlag.set(String.valueOf(Thread.currentThread().isInterrupted()));
            }
        });
        Await.until(PATIENCE, "the request queued", () -> holder.inspect("interrupt").orElseThrow().waiters() == 1);
        List<String> owners = queueOwners(reader, "interrupt");
        assertThat(owners).hasSize(2);
        String ours = owners.get(1);
        Await.sleep(Duration.ofMillis(200)); // let it set its watches and sleep
        thread.get().interrupt();
        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> attempt.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertThat(failure).hasCauseInstanceOf(LockInterruptedException.class);
        assertThat(interruptFlag.get()).as("the interrupt flag is set again").isEqualTo("true");
        assertThat(queueOwners(reader, "interrupt")).as("the interrupted request's node is gone at once")
                .containsExactly(held.ownerId()).doesNotContain(ours);
        Future<Lease> waits = pool.submit(() -> next.acquire(waiting("interrupt", PATIENCE)));
        Await.until(PATIENCE, "the next contender queued", () -> holder.inspect("interrupt").orElseThrow().waiters() == 1);
        long released = System.nanoTime();
        held.release();
        Lease lease = waits.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(Duration.ofNanos(System.nanoTime() - released)).as("granted at once after the release")
                .isLessThan(Duration.ofSeconds(2));
        assertThat(lease.isHeld()).isTrue();
        lease.release();
    }

    /**
     * A waiting acquire is interrupted (first interrupt); its clean-up delete is hit by a second interrupt
     * before it leaves the client, while the connection is fine. The provider then stays idle: its node
     * must still go promptly (retried in the background), not wait for a reconnection, the provider's next
     * acquire or the end of its session.
     */
    @Test
    void aCleanupDeleteCutByASecondInterruptIsRetriedPromptlyOnAnIdleProvider() throws Exception {
        ZookeeperLockProvider holder = provider();
        AtomicInteger deleteInterrupts = new AtomicInteger();
        ZookeeperLockProvider idle = provider(FaultyClients.interruptingDeletes(clients.open(zk.connectString()),
                deleteInterrupts));
        CuratorFramework reader = clients.open(zk.connectString());
        Lease held = holder.acquire(LockRequest.named("twice").leaseTime(Duration.ofSeconds(30)).build());
        AtomicReference<Thread> thread = new AtomicReference<>();
        Future<Optional<Lease>> attempt = pool.submit(() -> {
            thread.set(Thread.currentThread());
            return idle.tryAcquire(waiting("twice", PATIENCE));
        });
        Await.until(PATIENCE, "the request queued", () -> holder.inspect("twice").orElseThrow().waiters() == 1);
        Await.sleep(Duration.ofMillis(200)); // let it set its watches and sleep
        deleteInterrupts.set(1); // the clean-up delete is interrupted again
        thread.get().interrupt();
        Throwable failure = org.assertj.core.api.Assertions.catchThrowable(() -> attempt.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
        assertThat(failure).hasCauseInstanceOf(LockInterruptedException.class);
        assertThat(deleteInterrupts.get()).as("the clean-up delete was hit by the second interrupt").isZero();
        Await.until(Duration.ofSeconds(5), "the interrupted request's node is deleted while its provider is idle",
                () -> {
                    try {
                        return queueOwners(reader, "twice").equals(List.of(held.ownerId()));
                    } catch (Exception e) {
                        return false;
                    }
                });
        held.release();
    }

    /**
     * A release's delete is hit by an interrupt (the release cleared the caller's first interrupt) while the
     * connection is fine: the release runs the delete again where no interrupt reaches it, so the lock is free
     * as soon as release returns, even though the provider stays idle.
     */
    @Test
    void aReleaseDeleteCutByASecondInterruptStillFreesTheLockAtOnce() throws Exception {
        AtomicInteger deleteInterrupts = new AtomicInteger();
        ZookeeperLockProvider idle = provider(FaultyClients.interruptingDeletes(clients.open(zk.connectString()),
                deleteInterrupts));
        ZookeeperLockProvider other = provider();
        Lease lease = idle.acquire(LockRequest.named("release-twice").leaseTime(Duration.ofSeconds(30)).build());
        deleteInterrupts.set(1);
        Thread.currentThread().interrupt(); // the first interrupt: release clears it and restores it afterwards
        boolean released;
        try {
            released = lease.release();
        } finally {
            assertThat(Thread.interrupted()).as("the caller's interrupt flag is kept").isTrue();
        }
        assertThat(released).as("release").isTrue();
        assertThat(deleteInterrupts.get()).as("the release's delete was hit by the second interrupt").isZero();
        Optional<Lease> next = other.tryAcquire(waiting("release-twice", Duration.ZERO));
        assertThat(next).as("the lock is free right after the release").isPresent();
        next.get().release();
    }

    @Test
    void anInterruptWhileAZooKeeperCallIsInFlightThrowsLockInterruptedAndLeavesNoNode() throws Exception {
        ZookeeperLockProvider holder = provider();
        ZookeeperLockProvider next = provider();
        CuratorFramework reader = clients.open(zk.connectString());
        String connect = zk.connectString(); // the in-process server: one host:port
        int port = Integer.parseInt(connect.substring(connect.lastIndexOf(':') + 1));
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", port)) {
            ZookeeperLockProvider p = provider(clients.open("127.0.0.1:" + proxy.port()));
            p.acquire(waiting("in-flight", Duration.ZERO)).release(); // connected
            Lease held = holder.acquire(LockRequest.named("in-flight").leaseTime(Duration.ofSeconds(30)).build());
            proxy.stall(Duration.ofSeconds(3)); // the create below reaches the server only when the stall ends
            AtomicReference<Thread> thread = new AtomicReference<>();
            Future<Optional<Lease>> attempt = pool.submit(() -> {
                thread.set(Thread.currentThread());
                return p.tryAcquire(waiting("in-flight", PATIENCE));
            });
            Await.until(PATIENCE, "the request started", () -> thread.get() != null);
            Await.sleep(Duration.ofMillis(300));
            long interruptedAt = System.nanoTime();
            thread.get().interrupt();
            Throwable failure = org.assertj.core.api.Assertions.catchThrowable(
                    () -> attempt.get(PATIENCE.toSeconds(), TimeUnit.SECONDS));
            assertThat(failure).hasCauseInstanceOf(LockInterruptedException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - interruptedAt)).as("the interrupt ends the call at once")
                    .isLessThan(Duration.ofMillis(2500));
            Await.until(PATIENCE, "the interrupted create's node is deleted once it reached the server", () -> {
                try {
                    return queueOwners(reader, "in-flight").equals(List.of(held.ownerId()));
                } catch (Exception e) {
                    return false;
                }
            });
            Future<Lease> waits = pool.submit(() -> next.acquire(waiting("in-flight", PATIENCE)));
            Await.until(PATIENCE, "the next contender queued",
                    () -> holder.inspect("in-flight").orElseThrow().waiters() == 1);
            held.release();
            Lease lease = waits.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            assertThat(lease.isHeld()).isTrue();
            lease.release();
        }
    }

    @Test
    void everyNonGrantPathLeavesNoNodeOfOurs() throws Exception {
        ZookeeperLockProvider holder = provider();
        ZookeeperLockProvider p = provider();
        CuratorFramework reader = clients.open(zk.connectString());
        Lease held = holder.acquire(LockRequest.named("leftovers").leaseTime(Duration.ofSeconds(30)).build());
        for (int i = 0; i < 5; i++) {
            assertThat(p.tryAcquire(waiting("leftovers", Duration.ZERO))).as("busy").isEmpty();
            assertThat(p.tryAcquire(waiting("leftovers", Duration.ofMillis(150)))).as("wait timeout").isEmpty();
        }
        assertThat(queueOwners(reader, "leftovers")).containsExactly(held.ownerId());
        held.release();
        p.acquire(waiting("leftovers", Duration.ZERO)).release();
        assertThat(queue(reader, "leftovers")).isEmpty();
    }
}
