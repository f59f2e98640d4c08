package dev.holdfast.lock.spi;

import static org.assertj.core.api.Assertions.assertThat;

import dev.holdfast.lock.LeaderElection;
import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockLostException;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.LossReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The lease engine while a backend call hangs: loss is declared at the local deadline, not when the I/O
 * returns; release and close do not wait behind a hung renewal; other leases keep being renewed. The
 * backend here is an owner-checked in-memory store whose renewals can be made to hang on a latch, so this
 * exercises the engine every backend shares.
 */
class StalledBackendTest {

    /** A backend shared by several providers, like processes sharing a server. Owner-checked. */
    static final class SharedStore {
        private record Entry(String owner, long token, long expiresAt) {
        }

        private final Map<String, Entry> entries = new HashMap<>();
        private final Map<String, Long> fences = new HashMap<>();
        private final long graceNanos;

        SharedStore() {
            this(Duration.ZERO);
        }

        /** A store that keeps a lock {@code grace} longer than asked (a backend's clock and round trip). */
        SharedStore(Duration grace) {
            this.graceNanos = grace.toNanos();
        }

        synchronized @Nullable Long acquire(String name, String owner, Duration leaseTime) {
            long now = System.nanoTime();
            Entry e = entries.get(name);
            if (e != null && now - e.expiresAt < 0) {
                return null;
            }
            long token = fences.merge(name, 1L, Long::sum);
            entries.put(name, new Entry(owner, token, now + leaseTime.toNanos() + graceNanos));
            return token;
        }

        synchronized boolean renew(String name, String owner, long token, Duration leaseTime) {
            long now = System.nanoTime();
            Entry e = entries.get(name);
            if (e == null || now - e.expiresAt >= 0 || !e.owner.equals(owner) || e.token != token) {
                return false;
            }
            entries.put(name, new Entry(owner, token, now + leaseTime.toNanos() + graceNanos));
            return true;
        }

        synchronized boolean release(String name, String owner, long token) {
            long now = System.nanoTime();
            Entry e = entries.get(name);
            if (e == null || now - e.expiresAt >= 0 || !e.owner.equals(owner) || e.token != token) {
                return false;
            }
            entries.remove(name);
            return true;
        }

        synchronized @Nullable String holder(String name) {
            Entry e = entries.get(name);
            return e == null || System.nanoTime() - e.expiresAt >= 0 ? null : e.owner;
        }
    }

    /** A provider on a {@link SharedStore} whose renewals of one lock name can be made to hang. */
    static final class StallingProvider extends AbstractLockProvider {
        final SharedStore store;
        volatile @Nullable String hangName;
        volatile boolean hangAfterApplying;
        final CountDownLatch gate = new CountDownLatch(1);
        final CountDownLatch renewalHanging = new CountDownLatch(1);
        final AtomicInteger renewalsReturned = new AtomicInteger();
        final Map<String, AtomicInteger> renewals = new java.util.concurrent.ConcurrentHashMap<>();
        final List<String> releases = new CopyOnWriteArrayList<>();

        StallingProvider(SharedStore store) {
            super(new Builder().runtime("stalling"), new Backoff(Duration.ofMillis(5), Duration.ofMillis(20)));
            this.store = store;
        }

        @Override
        protected Optional<? extends AbstractLease> tryAcquireOnBackend(LockRequest request, long deadlineNanos) {
            long start = runtime.ticker().nanoTime();
            String owner = runtime.newOwnerId();
            Long token = store.acquire(request.name(), owner, request.leaseTime());
            if (token == null) {
                return Optional.empty();
            }
            return Optional.of(new AbstractLease(runtime, request, token, owner, start) {
                @Override
                protected boolean renewOnBackend(Duration leaseTime) {
                    renewals.computeIfAbsent(name(), k -> new AtomicInteger()).incrementAndGet();
                    boolean hang = name().equals(hangName);
                    boolean after = hangAfterApplying;
                    boolean renewed = false;
                    if (!hang || after) {
                        renewed = store.renew(name(), ownerId(), backendToken(), leaseTime);
                    }
                    if (hang) {
                        renewalHanging.countDown();
                        try {
                            gate.await(30, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new IllegalStateException("interrupted", e);
                        }
                        if (!after) {
                            renewed = store.renew(name(), ownerId(), backendToken(), leaseTime);
                        }
                        renewalsReturned.incrementAndGet();
                    }
                    return renewed;
                }

                @Override
                protected void releaseOnBackend(Duration keepFor) {
                    releases.add(name());
                    store.release(name(), ownerId(), backendToken());
                }
            });
        }

        static final class Builder extends AbstractProviderBuilder<Builder> {
        }
    }

