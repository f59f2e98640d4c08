package dev.holdfast.lock.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.holdfast.lock.Guard;
import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockInfo;
import dev.holdfast.lock.LockInspector;
import dev.holdfast.lock.LockInterruptedException;
import dev.holdfast.lock.LockLostException;
import dev.holdfast.lock.LockNotAcquiredException;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockProviderClosedException;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.LossReason;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;

/**
 * The contract every {@link LockProvider} keeps (as the javadoc of {@link LockProvider} and {@link Lease} states
 * it; docs/ARCHITECTURE.md shows where each part lives), as JUnit 5 tests. A
 * backend's test extends this class and supplies {@link #createProvider()} and {@link #faults()}:
 *
 * <pre>{@code
 * class RedisLockProviderContractTest extends LockProviderContract {
 *     @Override protected LockProvider createProvider() { return RedisLockProvider.builder(redisson).build(); }
 *     @Override protected Faults faults() { return new RedisFaults(...); }
 * }
 * }</pre>
 *
 * Each call of {@link #createProvider()} must return a new, independent client of the same backend, as
 * another process would have; the kit closes every provider it created after each test. Lock names are
 * unique per test, and tokens are only compared, never expected to have a given value.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class LockProviderContract {

    /** Upper bound for anything the contract waits for. */
    protected static final Duration PATIENCE = Duration.ofSeconds(15);

    private final List<LockProvider> providers = new CopyOnWriteArrayList<>();
    private final List<ExecutorService> executors = new CopyOnWriteArrayList<>();
    private String testName = "test";

    /** A new client of the backend under test, as another process would have. */
    protected abstract LockProvider createProvider();

    /** This backend's fault hooks. */
    protected abstract Faults faults();

    /**
     * A new client of the backend under test built with {@code tokensAbove(floor)} on its builder (see
     * {@code AbstractProviderBuilder#tokensAbove}). Every fixture overrides this: the offset must not break the
     * owner checks a backend makes with its own tokens (renew, release, inspect).
     */
    protected LockProvider createProvider(long tokensAbove) {
        throw new UnsupportedOperationException(getClass().getSimpleName()
                + " must override createProvider(long tokensAbove) so the contract can check tokensAbove");
    }

    /**
     * The lease time used by cases that wait for expiry or renewal. Long enough to be several backend round
     * trips on a busy machine, short enough to keep the kit fast. Override for slower backends.
     */
    protected Duration shortLease() {
        return Duration.ofMillis(700);
    }

    @BeforeEach
    void rememberName(TestInfo info) {
        testName = info.getTestMethod().map(m -> m.getName()).orElse("test");
    }

    @AfterEach
    void closeEverything() {
        executors.forEach(ExecutorService::shutdownNow);
        for (LockProvider p : providers) {
            try {
                p.close();
            } catch (RuntimeException e) {
                // a broken provider may fail to close; the test has already said what matters
            }
        }
        providers.clear();
        executors.clear();
    }

    /** A new client, closed after the test. */
    protected final LockProvider client() {
        LockProvider p = createProvider();
        providers.add(p);
        return p;
    }

    /** A lock name unique to this test run. */
    protected final String uniqueName() {
        return "hf-" + testName + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private ExecutorService pool(int threads) {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        executors.add(pool);
        return pool;
    }

    private static LockRequest tryOnce(String name) {
        return LockRequest.named(name).leaseTime(Duration.ofSeconds(30)).build();
    }

    private LockRequest expiring(String name) {
        return LockRequest.named(name).leaseTime(shortLease()).autoRenew(false).build();
    }

    private static Lease grant(LockProvider provider, LockRequest request) {
        Optional<Lease> lease = provider.tryAcquire(request);
        assertThat(lease).as("lease on free lock '%s'", request.name()).isPresent();
        return lease.get();
    }

    /** Whether {@code provider} could take {@code name} right now (released again at once). */
    private static boolean takeAndRelease(LockProvider provider, String name) {
        Optional<Lease> l = provider.tryAcquire(tryOnce(name));
        l.ifPresent(Lease::release);
        return l.isPresent();
    }

    private static void assertBusy(LockProvider provider, String name) {
        assertThat(takeAndRelease(provider, name)).as("tryAcquire of held lock '%s' must be empty", name).isFalse();
    }

    // ------------------------------------------------------------------ exclusion

    @Test
    void shouldGrantFreeLockWithItsDetails() {
        String name = uniqueName();
        Instant before = Instant.now().minusSeconds(5);
        try (Lease lease = grant(client(), tryOnce(name))) {
            assertThat(lease.name()).isEqualTo(name);
            assertThat(lease.isHeld()).isTrue();
            assertThat(lease.ownerId()).isNotBlank();
            assertThat(lease.leaseTime()).isEqualTo(Duration.ofSeconds(30));
            assertThat(lease.acquiredAt()).isAfter(before).isBefore(Instant.now().plusSeconds(5));
            lease.checkHeld();
        }
    }

    @Test
    void shouldReportBusyWhileAnotherClientHoldsTheLock() {
        String name = uniqueName();
        LockProvider a = client();
        LockProvider b = client();
        try (Lease lease = grant(a, tryOnce(name))) {
            assertBusy(b, name);
            assertThat(lease.isHeld()).isTrue();
        }
    }

    @Test
    void shouldReportBusyForSecondRequestFromTheSameProvider() {
        String name = uniqueName();
        LockProvider a = client();
        try (Lease lease = grant(a, tryOnce(name))) {
            assertBusy(a, name);
            assertThat(lease.isHeld()).isTrue();
        }
    }

    @Test
    void shouldGrantToAnotherClientAfterRelease() {
        String name = uniqueName();
        LockProvider a = client();
        LockProvider b = client();
        Lease first = grant(a, tryOnce(name));
        assertThat(first.release()).isTrue();
        try (Lease second = grant(b, tryOnce(name))) {
            assertThat(second.isHeld()).isTrue();
        }
    }

    @Test
    void shouldThrowNotAcquiredFromAcquireWhenBusy() {
        String name = uniqueName();
        LockProvider a = client();
        LockProvider b = client();
        try (Lease ignored = grant(a, tryOnce(name))) {
            LockRequest request = LockRequest.named(name).waitTime(Duration.ofMillis(100)).build();
            assertThatThrownBy(() -> b.acquire(request))
                    .isInstanceOf(LockNotAcquiredException.class)
                    .hasMessageContaining(name)
                    .satisfies(e -> assertThat(((LockNotAcquiredException) e).lockName()).isEqualTo(name));
        }
    }

    @Test
    void shouldNotLetDistinctNamesContend() {
        LockProvider a = client();
        LockProvider b = client();
        String base = uniqueName();
        try (Lease one = grant(a, tryOnce(base + "-1"));
             Lease two = grant(b, tryOnce(base + "-2"));
             Lease three = grant(a, tryOnce(base + "-3"))) {
            assertThat(List.of(one, two, three)).allMatch(Lease::isHeld);
        }
    }

    @Test
    void shouldHoldManyLocksFromOneProviderAtOnce() {
        LockProvider a = client();
        LockProvider b = client();
        String base = uniqueName();
        List<Lease> leases = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            leases.add(grant(a, tryOnce(base + "-" + i)));
        }
        assertBusy(b, base + "-0");
        assertBusy(b, base + "-199");
        assertThat(leases).allMatch(Lease::isHeld);
        leases.forEach(l -> assertThat(l.release()).isTrue());
        try (Lease again = grant(b, tryOnce(base + "-100"))) {
            assertThat(again.isHeld()).isTrue();
        }
    }

    // ------------------------------------------------------------------ release and ownership

    @Test
    void shouldTreatReleaseAsIdempotent() {
        String name = uniqueName();
        LockProvider a = client();
        Lease lease = grant(a, tryOnce(name));
        assertThat(lease.release()).isTrue();
        assertThat(lease.release()).isFalse();
        lease.close();
        assertThat(lease.isHeld()).isFalse();
        try (Lease again = grant(client(), tryOnce(name))) {
            assertThat(lease.release()).isFalse();
            assertThat(again.isHeld()).isTrue();
            assertBusy(client(), name);
        }
    }

    @Test
    void shouldReleaseFromAnotherThread() throws Exception {
        String name = uniqueName();
        LockProvider a = client();
        Lease lease = grant(a, tryOnce(name));
        Boolean released = CompletableFuture.supplyAsync(lease::release, pool(1)).get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(released).isTrue();
        try (Lease again = grant(client(), tryOnce(name))) {
            assertThat(again.isHeld()).isTrue();
        }
    }

    @Test
    void shouldExtendFromAnotherThread() throws Exception {
        String name = uniqueName();
        Lease lease = grant(client(), tryOnce(name));
        CompletableFuture.runAsync(() -> lease.extend(Duration.ofSeconds(45)), pool(1))
                .get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(lease.leaseTime()).isEqualTo(Duration.ofSeconds(45));
        assertThat(lease.isHeld()).isTrue();
        assertBusy(client(), name);
        lease.release();
    }

    @Test
    void shouldRejectExtendAfterRelease() {
        Lease lease = grant(client(), tryOnce(uniqueName()));
        lease.release();
        assertThatThrownBy(() -> lease.extend(Duration.ofSeconds(10)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(lease.name());
        assertThatThrownBy(lease::checkHeld).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void shouldNotLetStaleLeaseReleaseTheNextHoldersLock() {
        String name = uniqueName();
        Lease stale = grant(client(), tryOnce(name));
        AtomicInteger lost = new AtomicInteger();
        stale.onLost(e -> lost.incrementAndGet());
        faults().expire(name);
        Lease next = Await.value(PATIENCE, "another client gets the expired lock", () -> client().tryAcquire(tryOnce(name)).orElse(null));
        if (!stale.release()) {
            // the backend told the stale lease it no longer owned the lock: that is a loss, reported once
            Await.until(PATIENCE, "the stale lease is reported lost", () -> lost.get() == 1);
            assertThat(stale.isHeld()).isFalse();
        }
        assertThat(next.isHeld()).isTrue();
        assertBusy(client(), name);
        assertThat(next.release()).isTrue();
    }

    @Test
    void shouldRefuseExtendByStaleLeaseAndReportItLost() {
        String name = uniqueName();
        Lease stale = grant(client(), tryOnce(name));
        AtomicInteger lost = new AtomicInteger();
        stale.onLost(e -> lost.incrementAndGet());
        faults().expire(name);
        Lease next = Await.value(PATIENCE, "another client gets the expired lock", () -> client().tryAcquire(tryOnce(name)).orElse(null));
        Throwable thrown = catchThrowable(() -> stale.extend(Duration.ofSeconds(30)));
        assertThat(thrown).isInstanceOf(LockLostException.class).hasMessageContaining(name);
        assertThat(((LockLostException) thrown).reason()).isIn(LossReason.REFUSED, LossReason.CONNECTION_LOST);
        assertThat(stale.isHeld()).isFalse();
        Await.until(PATIENCE, "the loss listener ran", () -> lost.get() == 1);
        Await.sleep(Duration.ofMillis(50));
        assertThat(lost).hasValue(1);
        assertThat(next.isHeld()).isTrue();
        assertBusy(client(), name);
        next.release();
    }

    // ------------------------------------------------------------------ fencing tokens

    @Test
    void tokensIncreaseAcrossGrantsAndClients() {
        String name = uniqueName();
        List<LockProvider> clients = List.of(client(), client(), client());
        long last = Long.MIN_VALUE;
        for (int i = 0; i < 12; i++) {
            Lease lease = grant(clients.get(i % 3), tryOnce(name));
            assertThat(lease.token()).as("grant %d", i).isGreaterThan(last);
            last = lease.token();
            lease.release();
        }
    }

    @Test
    void tokensIncreaseAfterExpiry() {
        String name = uniqueName();
        Lease first = grant(client(), expiring(name));
        Lease second = Await.value(PATIENCE, "the lock expires and is granted again",
                () -> client().tryAcquire(tryOnce(name)).orElse(null));
        assertThat(second.token()).isGreaterThan(first.token());
        assertThat(first.isHeld()).isFalse();
        second.release();
    }

    @Test
    void tokensAreIndependentOfOtherNamesButAlwaysIncreasePerName() {
        String base = uniqueName();
        LockProvider a = client();
        long[] last = new long[3];
        java.util.Arrays.fill(last, Long.MIN_VALUE);
        for (int i = 0; i < 15; i++) {
            int n = ThreadLocalRandom.current().nextInt(3);
            Lease lease = grant(a, tryOnce(base + "-" + n));
            assertThat(lease.token()).isGreaterThan(last[n]);
            last[n] = lease.token();
            lease.release();
        }
    }

    // ------------------------------------------------------------------ expiry, renewal, loss

    @Test
    void shouldExpireOnTheBackendWhenNotRenewed() {
        String name = uniqueName();
        Lease lease = grant(client(), expiring(name));
        LockProvider other = client();
        Duration took = Await.until(PATIENCE, "another client gets the lock after its lease time", () -> takeAndRelease(other, name));
        assertThat(lease.isHeld()).isFalse();
        assertThat(took).isLessThan(shortLease().multipliedBy(8).plusSeconds(2));
    }

    @Test
    void shouldStopBelievingItHoldsBeforeTheBackendFreesTheLock() {
        String name = uniqueName();
        Lease lease = grant(client(), expiring(name));
        LockProvider other = client();
        AtomicBoolean overlap = new AtomicBoolean();
        Await.until(PATIENCE, "another client gets the lock", () -> {
            Optional<Lease> l = other.tryAcquire(tryOnce(name));
            if (l.isPresent() && lease.isHeld()) {
                overlap.set(true); // read after the grant: the old lease's deadline must have passed by then
            }
            l.ifPresent(Lease::release);
            return l.isPresent();
        });
        assertThat(overlap).as("the old lease still believed itself held when the backend granted the lock again").isFalse();
    }

    @Test
    void shouldKeepLockWhileRenewing() {
        String name = uniqueName();
        LockRequest request = LockRequest.named(name).leaseTime(shortLease()).build();
        Lease lease = grant(client(), request);
        AtomicInteger lost = new AtomicInteger();
        lease.onLost(e -> lost.incrementAndGet());
        LockProvider other = client();
        long until = System.nanoTime() + shortLease().multipliedBy(4).toNanos();
        while (System.nanoTime() < until) {
            assertBusy(other, name);
            assertThat(lease.isHeld()).isTrue();
            Await.sleep(shortLease().dividedBy(5));
        }
        assertThat(lost).hasValue(0);
        assertThat(lease.release()).isTrue();
    }

    @Test
    void shouldReportLossExactlyOnceWithTheReason() {
        String name = uniqueName();
        Lease lease = grant(client(), expiring(name));
        AtomicInteger before = new AtomicInteger();
        AtomicReference<LockLostException> cause = new AtomicReference<>();
        lease.onLost(e -> {
            before.incrementAndGet();
            cause.set(e);
        });
        Await.until(PATIENCE, "the lease is reported lost", () -> before.get() > 0);
        for (int i = 0; i < 5; i++) {
            assertThat(lease.isHeld()).isFalse();
            assertThatThrownBy(lease::checkHeld).isInstanceOf(LockLostException.class);
        }
        AtomicInteger after = new AtomicInteger();
        lease.onLost(e -> after.incrementAndGet());
        Await.sleep(Duration.ofMillis(100));
        assertThat(before).hasValue(1);
        assertThat(after).as("listener added after the loss runs at once, once").hasValue(1);
        assertThat(cause.get().reason()).isEqualTo(LossReason.EXPIRED);
        assertThat(cause.get().lockName()).isEqualTo(name);
        assertThat(lease.release()).isFalse();
    }

    @Test
    void shouldNotRunLossListenersAfterNormalRelease() {
        Lease lease = grant(client(), expiring(uniqueName()));
        AtomicInteger lost = new AtomicInteger();
        lease.onLost(e -> lost.incrementAndGet());
        lease.release();
        Await.sleep(shortLease().multipliedBy(2));
        lease.onLost(e -> lost.incrementAndGet());
        assertThat(lost).hasValue(0);
    }

    @Test
    void shouldMarkLeaseLostWhenRenewalIsRefused() {
        String name = uniqueName();
        Lease lease = grant(client(), LockRequest.named(name).leaseTime(shortLease()).build());
        AtomicReference<LockLostException> cause = new AtomicReference<>();
        lease.onLost(cause::set);
        faults().expire(name);
        Lease next = Await.value(PATIENCE, "another client gets the expired lock", () -> client().tryAcquire(tryOnce(name)).orElse(null));
        Await.until(PATIENCE, "the old holder learns from a refused renewal", () -> cause.get() != null);
        assertThat(cause.get().reason()).isIn(LossReason.REFUSED, LossReason.CONNECTION_LOST);
        assertThat(lease.isHeld()).isFalse();
        assertThat(next.isHeld()).isTrue();
        assertThat(next.token()).isGreaterThan(lease.token());
        next.release();
    }

    // ------------------------------------------------------------------ waiting

    @Test
    void waitingAcquireIsWokenPromptlyByRelease() throws Exception {
        String name = uniqueName();
        Lease held = grant(client(), tryOnce(name));
        LockProvider waiter = client();
        CountDownLatch started = new CountDownLatch(1);
        Future<Long> gotAt = pool(1).submit(() -> {
            started.countDown();
            try (Lease l = waiter.acquire(LockRequest.named(name).waitTime(PATIENCE).build())) {
                return System.nanoTime();
            }
        });
        started.await();
        Await.sleep(Duration.ofMillis(300)); // let the waiter start waiting
        long releasedAt = System.nanoTime();
        held.release();
        long handOff = gotAt.get(PATIENCE.toSeconds(), TimeUnit.SECONDS) - releasedAt;
        assertThat(Duration.ofNanos(handOff)).as("hand-off after release").isLessThan(Duration.ofMillis(1500));
    }

    @Test
    void waitingAcquireGetsTheLockWhenTheHolderExpires() {
        String name = uniqueName();
        Lease held = grant(client(), expiring(name));
        try (Lease l = client().acquire(LockRequest.named(name).waitTime(PATIENCE).build())) {
            assertThat(l.token()).isGreaterThan(held.token());
            assertThat(held.isHeld()).isFalse();
        }
    }

    @Test
    void waitingAcquireGivesUpAfterItsWaitTime() {
        String name = uniqueName();
        try (Lease ignored = grant(client(), tryOnce(name))) {
            LockProvider waiter = client();
            long start = System.nanoTime();
            Optional<Lease> l = waiter.tryAcquire(LockRequest.named(name).waitTime(Duration.ofMillis(400)).build());
            Duration waited = Duration.ofNanos(System.nanoTime() - start);
            assertThat(l).isEmpty();
            assertThat(waited).isGreaterThanOrEqualTo(Duration.ofMillis(380)).isLessThan(Duration.ofSeconds(5));
        }
    }

    @Test
    void waitersOfOneProviderTakeTurns() throws Exception {
        String name = uniqueName();
        LockProvider shared = client();
        int threads = 4;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        ExecutorService pool = pool(threads);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            futures.add(pool.submit(() -> {
                for (int i = 0; i < 5; i++) {
                    try (Lease l = shared.acquire(LockRequest.named(name).waitTime(PATIENCE).build())) {
                        maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                        Await.sleep(Duration.ofMillis(2));
                        inside.decrementAndGet();
                        done.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get(PATIENCE.toSeconds() * 2, TimeUnit.SECONDS);
        }
        assertThat(maxInside).hasValue(1);
        assertThat(done).hasValue(threads * 5);
    }

    @Test
    void interruptWhileWaitingRestoresTheFlagAndGrantsNothing() throws Exception {
        String name = uniqueName();
        try (Lease held = grant(client(), tryOnce(name))) {
            LockProvider waiter = client();
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            AtomicBoolean flag = new AtomicBoolean();
            Thread t = new Thread(() -> {
                try {
                    waiter.acquire(LockRequest.named(name).waitTime(PATIENCE).build());
                } catch (Throwable e) {
                    thrown.set(e);
                    flag.set(Thread.currentThread().isInterrupted());
                }
            });
            t.start();
            Await.sleep(Duration.ofMillis(300));
            t.interrupt();
            t.join(PATIENCE.toMillis());
            assertThat(t.isAlive()).isFalse();
            assertThat(thrown.get()).isInstanceOf(LockInterruptedException.class);
            assertThat(flag).isTrue();
            assertThat(held.isHeld()).isTrue();
        }
        try (Lease again = grant(client(), tryOnce(name))) {
            assertThat(again.isHeld()).isTrue();
        }
    }

    // ------------------------------------------------------------------ acquire never returns an unheld lease

    @Test
    void acquireNeverReturnsAnUnheldLeaseEvenAfterQueueingLongerThanTheLease() throws Exception {
        String name = uniqueName();
        Lease holder = grant(client(), LockRequest.named(name).leaseTime(shortLease()).build());
        LockProvider waiter = client();
        LockRequest request = LockRequest.named(name).leaseTime(shortLease()).waitTime(PATIENCE).build();
        AtomicReference<Boolean> heldAtReturn = new AtomicReference<>();
        Future<Lease> granted = pool(1).submit(() -> {
            Lease l = waiter.acquire(request);
            heldAtReturn.set(l.isHeld());
            return l;
        });
        Await.sleep(shortLease().multipliedBy(2)); // the waiter queues for two of its lease times
        assertThat(holder.release()).isTrue();
        Lease lease = granted.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        assertThat(heldAtReturn.get()).as("acquire returned a lease that is not held").isTrue();
        AtomicInteger lost = new AtomicInteger();
        lease.onLost(e -> lost.incrementAndGet());
        LockProvider other = client();
        long until = System.nanoTime() + shortLease().multipliedBy(2).toNanos();
        while (System.nanoTime() < until) {
            assertThat(lease.isHeld()).as("the lease granted after a long wait stays held (renewed)").isTrue();
            assertBusy(other, name);
            Await.sleep(shortLease().dividedBy(5));
        }
        assertThat(lost).as("onLost calls").hasValue(0);
        assertThat(lease.token()).isGreaterThan(holder.token());
        assertThat(lease.release()).isTrue();
    }

    // ------------------------------------------------------------------ interrupts and unknown outcomes

    /** The name is free: another client takes it within {@code within} (an orphan would hold it 30 s). */
    private void assertFreeSoon(String name, Duration within) {
        LockProvider other = client();
        Await.until(within, "another client can take '" + name + "' (no lock left behind)",
                () -> retrying(() -> takeAndRelease(other, name) ? Boolean.TRUE : null) != null);
        if (other instanceof LockInspector inspector) {
            AtomicReference<Object> seen = new AtomicReference<>();
            try {
                Await.until(within, "inspect shows '" + name + "' free", () -> {
                    try {
                        Optional<LockInfo> info = inspector.inspect(name);
                        seen.set(info);
                        return info.isEmpty();
                    } catch (LockBackendException e) {
                        seen.set(e);
                        return false;
                    }
                });
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "; last inspect: " + seen.get(), e);
            }
        }
    }

    @Test
    void interruptedAcquireLeavesNoLockBehind() throws Exception {
        String name = uniqueName();
        Lease held = grant(client(), tryOnce(name));
        LockProvider waiter = client();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        AtomicReference<Lease> leaked = new AtomicReference<>();
        AtomicBoolean flag = new AtomicBoolean();
        Thread t = new Thread(() -> {
            try {
                leaked.set(waiter.acquire(LockRequest.named(name).leaseTime(Duration.ofSeconds(30)).waitTime(PATIENCE).build()));
            } catch (Throwable e) {
                thrown.set(e);
                flag.set(Thread.currentThread().isInterrupted());
            }
        });
        t.start();
        Await.sleep(Duration.ofMillis(300));
        t.interrupt();
        t.join(PATIENCE.toMillis());
        assertThat(t.isAlive()).isFalse();
        assertThat(leaked.get()).as("no lease for an interrupted acquire").isNull();
        assertThat(thrown.get()).isInstanceOf(LockInterruptedException.class);
        assertThat(flag).as("interrupt flag restored").isTrue();
        assertThat(held.release()).isTrue();
        assertFreeSoon(name, Duration.ofSeconds(2));
        try (Lease again = grant(waiter, tryOnce(name))) {
            assertThat(again.isHeld()).as("the interrupted provider can take the name again").isTrue();
        }
    }

    @Test
    void interruptsAtRandomMomentsNeverLeaveTheNameHeld() throws Exception {
        String name = uniqueName();
        LockProvider worker = client();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger grants = new AtomicInteger();
        AtomicInteger busy = new AtomicInteger();
        AtomicInteger interrupted = new AtomicInteger();
        List<Throwable> unexpected = new CopyOnWriteArrayList<>();
        Thread t = new Thread(() -> {
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            while (!stop.get()) {
                LockRequest request = LockRequest.named(name).leaseTime(Duration.ofSeconds(30))
                        .waitTime(rnd.nextBoolean() ? Duration.ZERO : Duration.ofMillis(100)).build();
                try {
                    Optional<Lease> lease = worker.tryAcquire(request);
                    if (lease.isPresent()) {
                        grants.incrementAndGet();
                        if (!lease.get().release()) {
                            unexpected.add(new AssertionError("release of an uncontended lease returned false"));
                        }
                    } else {
                        busy.incrementAndGet(); // nobody else uses the name: only a lock left behind (or its clean-up) makes it busy
                    }
                } catch (LockInterruptedException e) {
                    interrupted.incrementAndGet();
                } catch (Throwable e) {
                    unexpected.add(e);
                }
                Thread.interrupted();
            }
        });
        t.start();
        long end = System.nanoTime() + Duration.ofMillis(1500).toNanos();
        long latest = end + Duration.ofSeconds(5).toNanos(); // a slow backend: go on until a few grants happened
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        while (System.nanoTime() < end || (grants.get() < 5 && System.nanoTime() < latest)) {
            Await.sleep(Duration.ofNanos(rnd.nextLong(100_000, 5_000_000)));
            t.interrupt();
        }
        stop.set(true);
        t.join(PATIENCE.toMillis());
        assertThat(t.isAlive()).isFalse();
        assertThat(unexpected).as("interrupts surface as LockInterruptedException, nothing else").isEmpty();
        assertFreeSoon(name, Duration.ofSeconds(2));
        assertThat(grants.get()).as("grants between interrupts (%d busy answers, %d interrupted)", busy.get(),
                interrupted.get()).isPositive();
        try (Lease again = grant(worker, tryOnce(name))) {
            assertThat(again.isHeld()).isTrue();
        }
    }

    @Test
    void aWaitThatEndsAtTheMomentOfAGrantLeavesNoLockBehind() throws Exception {
        String name = uniqueName();
        LockProvider holderClient = client();
        LockProvider waiter = client();
        Duration wait = Duration.ofMillis(150);
        for (int round = 0; round < 8; round++) {
            Lease held = grant(holderClient, tryOnce(name));
            long releaseAfterMillis = wait.toMillis() - 20 + round * 6L; // straddles the waiter's deadline
            Future<Optional<Lease>> attempt = pool(1).submit(() ->
                    waiter.tryAcquire(LockRequest.named(name).leaseTime(Duration.ofSeconds(30)).waitTime(wait).build()));
            Await.sleep(Duration.ofMillis(releaseAfterMillis));
            assertThat(held.release()).isTrue();
            Optional<Lease> got = attempt.get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            if (got.isPresent()) {
                assertThat(got.get().isHeld()).as("round %d: returned lease is held", round).isTrue();
                assertThat(got.get().release()).isTrue();
            }
            assertFreeSoon(name, Duration.ofSeconds(2));
        }
    }

    @Test
    void anAcquireWhoseReplyIsLostLeavesNoLockBehind() {
        String name = uniqueName();
        LockProvider a = client();
        Faults faults = faults();
        Optional<BooleanSupplier> lost = faults.loseNextAcquireReply(a);
        if (lost.isEmpty()) {
            return; // an in-process backend: there is no reply to lose (see Faults#loseNextAcquireReply)
        }
        Optional<Lease> got;
        try {
            got = a.tryAcquire(LockRequest.named(name).leaseTime(Duration.ofSeconds(30)).build());
        } catch (LockBackendException | LockInterruptedException e) {
            got = Optional.empty();
        }
        assertThat(lost.get().getAsBoolean())
                .as("%s (faults %s): loseNextAcquireReply did not fire, the acquire's reply was not lost, so this "
                        + "case checked nothing", getClass().getSimpleName(), faults.getClass().getSimpleName())
                .isTrue();
        got.ifPresent(l -> assertThat(l.release()).isTrue());
        assertFreeSoon(name, PATIENCE);
    }

    // ------------------------------------------------------------------ minHold

    @Test
    void minHoldKeepsTheLockAfterAnEarlyRelease() {
        String name = uniqueName();
        Duration minHold = Duration.ofMillis(1200);
        long start = System.nanoTime();
        Lease lease = grant(client(), LockRequest.named(name).leaseTime(Duration.ofSeconds(10)).minHold(minHold).build());
        assertThat(lease.release()).isTrue();
        assertBusy(client(), name);
        LockProvider other = client();
        Await.until(PATIENCE, "the lock frees after minHold", () -> takeAndRelease(other, name));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(minHold.minusMillis(100));
    }

    @Test
    void extendWithMinHoldKeepsTheLockAfterAnEarlyRelease() {
        String name = uniqueName();
        Lease lease = grant(client(), LockRequest.named(name).leaseTime(Duration.ofSeconds(10)).build());
        assertThatThrownBy(() -> lease.extend(Duration.ofSeconds(1), Duration.ofSeconds(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minHold").hasMessageContaining("leaseTime");
        assertThat(lease.leaseTime()).isEqualTo(Duration.ofSeconds(10));
        long extendedAt = System.nanoTime();
        lease.extend(Duration.ofSeconds(10), Duration.ofMillis(1200));
        assertThat(lease.release()).isTrue();
        assertBusy(client(), name);
        LockProvider other = client();
        Await.until(PATIENCE, "the lock frees after the extended minHold", () -> takeAndRelease(other, name));
        assertThat(Duration.ofNanos(System.nanoTime() - extendedAt)).isGreaterThanOrEqualTo(Duration.ofMillis(1100));
    }

    @Test
    void minHoldDoesNotDelayAReleaseAfterItPassed() {
        String name = uniqueName();
        Lease lease = grant(client(), LockRequest.named(name).minHold(Duration.ofMillis(200)).build());
        Await.sleep(Duration.ofMillis(400));
        lease.release();
        try (Lease next = grant(client(), tryOnce(name))) {
            assertThat(next.isHeld()).isTrue();
        }
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void shouldRejectInvalidNamesWithClearMessages() {
        assertThatThrownBy(() -> LockRequest.of("")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty");
        assertThatThrownBy(() -> LockRequest.of("   ")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blank");
        assertThatThrownBy(() -> LockRequest.of("a\nb")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("control");
        assertThatThrownBy(() -> LockRequest.of("a\u0000b")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("control");
        assertThatThrownBy(() -> LockRequest.of("x".repeat(10_000))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most");
        assertThatThrownBy(() -> LockRequest.of("bad\uD800")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("surrogate");
        assertThatThrownBy(() -> LockRequest.of(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("name");
        LockProvider a = client();
        assertThatThrownBy(() -> a.tryAcquire((String) "")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> a.tryAcquire((LockRequest) null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void shouldTreatUnusualNamesAsOrdinaryDistinctLocks() {
        String u = UUID.randomUUID().toString().substring(0, 6);
        List<String> names = List.of(
                "quote'" + u, "double\"" + u, "semi;colon;DROP TABLE x;--" + u, "percent%_" + u, "back\\slash" + u,
                "slash/a/b" + u, "slash%2Fa%2Fb" + u, "." + u, ".." + u, "/" + u, "{brace}" + u, "{" + u, "}" + u,
                "unicode-ünï-錠-🔒" + u, "space " + u, "space  " + u, "CASE" + u, "case" + u,
                "long-" + u + "-" + "x".repeat(LockRequest.MAX_NAME_LENGTH - 12),
                "long-" + u + "-" + "x".repeat(LockRequest.MAX_NAME_LENGTH - 13) + "y");
        LockProvider a = client();
        LockProvider b = client();
        List<Lease> held = new ArrayList<>();
        for (String name : names) {
            held.add(grant(a, tryOnce(name)));
        }
        for (String name : names) {
            assertBusy(b, name);
        }
        for (Lease l : held) {
            assertThat(l.release()).as("release of '%s'", l.name()).isTrue();
        }
        for (String name : names) {
            grant(b, tryOnce(name)).release();
        }
    }

    @Test
    void similarNamesNeverShareALock() {
        String u = UUID.randomUUID().toString().substring(0, 6);
        LockProvider a = client();
        LockProvider b = client();
        try (Lease held = grant(a, tryOnce("name-" + u))) {
            for (String similar : List.of("Name-" + u, "name-" + u + " ", " name-" + u, "name_" + u, "name-" + u + "\u0301",
                    "{name-" + u + "}", "name-" + u + "/", "name%2D" + u)) {
                try (Lease other = grant(b, tryOnce(similar))) {
                    assertThat(other.isHeld()).isTrue();
                }
            }
            assertThat(held.isHeld()).isTrue();
        }
    }

    @Test
    void shouldRejectInvalidDurationsAndLeaveTheLeaseAsItWas() {
        assertThatThrownBy(() -> LockRequest.named("x").leaseTime(Duration.ofSeconds(-1))).hasMessageContaining("leaseTime");
        assertThatThrownBy(() -> LockRequest.named("x").leaseTime(Duration.ZERO)).hasMessageContaining("leaseTime");
        assertThatThrownBy(() -> LockRequest.named("x").waitTime(Duration.ofMillis(-1))).hasMessageContaining("waitTime");
        assertThatThrownBy(() -> LockRequest.named("x").minHold(Duration.ofMillis(-1))).hasMessageContaining("minHold");
        assertThatThrownBy(() -> LockRequest.named("x").leaseTime(Duration.ofDays(400))).hasMessageContaining("leaseTime");
        assertThatThrownBy(() -> LockRequest.named("x").leaseTime(Duration.ofSeconds(1)).minHold(Duration.ofSeconds(2)).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minHold").hasMessageContaining("leaseTime");
        String name = uniqueName();
        Lease lease = grant(client(), tryOnce(name));
        assertThatThrownBy(() -> lease.extend(Duration.ofSeconds(-5))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leaseTime");
        assertThatThrownBy(() -> lease.extend(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> lease.extend(null)).isInstanceOf(NullPointerException.class);
        assertThat(lease.isHeld()).isTrue();
        assertThat(lease.leaseTime()).isEqualTo(Duration.ofSeconds(30));
        assertBusy(client(), name);
        lease.release();
    }

    // ------------------------------------------------------------------ busy is not down

    @Test
    void unreachableBackendIsAnErrorNotBusy() {
        LockProvider down = faults().createUnreachableProvider();
        providers.add(down);
        String name = uniqueName();
        long start = System.nanoTime();
        Throwable thrown = catchThrowable(() -> down.tryAcquire(tryOnce(name)));
        assertThat(thrown).as("tryAcquire against an unreachable backend").isInstanceOf(LockBackendException.class);
        assertThat(((LockBackendException) thrown).lockName()).isEqualTo(name);
        assertThat(thrown.getMessage()).contains(name).contains(((LockBackendException) thrown).backend());
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
        assertThatThrownBy(() -> down.acquire(tryOnce(name))).isInstanceOf(LockBackendException.class);
    }

    // ------------------------------------------------------------------ provider lifecycle

    @Test
    void closingTheProviderGivesUpItsLeasesAndReportsThemLost() {
        String name = uniqueName();
        LockProvider a = createProvider();
        Lease lease = grant(a, tryOnce(name));
        AtomicReference<LockLostException> cause = new AtomicReference<>();
        lease.onLost(cause::set);
        a.close();
        a.close();
        assertThat(lease.isHeld()).isFalse();
        assertThat(cause.get()).isNotNull();
        assertThat(cause.get().reason()).isEqualTo(LossReason.PROVIDER_CLOSED);
        assertThatThrownBy(() -> a.tryAcquire(tryOnce(uniqueName()))).isInstanceOf(LockProviderClosedException.class)
                .hasMessageContaining("closed");
        try (Lease next = Await.value(PATIENCE, "the closed provider's lock is free", () -> client().tryAcquire(tryOnce(name)).orElse(null))) {
            assertThat(next.token()).isGreaterThan(lease.token());
        }
    }

    @Test
    void inspectShowsTheHolderWhenSupported() {
        LockProvider a = client();
        if (!(a instanceof LockInspector inspector)) {
            return; // inspection is optional: nothing to check
        }
        String name = uniqueName();
        assertThat(inspector.inspect(name)).isEmpty();
        try (Lease lease = grant(a, tryOnce(name))) {
            LockInfo info = inspector.inspect(name).orElseThrow();
            assertThat(info.name()).isEqualTo(name);
            assertThat(info.ownerId()).isEqualTo(lease.ownerId());
            assertThat(info.token()).isEqualTo(lease.token());
        }
        Await.until(PATIENCE, "inspect shows the released lock free", () -> inspector.inspect(name).isEmpty());
    }

    @Test
    void tokensAboveRaisesEveryTokenAndKeepsRenewReleaseAndInspectWorking() {
        long floor = 1_000_000_000_000L;
        LockProvider raised = createProvider(floor);
        providers.add(raised);
        String name = uniqueName();
        Lease first = grant(raised, tryOnce(name));
        assertThat(first.token()).as("token of a provider built with tokensAbove(%d)", floor).isGreaterThan(floor);
        if (raised instanceof LockInspector inspector) {
            assertThat(inspector.inspect(name)).as("inspect of '%s'", name)
                    .hasValueSatisfying(info -> assertThat(info.token()).isEqualTo(first.token()));
        }
        first.extend(Duration.ofSeconds(20));
        assertThat(first.isHeld()).as("held after extend").isTrue();
        assertBusy(client(), name);
        assertThat(first.release()).as("release of a lease with a raised token").isTrue();
        LockProvider other = client();
        assertThat(takeAndRelease(other, name)).as("'%s' is free right after the release", name).isTrue();
        try (Lease second = grant(raised, tryOnce(name))) {
            assertThat(second.token()).as("tokens keep increasing").isGreaterThan(first.token());
        }
    }

    // ------------------------------------------------------------------ the guard (seller payout story)

    @Test
    void guardPaysOnceWhenTheJobRunsManyTimesAtOnce() throws Exception {
        String name = uniqueName();
        AtomicBoolean paid = new AtomicBoolean();
        AtomicInteger payments = new AtomicInteger();
        List<LockProvider> nodes = List.of(client(), client(), client());
        int runs = 12;
        ExecutorService pool = pool(runs);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Guard.Outcome<Integer>>> outcomes = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            LockProvider node = nodes.get(i % nodes.size());
            outcomes.add(pool.submit(() -> {
                go.await();
                return Guard.using(node)
                        .lock(LockRequest.named(name).waitTime(PATIENCE).build())
                        .reload(paid::get)
                        .onlyIf(alreadyPaid -> !alreadyPaid)
                        .act((alreadyPaid, lease) -> {
                            int n = payments.incrementAndGet();
                            Await.sleep(Duration.ofMillis(20));
                            paid.set(true);
                            return n;
                        });
            }));
        }
        go.countDown();
        List<Guard.Status> statuses = new ArrayList<>();
        for (Future<Guard.Outcome<Integer>> f : outcomes) {
            statuses.add(f.get(PATIENCE.toSeconds() * 2, TimeUnit.SECONDS).status());
        }
        assertThat(payments).hasValue(1);
        assertThat(Collections.frequency(statuses, Guard.Status.ACTED)).isEqualTo(1);
        assertThat(Collections.frequency(statuses, Guard.Status.SKIPPED)).isEqualTo(runs - 1);
    }

    @Test
    void guardReportsBusyWithoutActing() {
        String name = uniqueName();
        try (Lease ignored = grant(client(), tryOnce(name))) {
            AtomicBoolean ran = new AtomicBoolean();
            Guard.Outcome<Boolean> out = Guard.using(client()).lock(name).act(lease -> ran.getAndSet(true));
            assertThat(out.status()).isEqualTo(Guard.Status.BUSY);
            assertThat(ran).isFalse();
        }
    }

    // ------------------------------------------------------------------ concurrency fuzz

    @Test
    void concurrentClientsNeverOverlapAndTokensIncrease() throws Exception {
        String base = uniqueName();
        int clients = 4;
        int threadsPerClient = 3;
        int names = 3;
        long runFor = Duration.ofSeconds(4).toNanos();
        History history = new History();
        List<LockProvider> nodes = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            nodes.add(client());
        }
        AtomicInteger[] occupants = new AtomicInteger[names];
        for (int i = 0; i < names; i++) {
            occupants[i] = new AtomicInteger();
        }
        AtomicInteger grants = new AtomicInteger();
        AtomicInteger collisions = new AtomicInteger();
        ExecutorService pool = pool(clients * threadsPerClient);
        List<Future<?>> futures = new ArrayList<>();
        long end = System.nanoTime() + runFor;
        for (int c = 0; c < clients; c++) {
            LockProvider node = nodes.get(c);
            for (int t = 0; t < threadsPerClient; t++) {
                futures.add(pool.submit(() -> {
                    ThreadLocalRandom rnd = ThreadLocalRandom.current();
                    while (System.nanoTime() < end) {
                        int n = rnd.nextInt(names);
                        LockRequest req = LockRequest.named(base + "-" + n)
                                .waitTime(Duration.ofMillis(rnd.nextInt(0, 200)))
                                .leaseTime(Duration.ofSeconds(10)).build();
                        Optional<Lease> lease = node.tryAcquire(req);
                        if (lease.isEmpty()) {
                            continue;
                        }
                        History.Recording rec = history.record(lease.get());
                        rec.around(() -> {
                            if (occupants[n].incrementAndGet() != 1) {
                                collisions.incrementAndGet();
                            }
                            if (rnd.nextInt(4) == 0) {
                                Await.sleep(Duration.ofMillis(rnd.nextInt(1, 5)));
                            }
                            occupants[n].decrementAndGet();
                            grants.incrementAndGet();
                            return null;
                        });
                    }
                    return null;
                }));
            }
        }
        for (Future<?> f : futures) {
            f.get(PATIENCE.toSeconds() * 2, TimeUnit.SECONDS);
        }
        assertThat(grants.get()).as("grants made").isGreaterThanOrEqualTo(30);
        assertThat(collisions).as("two holders inside one critical section").hasValue(0);
        history.assertValid();
    }

    // ------------------------------------------------------------------ faults

    @Test
    void cutConnectionNeverLeavesTwoBelievingHoldersForLongAndServiceResumes() {
        String name = uniqueName();
        LockProvider a = client();
        Lease lease = grant(a, LockRequest.named(name).leaseTime(shortLease()).build());
        AtomicReference<LockLostException> lost = new AtomicReference<>();
        lease.onLost(lost::set);
        faults().cutConnections(a);
        Lease next = takeWithin(client(), name, shortLease().multipliedBy(3));
        if (next != null) {
            // the backend freed the lock with the connection: the old lease must learn it promptly
            // listeners run on the thread that detects the loss, possibly a moment after isHeld() turns false
            Await.until(shortLease().plusSeconds(5), "the old holder reports its lease lost",
                    () -> !lease.isHeld() && lost.get() != null);
            assertThat(next.token()).isGreaterThan(lease.token());
            next.release();
        } else {
            // the lease survived the cut on the backend: the holder must still hold it
            assertThat(lease.isHeld()).as("nobody else could take the lock, so the lease must still be held").isTrue();
            assertThat(lease.release()).isTrue();
        }
        try (Lease again = Await.value(PATIENCE, "the provider serves new requests after the cut",
                () -> retrying(() -> a.tryAcquire(tryOnce(name + "-after")).orElse(null)))) {
            assertThat(again.isHeld()).isTrue();
        }
    }

    @Test
    void backendRestartReportsLossOrKeepsTheLeaseAndServiceResumes() {
        String name = uniqueName();
        LockProvider a = client();
        Lease lease = grant(a, LockRequest.named(name).leaseTime(shortLease()).build());
        AtomicReference<LockLostException> lost = new AtomicReference<>();
        lease.onLost(lost::set);
        faults().restartBackend();
        LockProvider b = client();
        Lease next = takeWithin(b, name, shortLease().multipliedBy(3).plusSeconds(2));
        if (next != null) {
            // the restart dropped the lock: the old holder must learn it, and tokens must not go backwards
            // listeners run on the thread that detects the loss, possibly a moment after isHeld() turns false
            Await.until(shortLease().plusSeconds(5), "the old holder reports its lease lost",
                    () -> !lease.isHeld() && lost.get() != null);
            assertThat(next.token()).as("tokens keep increasing across a restart").isGreaterThan(lease.token());
            next.release();
        } else {
            // durable lock state: the lease survived the restart and its renewals must still work
            assertThat(lease.isHeld()).as("nobody else could take the lock, so the lease must still be held").isTrue();
            assertThat(lost.get()).isNull();
            assertThat(lease.release()).isTrue();
        }
        try (Lease again = Await.value(PATIENCE, "the first provider serves new requests after the restart",
                () -> retrying(() -> a.tryAcquire(tryOnce(name + "-after")).orElse(null)))) {
            assertThat(again.isHeld()).isTrue();
        }
    }

    /** Tries to take {@code name} until {@code within} passes (tolerating reconnects); null if it stayed busy. */
    private static Lease takeWithin(LockProvider provider, String name, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            Lease l = retrying(() -> provider.tryAcquire(tryOnce(name)).orElse(null));
            if (l != null) {
                return l;
            }
            Await.sleep(Duration.ofMillis(20));
        }
        return null;
    }

    private static <T> T retrying(java.util.function.Supplier<T> attempt) {
        try {
            return attempt.get();
        } catch (LockBackendException e) {
            return null; // still reconnecting
        }
    }
}
