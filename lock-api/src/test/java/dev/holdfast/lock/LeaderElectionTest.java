package dev.holdfast.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LeaderElectionTest {

    private final InMemoryLockProvider.Store store = new InMemoryLockProvider.Store();
    private final InMemoryLockProvider nodeA = InMemoryLockProvider.builder().store(store).build();
    private final InMemoryLockProvider nodeB = InMemoryLockProvider.builder().store(store).build();
    private final List<AutoCloseable> toClose = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        nodeA.close();
        nodeB.close();
    }

    /** Records leadership changes as "gained:<token>" / "lost:<reason or closed>". */
    static final class Recorder implements LeaderElection.Listener {
        final List<String> events = new CopyOnWriteArrayList<>();

        @Override
        public void leadershipGained(Lease lease) {
            events.add("gained:" + lease.token());
        }

        @Override
        public void leadershipLost(@Nullable LockLostException cause) {
            events.add("lost:" + (cause == null ? "closed" : cause.reason()));
        }
    }

    private LeaderElection start(LockProvider provider, String name, Recorder recorder) {
        LeaderElection e = LeaderElection.builder(provider, name)
                .leaseTime(Duration.ofSeconds(2))
                .retryInterval(Duration.ofMillis(200))
                .listener(recorder)
                .build();
        toClose.add(e);
        return e.start();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void exactlyOneNodeLeadsAndTheOtherTakesOverWhenTheLeaderCloses() throws Exception {
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        LeaderElection ea = start(nodeA, "leader-1", a);
        await("a leads", ea::isLeader);
        LeaderElection eb = start(nodeB, "leader-1", b);
        Thread.sleep(300);
        assertThat(eb.isLeader()).isFalse();
        assertThat(b.events).isEmpty();

        long tokenA = ea.currentLease().orElseThrow().token();
        ea.close();
        assertThat(ea.isLeader()).isFalse();
        assertThat(a.events).containsExactly("gained:" + tokenA, "lost:closed");
        await("b leads", eb::isLeader);
        assertThat(eb.currentLease().orElseThrow().token()).isGreaterThan(tokenA);
        await("b is told", () -> b.events.size() == 1);
    }

    @Test
    void aLeaderWhoseLeaseIsLostIsToldAndContendsAgain() throws Exception {
        Recorder a = new Recorder();
        LeaderElection ea = start(nodeA, "leader-2", a);
        await("a leads", ea::isLeader);
        store.expire("leader-2");
        try (Lease thief = nodeB.acquire(LockRequest.named("leader-2").leaseTime(Duration.ofSeconds(30)).build())) {
            // the next renewal is refused: the lease is lost and the listener told
            await("a loses", () -> a.events.size() == 2);
            assertThat(a.events.get(1)).isEqualTo("lost:REFUSED");
            assertThat(ea.isLeader()).isFalse();
        }
        await("a leads again and is told", () -> ea.isLeader() && a.events.size() == 3);
        assertThat(a.events.get(2)).startsWith("gained:");
    }

    @Test
    void keepsContendingThroughABackendOutage() throws Exception {
        store.setAvailable(false);
        Recorder a = new Recorder();
        LeaderElection ea = start(nodeA, "leader-3", a);
        Thread.sleep(300);
        assertThat(ea.isLeader()).isFalse();
        store.setAvailable(true);
        await("a leads after the outage", ea::isLeader);
    }

    @Test
    void closingBeforeStartOrTwiceIsHarmlessAndStartTwiceIsRefused() {
        LeaderElection e = LeaderElection.builder(nodeA, "leader-4").build();
        e.close();
        e.close();
        assertThatThrownBy(e::start).isInstanceOf(IllegalStateException.class);
        LeaderElection f = LeaderElection.builder(nodeA, "leader-5").build().start();
        toClose.add(f);
        assertThatThrownBy(f::start).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void builderRejectsBadValuesAtOnce() {
        assertThatThrownBy(() -> LeaderElection.builder(nodeA, " "))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LeaderElection.builder(nodeA, "x").leaseTime(Duration.ofSeconds(-1)))
                .hasMessageContaining("leaseTime");
        assertThatThrownBy(() -> LeaderElection.builder(nodeA, "x").retryInterval(Duration.ZERO))
                .hasMessageContaining("retryInterval");
    }

    @Test
    void aClosingLeaderIsToldBeforeItsLeaseIsReleased() throws Exception {
        List<String> order = new CopyOnWriteArrayList<>();
        LeaderElection.Listener recordAs = new LeaderElection.Listener() {
            @Override
            public void leadershipGained(Lease lease) {
                order.add("gained:" + lease.ownerId());
            }

            @Override
            public void leadershipLost(@Nullable LockLostException cause) {
                order.add("lost");
            }
        };
        LeaderElection ea = LeaderElection.builder(nodeA, "leader-6").retryInterval(Duration.ofMillis(200))
                .listener(recordAs).build().start();
        toClose.add(ea);
        await("a leads", ea::isLeader);
        LeaderElection eb = LeaderElection.builder(nodeB, "leader-6").retryInterval(Duration.ofMillis(200))
                .listener(recordAs).build().start();
        toClose.add(eb);
        ea.close();
        await("b leads", () -> eb.isLeader() && order.size() == 3);
        assertThat(order.get(1)).as("the old leader stopped before the new one started").isEqualTo("lost");
    }

    /** A provider that hands out one lease that is already lost, then behaves. */
    static final class FirstGrantLost implements LockProvider {
        private final LockProvider delegate;
        private final java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
        final List<Lease> lostGrants = new CopyOnWriteArrayList<>();

        FirstGrantLost(LockProvider delegate) {
            this.delegate = delegate;
        }

        @Override
        public java.util.Optional<Lease> tryAcquire(LockRequest request) {
            java.util.Optional<Lease> lease = delegate.tryAcquire(request);
            if (lease.isPresent() && first.getAndSet(false)) {
                Lease lost = new LostLease(lease.get());
                lostGrants.add(lost);
                return java.util.Optional.of(lost);
            }
            return lease;
        }

        @Override
        public Lease acquire(LockRequest request) {
            return tryAcquire(request).orElseThrow(() -> new LockNotAcquiredException(request.name(), request.waitTime()));
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    /** A lease whose holder already lost it (its deadline passed before the grant arrived). */
    static final class LostLease implements Lease {
        private final Lease lease;

        LostLease(Lease lease) {
            this.lease = lease;
        }

        @Override public String name() { return lease.name(); }
        @Override public long token() { return lease.token(); }
        @Override public String ownerId() { return lease.ownerId(); }
        @Override public java.time.Instant acquiredAt() { return lease.acquiredAt(); }
        @Override public Duration leaseTime() { return lease.leaseTime(); }
        @Override public boolean isHeld() { return false; }
        @Override public void checkHeld() { throw new LockLostException(name(), token(), LossReason.EXPIRED, null); }
        @Override public void extend(Duration leaseTime) { checkHeld(); }
        @Override public void extend(Duration leaseTime, Duration minHold) { checkHeld(); }
        @Override public boolean release() { return lease.release(); }
        @Override public void close() { release(); }
        @Override public void onLost(java.util.function.Consumer<? super LockLostException> listener) {
            listener.accept(new LockLostException(name(), token(), LossReason.EXPIRED, null));
        }
    }

    @Test
    void aLeaseThatIsNotHeldAtGrantNeverStartsLeadership() throws Exception {
        FirstGrantLost provider = new FirstGrantLost(nodeA);
        List<Boolean> heldWhenGained = new CopyOnWriteArrayList<>();
        LeaderElection e = LeaderElection.builder(provider, "leader-7").retryInterval(Duration.ofMillis(100))
                .listener(new LeaderElection.Listener() {
                    @Override
                    public void leadershipGained(Lease lease) {
                        heldWhenGained.add(lease.isHeld());
                    }

                    @Override
                    public void leadershipLost(@Nullable LockLostException cause) {
                    }
                }).build();
        toClose.add(e);
        e.start();
        await("a leads with a held lease", () -> e.isLeader() && !heldWhenGained.isEmpty());
        assertThat(heldWhenGained).as("leadershipGained ran on an unheld lease").containsExactly(true);
        assertThat(provider.lostGrants).hasSize(1);
    }
}