    private final SharedStore store = new SharedStore();
    private final StallingProvider provider = new StallingProvider(store);
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        provider.gate.countDown();
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close(); // elections before their providers
        }
        provider.close();
    }

    private static LockRequest lease(String name, long millis) {
        return LockRequest.named(name).leaseTime(Duration.ofMillis(millis)).build();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void aRenewalHangingPastTheDeadlineLosesTheLeaseAtTheDeadlineAndALateSuccessIsReleased() throws Exception {
        provider.hangName = "hung";
        provider.hangAfterApplying = true; // the backend renews, the reply never comes back in time
        AbstractLease lease = (AbstractLease) provider.acquire(lease("hung", 600));
        AtomicLong lostAt = new AtomicLong();
        AtomicReference<LockLostException> cause = new AtomicReference<>();
        CountDownLatch lost = new CountDownLatch(1);
        lease.onLost(e -> {
            lostAt.set(System.nanoTime());
            cause.set(e);
            lost.countDown();
        });
        assertThat(provider.renewalHanging.await(10, TimeUnit.SECONDS)).as("a renewal started").isTrue();
        long deadline = lease.deadlineNanos();

        assertThat(lost.await(10, TimeUnit.SECONDS)).as("onLost while the renewal still hangs").isTrue();
        assertThat(provider.renewalsReturned).as("the renewal was still hanging").hasValue(0);
        assertThat(lease.isHeld()).isFalse();
        assertThat(Duration.ofNanos(lostAt.get() - deadline)).as("onLost after the local deadline")
                .isLessThan(Duration.ofSeconds(1));
        assertThat(lostAt.get() - deadline).as("not before the deadline").isGreaterThanOrEqualTo(0);
        assertThat(cause.get().reason()).isEqualTo(LossReason.RENEWAL_FAILED);
        assertThat(provider.releases).as("no release while the renewal hangs").isEmpty();

        provider.gate.countDown(); // the renewal now returns success: too late
        await("the late renewal answered by a release", () -> provider.releases.contains("hung"));
        assertThat(lease.isHeld()).as("a late renewal never revives the lease").isFalse();
        assertThat(store.holder("hung")).as("the backend freed the lock").isNull();
        assertThat(lease.release()).isFalse();
    }

    @Test
    void releaseReturnsAtOnceWhileARenewalHangsAndFreesTheLockWhenItReturns() throws Exception {
        provider.hangName = "r";
        provider.hangAfterApplying = true;
        Lease lease = provider.acquire(lease("r", 900));
        assertThat(provider.renewalHanging.await(10, TimeUnit.SECONDS)).isTrue();

        CompletableFuture<Boolean> released = CompletableFuture.supplyAsync(lease::release);
        Boolean result = released.get(1, TimeUnit.SECONDS); // throws TimeoutException if it waits behind the renewal
        assertThat(result).isTrue();
        assertThat(lease.isHeld()).isFalse();
        assertThat(provider.renewalsReturned).as("the renewal still hangs").hasValue(0);

        provider.gate.countDown();
        await("the backend release after the renewal returned", () -> provider.releases.contains("r"));
        assertThat(store.holder("r")).isNull();
        assertThat(lease.isHeld()).isFalse();
    }

    @Test
    void providerCloseReturnsAtOnceWhileARenewalHangs() throws Exception {
        provider.hangName = "c";
        Lease lease = provider.acquire(lease("c", 900));
        assertThat(provider.renewalHanging.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> closed = CompletableFuture.runAsync(provider::close);
        closed.get(1, TimeUnit.SECONDS);
        assertThat(lease.isHeld()).isFalse();
    }

    @Test
    void anotherLeaseKeepsBeingRenewedWhileOneRenewalHangs() throws Exception {
        provider.hangName = "stuck";
        Lease stuck = provider.acquire(lease("stuck", 600));
        Lease other = provider.acquire(lease("other", 600));
        assertThat(provider.renewalHanging.await(10, TimeUnit.SECONDS)).isTrue();
        int before = provider.renewals.get("other") == null ? 0 : provider.renewals.get("other").get();
        Thread.sleep(1500); // well past both leases' deadlines without renewal
        assertThat(other.isHeld()).as("the other lease was renewed meanwhile").isTrue();
        assertThat(provider.renewals.get("other").get() - before).isGreaterThanOrEqualTo(3);
        assertThat(stuck.isHeld()).isFalse();
        assertThat(provider.renewalsReturned).hasValue(0);
    }

    @Test
    void aStalledLeaderLosesLeadershipBeforeAnotherNodeGainsIt() throws Exception {
        // the backend keeps a lease 200 ms past its lease time, so that the order of the listeners' calls
        // (threads woken on a loaded machine) does not depend on the 8 ms safety margin alone
        SharedStore backend = new SharedStore(Duration.ofMillis(200));
        StallingProvider nodeA = new StallingProvider(backend);
        StallingProvider nodeB = new StallingProvider(backend);
        toClose.add(nodeA);
        toClose.add(nodeB);
        List<String> events = new CopyOnWriteArrayList<>();
        LeaderElection a = election(nodeA, "leader", "A", events);
        await("A leads", () -> events.contains("A gained"));
        LeaderElection b = election(nodeB, "leader", "B", events);
        nodeA.hangName = "leader"; // A's next renewal stalls before it reaches the backend
        await("B leads", () -> events.contains("B gained"));
        assertThat(nodeA.renewalsReturned).as("A's renewal still hangs").hasValue(0);
        nodeA.gate.countDown();
        await("A lost", () -> events.contains("A lost"));
        b.close();
        a.close();
        assertThat(events.indexOf("A lost")).as("leadership of A and B overlapped: " + events)
                .isLessThan(events.indexOf("B gained"));
    }

    private LeaderElection election(LockProvider provider, String name, String node, List<String> events) {
        LeaderElection e = LeaderElection.builder(provider, name)
                .leaseTime(Duration.ofMillis(600))
                .retryInterval(Duration.ofMillis(50))
                .listener(new LeaderElection.Listener() {
                    @Override
                    public void leadershipGained(Lease lease) {
                        events.add(node + " gained");
                    }

                    @Override
                    public void leadershipLost(@Nullable LockLostException cause) {
                        events.add(node + " lost");
                    }
                })
                .build();
        toClose.add(e);
        return e.start();
    }
}
