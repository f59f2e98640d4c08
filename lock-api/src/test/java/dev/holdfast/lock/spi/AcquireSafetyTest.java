package dev.holdfast.lock.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockInterruptedException;
import dev.holdfast.lock.LockRequest;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the shared acquire flow guarantees whatever the backend does: no unheld lease is ever returned, a
 * late grant is renewed in time, interrupts surface as {@link LockInterruptedException}, a release works
 * from an interrupted thread, and a closed provider says so with a public exception type.
 */
class AcquireSafetyTest {

    /** A backend whose grants, failures and interrupt sensitivity the test sets. */
    static final class LateProvider extends AbstractLockProvider {
        /** How long before the call the backend pretends the grant's request started (per grant, in order). */
        final List<Duration> grantAges = new CopyOnWriteArrayList<>();
        final AtomicInteger grants = new AtomicInteger();
        final AtomicInteger renewals = new AtomicInteger();
        final List<Long> released = new CopyOnWriteArrayList<>();
        final AtomicReference<Supplier<RuntimeException>> acquireFailure = new AtomicReference<>();
        final AtomicBoolean failWhenInterrupted = new AtomicBoolean();
        private final AtomicLong tokens = new AtomicLong();

        LateProvider() {
            super(new Builder().runtime("late"), new Backoff(Duration.ofMillis(1), Duration.ofMillis(10)));
        }

        @Override
        protected Optional<? extends AbstractLease> tryAcquireOnBackend(LockRequest request, long deadlineNanos) {
            Supplier<RuntimeException> failure = acquireFailure.get();
            if (failure != null) {
                throw failure.get();
            }
            int n = grants.getAndIncrement();
            Duration age = n < grantAges.size() ? grantAges.get(n) : Duration.ZERO;
            long start = runtime.ticker().nanoTime() - age.toNanos();
            long token = tokens.incrementAndGet();
            return Optional.of(new AbstractLease(runtime, request, token, runtime.newOwnerId(), start) {
                @Override
                protected boolean renewOnBackend(Duration leaseTime) {
                    renewals.incrementAndGet();
                    return true;
                }

                @Override
                protected void releaseOnBackend(Duration keepFor) {
                    if (failWhenInterrupted.get() && Thread.currentThread().isInterrupted()) {
                        throw new IllegalStateException("driver refuses to run on an interrupted thread");
                    }
                    released.add(token());
                }
            });
        }

        static final class Builder extends AbstractProviderBuilder<Builder> {
        }
    }

    private final LateProvider provider = new LateProvider();

    @AfterEach
    void close() {
        Thread.interrupted();
        provider.close();
    }

    private static LockRequest request(long leaseMillis, long waitMillis) {
        return LockRequest.named("late").leaseTime(Duration.ofMillis(leaseMillis)).waitTime(Duration.ofMillis(waitMillis)).build();
    }

    @Test
    void aGrantThatArrivesAfterItsDeadlineIsReleasedAndRetriedNeverReturned() throws Exception {
        provider.grantAges.add(Duration.ofMillis(1500)); // queued longer than the lease
        Optional<Lease> lease = provider.tryAcquire(request(1000, 2000));
        assertThat(lease).isPresent();
        assertThat(lease.get().isHeld()).as("acquire returned a lease that is not held").isTrue();
        assertThat(provider.released).as("the expired grant was given back").containsExactly(1L);
        assertThat(lease.get().token()).isEqualTo(2L);
        lease.get().release();
    }

    @Test
    void aTryOnceWhoseGrantArrivesExpiredReportsBusy() {
        provider.grantAges.add(Duration.ofMillis(1500));
        Optional<Lease> lease = provider.tryAcquire(request(1000, 0));
        assertThat(lease).as("an unheld lease must not be returned").isEmpty();
        assertThat(provider.released).containsExactly(1L);
        // the name is not left claimed in this process
        provider.grantAges.clear();
        assertThat(provider.tryAcquire(request(1000, 0))).isPresent();
    }

    @Test
    void aGrantWithLittleTimeLeftIsRenewedBeforeItsDeadline() throws Exception {
        provider.grantAges.add(Duration.ofMillis(700)); // 30% of the lease left: a renewal at lease/3 would be too late
        AtomicInteger lost = new AtomicInteger();
        Lease lease = provider.tryAcquire(request(1000, 0)).orElseThrow();
        lease.onLost(e -> lost.incrementAndGet());
        assertThat(lease.isHeld()).isTrue();
        long until = System.nanoTime() + Duration.ofMillis(2500).toNanos();
        while (System.nanoTime() < until) {
            assertThat(lease.isHeld()).as("held %d renewals in", provider.renewals.get()).isTrue();
            Thread.sleep(20);
        }
        assertThat(lost).hasValue(0);
        lease.release();
    }

    @Test
    void aBackendFailureCausedByAnInterruptIsAnInterruptNotABackendFailure() {
        provider.acquireFailure.set(() -> new IllegalStateException("redis call aborted",
                new InterruptedException("sleep interrupted")));
        Throwable thrown = catchThrowable(() -> provider.tryAcquire(request(1000, 0)));
        assertThat(thrown).isInstanceOf(LockInterruptedException.class).hasMessageContaining("late");
        assertThat(Thread.interrupted()).as("interrupt flag restored").isTrue();
    }

    @Test
    void aBackendFailureWhileTheFlagIsSetIsAnInterrupt() {
        provider.acquireFailure.set(() -> {
            Thread.currentThread().interrupt(); // the driver saw the interrupt and gave up with its own exception
            return new IllegalStateException("channel closed by interrupt");
        });
        Throwable thrown = catchThrowable(() -> provider.tryAcquire(request(1000, 0)));
        assertThat(thrown).isInstanceOf(LockInterruptedException.class);
        assertThat(Thread.interrupted()).isTrue();
    }

    @Test
    void releaseWorksFromAnInterruptedThreadAndKeepsTheFlag() {
        provider.failWhenInterrupted.set(true);
        Lease lease = provider.tryAcquire(request(10_000, 0)).orElseThrow();
        Thread.currentThread().interrupt();
        boolean released;
        try {
            released = lease.release();
        } finally {
            assertThat(Thread.interrupted()).as("interrupt flag kept").isTrue();
        }
        assertThat(released).isTrue();
        assertThat(provider.released).containsExactly(lease.token());
    }

    @Test
    void aClosedProviderThrowsAPublicApiException() {
        provider.close();
        Throwable thrown = catchThrowable(() -> provider.tryAcquire(request(1000, 0)));
        assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
        assertThat(thrown.getClass().getName()).isEqualTo("dev.holdfast.lock.LockProviderClosedException");
        assertThat(Modifier.isPublic(thrown.getClass().getModifiers())).isTrue();
    }
}
