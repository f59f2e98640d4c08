package dev.holdfast.lock.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.lock.LeaderElection;
import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockInfo;
import dev.holdfast.lock.LockInterruptedException;
import dev.holdfast.lock.LockLostException;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.LossReason;
import dev.holdfast.lock.testkit.Await;
import dev.holdfast.lock.testkit.History;
import dev.holdfast.lock.testkit.fixtures.RedisFixture;
import dev.holdfast.lock.testkit.fixtures.RedisServerProcess;
import dev.holdfast.lock.testkit.fixtures.RespClient;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.redisson.api.RedissonClient;

/**
 * What Redisson's command retry and thread interrupts do to locks, on a throwaway {@code redis-server}
 * (CLIENT PAUSE stalls every client, so never the shared server). A paused server makes Redisson resend
 * a command whose reply is late: the server then runs every copy, and the reply the caller sees is the
 * last copy's. Each case asserts what a user sees: the lease (or busy with nothing left held), release's
 * answer and the loss callbacks, the exception type, and whether another node can take the lock.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RedisRetryAndInterruptTest {

    private static final Duration PATIENCE = Duration.ofSeconds(15);
    private static final Duration LONG_LEASE = Duration.ofSeconds(30);

    private final RedisClients clients = new RedisClients();
    private final List<RedisLockProvider> providers = new CopyOnWriteArrayList<>();
    private final String prefix = RedisFixture.keyPrefix("retry");
    private RedisServerProcess redis;

    @BeforeEach
    void startServer() {
        redis = RedisServerProcess.start();
    }

    @AfterEach
    void stopEverything() {
        providers.forEach(RedisLockProvider::close);
        clients.close();
        redis.close();
    }

    /** A provider whose client gives up waiting for a reply after {@code timeoutMs} and resends it. */
    private RedisLockProvider provider(int timeoutMs, int retryAttempts, int retryIntervalMs) {
        RedissonClient client = clients.create(redis.address(), RedisClients.uniqueName("holdfast-retry"), false,
                timeoutMs, retryAttempts, retryIntervalMs);
        RedisLockProvider p = RedisLockProvider.builder(client).keyPrefix(prefix).build();
        providers.add(p);
        return p;
    }

    /** A provider with ordinary timeouts, standing for another node. */
    private RedisLockProvider otherNode() {
        return provider(2000, 2, 100);
    }

    private static String unique(String base) {
        return base + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Stalls every client of the server for {@code ms}; returns when the pause ends (System.nanoTime). */
    private long pause(long ms) {
        try (RespClient admin = redis.connect()) {
            admin.call("CLIENT", "PAUSE", Long.toString(ms), "ALL");
        }
        return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
    }

    private static void sleepUntil(long nanoTime) {
        long left = nanoTime - System.nanoTime();
        if (left > 0) {
            Await.sleep(Duration.ofNanos(left));
        }
    }

    /** The lock is free now and stays free for {@code stable} (an orphan would stay for the 30 s lease). */
    private static void assertFreeAndStaysFree(RedisLockProvider p, String name, Duration stable) {
        Await.until(Duration.ofSeconds(5), "nobody holds '" + name + "'", () -> p.inspect(name).isEmpty());
        Await.sleep(stable);
        assertThat(p.inspect(name)).as("holder of '%s' after it was freed", name).isEmpty();
    }

    // ------------------------------------------------------------------ acquire resent by Redisson

    @Test
    void aResentAcquireReturnsTheGrantOrLeavesNothingHeld() {
        RedisLockProvider p = provider(300, 3, 100);
        RedisLockProvider other = otherNode();
        int granted = 0;
        for (int i = 0; i < 3; i++) {
            String name = unique("resent-acquire-" + i);
            long pauseEnds = pause(800);
            Optional<Lease> got;
            try {
                got = p.tryAcquire(LockRequest.named(name).leaseTime(LONG_LEASE).build());
            } catch (LockBackendException unknownOutcome) {
                got = Optional.empty(); // every copy timed out: allowed, as long as nothing stays held
            }
            sleepUntil(pauseEnds);
            if (got.isPresent()) {
                granted++;
                Lease lease = got.get();
                assertThat(lease.isHeld()).isTrue();
                LockInfo holder = other.inspect(name).orElseThrow();
                assertThat(holder.ownerId()).isEqualTo(lease.ownerId());
                assertThat(holder.token()).isEqualTo(lease.token());
                assertThat(other.tryAcquire(LockRequest.named(name).build())).as("busy while leased").isEmpty();
                assertThat(lease.release()).isTrue();
            } else {
                // reported busy or failed: then the lock must not stay held by this provider without a lease
                Optional<LockInfo> holder = other.inspect(name);
                assertThat(holder).as("'%s' answered busy/failed but is held by %s", name, holder).isEmpty();
            }
            try (Lease next = Await.value(PATIENCE, "another node can take '" + name + "'",
                    () -> other.tryAcquire(LockRequest.named(name).build()).orElse(null))) {
                assertThat(next.isHeld()).isTrue();
            }
        }
        System.out.printf("resent acquire: %d of 3 attempts returned the lease%n", granted);
    }

    @Test
    void aTryOnceAnsweredBusyWhileTheHolderReleasesLeavesNothingHeld() throws Exception {
        // copies of p's acquire are sent before and after the holder's release, all held up by the pause; the
        // server then runs them in arrival order: busy, release, grant to p's owner id. Whatever answer
        // Redisson hands back, a busy answer must not leave p's owner id holding the lock.
        RedisLockProvider p = provider(300, 3, 100);
        RedisLockProvider holderNode = otherNode();
        RedisLockProvider other = otherNode();
        int busy = 0;
        for (int i = 0; i < 4; i++) {
            String name = unique("busy-then-released-" + i);
            Lease holder = holderNode.tryAcquire(LockRequest.named(name).leaseTime(LONG_LEASE).build()).orElseThrow();
            long pauseEnds = pause(900);
            java.util.concurrent.CompletableFuture<Optional<Lease>> attempt = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> p.tryAcquire(LockRequest.named(name).leaseTime(LONG_LEASE).build()));
            Await.sleep(Duration.ofMillis(150));
            java.util.concurrent.CompletableFuture<Boolean> release =
                    java.util.concurrent.CompletableFuture.supplyAsync(holder::release);
            Optional<Lease> got;
            try {
                got = attempt.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(LockBackendException.class);
                got = Optional.empty();
            }
            assertThat(release.get(PATIENCE.toSeconds(), TimeUnit.SECONDS)).isTrue();
            sleepUntil(pauseEnds);
            if (got.isPresent()) {
                assertThat(got.get().isHeld()).isTrue();
                assertThat(got.get().release()).isTrue();
            } else {
                busy++;
            }
            assertFreeAndStaysFree(other, name, Duration.ofMillis(500));
        }
        System.out.printf("busy while the holder released: %d of 4 attempts answered busy%n", busy);
    }

    @Test
    void aBusyAnswerThatTookLongerThanTheClientTimeoutGivesItsOwnerIdUpSoALateCopyCannotGrant() throws Exception {
        RedisLockProvider p = provider(300, 3, 100);
        RedisLockProvider holderNode = otherNode();
        String name = unique("slow-busy");
        RedisKeys.Names keys = new RedisKeys(prefix).of(name);
        Lease holder = holderNode.tryAcquire(LockRequest.named(name).leaseTime(LONG_LEASE).build()).orElseThrow();
        long pauseEnds = pause(900);
        Optional<Lease> got = p.tryAcquire(LockRequest.named(name).leaseTime(LONG_LEASE).build());
        sleepUntil(pauseEnds);
        assertThat(got).as("try-once on a held lock").isEmpty();
        // the busy answer came after the client's timeout (copies may have been resent): its owner id is given up
        Await.until(PATIENCE, "the slow attempt's owner id is recorded as gone",
                () -> Long.valueOf(1).equals(redis.call("ZCARD", keys.gone())));
        String slowOwner = String.valueOf(((List<?>) redis.call("ZRANGE", keys.gone(), "0", "0")).get(0));
        assertThat(holder.release()).isTrue();
        // a copy of that attempt's acquire arriving now, with the lock free, is refused
        Object lateCopy = redis.call("EVAL", RedisScripts.Script.ACQUIRE.source, "3", keys.lock(), keys.fence(),
                keys.gone(), slowOwner, "30000");
        assertThat(lateCopy).as("a late copy of the slow attempt's acquire").isNull();
        assertThat(holderNode.inspect(name)).isEmpty();
    }

    @Test
    void anAcquireThatGotNoAnswerInTimeLeavesNothingHeldWhenTheServerRunsItLater() {
        RedisLockProvider p = provider(200, 1, 50); // gives up after ~0.5 s, long before the pause ends
        RedisLockProvider other = otherNode();
        for (int i = 0; i < 2; i++) {
            String name = unique("unknown-outcome-" + i);
            long pauseEnds = pause(1500);
            try {
                Optional<Lease> got = p.tryAcquire(LockRequest.named(name).leaseTime(LONG_LEASE).build());
                got.ifPresent(Lease::release);
                throw new AssertionError("expected the acquire to fail without an answer, got " + got);
            } catch (LockBackendException expected) {
                assertThat(expected).hasMessageContaining(name);
            }
            sleepUntil(pauseEnds); // now the server runs the stalled copies of the acquire
            assertFreeAndStaysFree(other, name, Duration.ofMillis(700));
            try (Lease next = other.tryAcquire(LockRequest.named(name).build()).orElseThrow()) {
                assertThat(next.isHeld()).isTrue();
            }
        }
    }

    // ------------------------------------------------------------------ release resent by Redisson

    @Test
    void aReleaseWhoseReplyComesLateCountsAsReleasedWithoutALossCallback() {
        RedisLockProvider p = provider(300, 3, 100);
        RedisLockProvider other = otherNode();
        for (int i = 0; i < 3; i++) {
            String name = unique("late-release-" + i);
            Lease lease = p.tryAcquire(LockRequest.named(name).leaseTime(LONG_LEASE).build()).orElseThrow();
            List<LockLostException> lost = new CopyOnWriteArrayList<>();
            lease.onLost(lost::add);
            long pauseEnds = pause(800);
            boolean released = lease.release();
            sleepUntil(pauseEnds);
            assertThat(lost).as("loss callbacks of a release that worked").isEmpty();
            assertThat(released).as("release() of a lease that was released (reply late)").isTrue();
            assertThat(other.inspect(name)).isEmpty();
        }
    }

    @Test
    void aReleaseIsStillRefusedWhenAnotherOwnerHoldsTheLockOrItExpired() {
        RedisLockProvider p = provider(300, 3, 100);
        RedisLockProvider other = otherNode();
        String name = unique("taken-over");
        Lease lease = p.tryAcquire(LockRequest.named(name).leaseTime(LONG_LEASE).build()).orElseThrow();
        List<LockLostException> lost = new CopyOnWriteArrayList<>();
        lease.onLost(lost::add);
        redis.call("DEL", new RedisKeys(prefix).of(name).lock()); // as if it had expired
        Lease theirs = other.tryAcquire(LockRequest.named(name).leaseTime(LONG_LEASE).build()).orElseThrow();
        assertThat(lease.release()).isFalse();
        assertThat(lost).hasSize(1);
        assertThat(lost.get(0).reason()).isEqualTo(LossReason.REFUSED);
        assertThat(theirs.isHeld()).isTrue();
        assertThat(other.inspect(name).orElseThrow().ownerId()).isEqualTo(theirs.ownerId());
        assertThat(theirs.release()).isTrue();

        String gone = unique("expired");
        Lease expired = p.tryAcquire(LockRequest.named(gone).leaseTime(LONG_LEASE).build()).orElseThrow();
        List<LockLostException> lostToo = new CopyOnWriteArrayList<>();
        expired.onLost(lostToo::add);
        redis.call("DEL", new RedisKeys(prefix).of(gone).lock());
        assertThat(expired.release()).isFalse();
        assertThat(lostToo).extracting(LockLostException::reason).containsExactly(LossReason.REFUSED);
    }

    // ------------------------------------------------------------------ interrupts

    @Test
    void interruptingAWaitingAcquireThrowsLockInterruptedAndLeavesTheLockFree() throws Exception {
        RedisLockProvider p = provider(1000, 2, 100);
        RedisLockProvider other = otherNode();
        for (int i = 0; i < 2; i++) {
            String name = unique("interrupted-acquire-" + i);
            long pauseEnds = pause(1500);
            AtomicReference<@Nullable Throwable> thrown = new AtomicReference<>();
            AtomicBoolean flagKept = new AtomicBoolean();
            AtomicReference<@Nullable Lease> leaked = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    leaked.set(p.tryAcquire(LockRequest.named(name).leaseTime(LONG_LEASE)
                            .waitTime(Duration.ofSeconds(20)).build()).orElse(null));
                } catch (Throwable e) {
                    thrown.set(e);
                    flagKept.set(Thread.currentThread().isInterrupted());
                }
            }, "interrupted-acquirer");
            t.start();
            Await.sleep(Duration.ofMillis(300)); // the acquire script is sent and waits in the paused server
            t.interrupt();
            t.join(PATIENCE.toMillis());
            assertThat(t.isAlive()).as("the interrupted acquire returned").isFalse();
            assertThat(leaked.get()).as("no lease from an interrupted acquire").isNull();
            assertThat(thrown.get()).isInstanceOf(LockInterruptedException.class)
                    .hasMessageContaining(name);
            assertThat(flagKept).as("the interrupt flag is restored").isTrue();
            sleepUntil(pauseEnds);
            assertFreeAndStaysFree(other, name, Duration.ofMillis(700));
            try (Lease next = other.tryAcquire(LockRequest.named(name).build()).orElseThrow()) {
                assertThat(next.isHeld()).isTrue();
            }
        }
    }

    @Test
    void releaseAndExtendWorkFromAnInterruptedThread() {
        RedisLockProvider p = provider(1000, 2, 100);
        RedisLockProvider other = otherNode();
        String name = unique("interrupted-release");
        Lease lease = p.tryAcquire(LockRequest.named(name).leaseTime(Duration.ofSeconds(10)).build()).orElseThrow();
        List<LockLostException> lost = new CopyOnWriteArrayList<>();
        lease.onLost(lost::add);
        Thread.currentThread().interrupt();
        try {
            lease.extend(Duration.ofSeconds(20));
            assertThat(lease.leaseTime()).isEqualTo(Duration.ofSeconds(20));
            assertThat(lease.release()).isTrue();
            assertThat(Thread.currentThread().isInterrupted()).as("the interrupt flag is kept").isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(lost).isEmpty();
        assertThat(other.inspect(name)).isEmpty();
    }

    @Test
    void contendersUnderRepeatedPausesAndInterruptsStayExclusiveAndLeaveNothingHeld() throws Exception {
        List<RedisLockProvider> nodes = List.of(provider(300, 3, 100), provider(300, 3, 100), provider(250, 2, 50));
        List<String> names = List.of(unique("stress-a"), unique("stress-b"));
        History history = new History();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger grants = new AtomicInteger();
        AtomicInteger interruptedAcquires = new AtomicInteger();
        AtomicInteger failedAcquires = new AtomicInteger();
        List<String> problems = new CopyOnWriteArrayList<>();
        List<Thread> workers = new java.util.ArrayList<>();
        for (int w = 0; w < 6; w++) {
            RedisLockProvider node = nodes.get(w % nodes.size());
            int id = w;
            workers.add(new Thread(() -> {
                java.util.Random random = new java.util.Random(id);
                while (!stop.get()) {
                    Thread.interrupted(); // interrupts are meant for the acquire below; drop any left over
                    String name = names.get(random.nextInt(names.size()));
                    Optional<Lease> got;
                    try {
                        got = node.tryAcquire(LockRequest.named(name).leaseTime(LONG_LEASE)
                                .waitTime(Duration.ofMillis(500)).build());
                    } catch (LockInterruptedException e) {
                        interruptedAcquires.incrementAndGet();
                        continue;
                    } catch (LockBackendException e) {
                        failedAcquires.incrementAndGet();
                        continue;
                    } catch (RuntimeException e) {
                        problems.add("acquire threw " + e);
                        continue;
                    }
                    if (got.isEmpty()) {
                        continue;
                    }
                    grants.incrementAndGet();
                    Lease lease = got.get();
                    List<LockLostException> lost = new CopyOnWriteArrayList<>();
                    lease.onLost(lost::add);
                    History.Recording recording = history.record(lease);
                    java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2 + random.nextInt(15)));
                    recording.end();
                    try {
                        if (!lease.release()) {
                            problems.add("release of " + lease + " returned false; losses " + lost);
                        }
                    } catch (RuntimeException e) {
                        problems.add("release of " + lease + " threw " + e);
                    }
                    if (!lost.isEmpty()) {
                        problems.add("loss reported for " + lease + ": " + lost);
                    }
                }
            }, "stress-worker-" + w));
        }
        workers.forEach(Thread::start);
        java.util.Random random = new java.util.Random(42);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
        long lastPauseEnds = System.nanoTime();
        while (System.nanoTime() < end) {
            lastPauseEnds = pause(350);
            for (int i = 0; i < 4; i++) {
                Await.sleep(Duration.ofMillis(60 + random.nextInt(60)));
                workers.get(random.nextInt(workers.size())).interrupt();
            }
            Await.sleep(Duration.ofMillis(300 + random.nextInt(300)));
        }
        stop.set(true);
        for (Thread t : workers) {
            t.join(PATIENCE.toMillis());
            assertThat(t.isAlive()).as("%s stopped", t.getName()).isFalse();
        }
        System.out.printf("pauses and interrupts: %d grants, %d interrupted acquires, %d failed acquires%n",
                grants.get(), interruptedAcquires.get(), failedAcquires.get());
        assertThat(problems).as("what users saw go wrong").isEmpty();
        history.assertValid();
        assertThat(grants.get()).as("grants").isGreaterThan(20);
        sleepUntil(lastPauseEnds);
        RedisLockProvider other = otherNode();
        for (String name : names) {
            assertFreeAndStaysFree(other, name, Duration.ZERO);
        }
        Await.sleep(Duration.ofMillis(700));
        for (String name : names) {
            assertThat(other.inspect(name)).as("holder of '%s' once everyone stopped", name).isEmpty();
        }
    }

    @Test
    void closingALeaderElectionWhileItsAcquireIsInFlightLeavesNobodyHoldingTheLeadership() throws Exception {
        RedisLockProvider p = provider(1000, 2, 100);
        RedisLockProvider other = otherNode();
        for (int i = 0; i < 2; i++) {
            String name = unique("leader-" + i);
            List<String> events = new CopyOnWriteArrayList<>();
            long pauseEnds = pause(1500);
            LeaderElection election = LeaderElection.builder(p, name)
                    .leaseTime(LONG_LEASE)
                    .retryInterval(Duration.ofSeconds(5))
                    .listener(new LeaderElection.Listener() {
                        @Override
                        public void leadershipGained(Lease lease) {
                            events.add("gained");
                        }

                        @Override
                        public void leadershipLost(@Nullable LockLostException cause) {
                            events.add("lost");
                        }
                    })
                    .build()
                    .start();
            Await.sleep(Duration.ofMillis(300)); // its acquire is in flight, stalled by the pause
            election.close();                     // interrupts the election's thread
            assertThat(election.isLeader()).isFalse();
            sleepUntil(pauseEnds);
            assertThat(events).as("leadership events").isIn(List.of(), List.of("gained", "lost"));
            assertFreeAndStaysFree(other, name, Duration.ofMillis(700));
            try (Lease next = other.tryAcquire(LockRequest.named(name).leaseTime(LONG_LEASE).build()).orElseThrow()) {
                assertThat(next.isHeld()).as("another node takes the leadership at once").isTrue();
            }
        }
    }
}
