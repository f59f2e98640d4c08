package dev.holdfast.lock.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockInterruptedException;
import dev.holdfast.lock.LockLostException;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.LossReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The shared lease state machine, driven by a scripted backend: what renewal answers is set by the test.
 * (The backends' own behaviour is tested against real servers through the contract kit.)
 */
class AbstractLeaseTest {

    enum Answer { OK, REFUSE, FAIL }

    static final class ScriptedProvider extends AbstractLockProvider {
        final AtomicReference<Answer> renewal = new AtomicReference<>(Answer.OK);
        final AtomicInteger renewals = new AtomicInteger();
        final List<Duration> releases = new CopyOnWriteArrayList<>();
        final AtomicReference<RuntimeException> acquireFailure = new AtomicReference<>();

        ScriptedProvider() {
            super(new Builder().runtime("scripted"), new Backoff(Duration.ofMillis(1), Duration.ofMillis(10)));
        }

        @Override
        protected Optional<? extends AbstractLease> tryAcquireOnBackend(LockRequest request, long deadlineNanos) {
            RuntimeException failure = acquireFailure.get();
            if (failure != null) {
                throw failure;
            }
            long start = runtime.ticker().nanoTime();
            return Optional.of(new AbstractLease(runtime, request, 1, runtime.newOwnerId(), start) {
                @Override
                protected boolean renewOnBackend(Duration leaseTime) {
                    renewals.incrementAndGet();
                    return switch (renewal.get()) {
                        case OK -> true;
                        case REFUSE -> false;
                        case FAIL -> throw new IllegalStateException("connection refused");
                    };
                }

                @Override
                protected void releaseOnBackend(Duration keepFor) {
                    releases.add(keepFor);
                }
            });
        }

        static final class Builder extends AbstractProviderBuilder<Builder> {
        }
    }

    private final ScriptedProvider provider = new ScriptedProvider();

    @AfterEach
    void close() {
        provider.close();
    }

    private static LockRequest lease(long millis) {
        return LockRequest.named("n").leaseTime(Duration.ofMillis(millis)).build();
    }

    @Test
    void renewsAtAboutAThirdOfTheLeaseTime() throws Exception {
        Lease lease = provider.acquire(lease(600));
        Thread.sleep(1000);
        assertThat(provider.renewals.get()).isBetween(2, 6);
        assertThat(lease.isHeld()).isTrue();
    }

    @Test
    void aRefusedRenewalLosesTheLeaseOnce() throws Exception {
        Lease lease = provider.acquire(lease(300));
        AtomicInteger lost = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(1);
        lease.onLost(e -> {
            lost.incrementAndGet();
            assertThat(e.reason()).isEqualTo(LossReason.REFUSED);
            done.countDown();
        });
        provider.renewal.set(Answer.REFUSE);
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(300);
        assertThat(lost).hasValue(1);
        assertThat(provider.releases).as("a refused lease is not released on the backend").isEmpty();
    }

    @Test
    void failingRenewalsAreRetriedUntilTheDeadlineThenTheLeaseIsLost() throws Exception {
        Lease lease = provider.acquire(lease(500));
        AtomicReference<LockLostException> cause = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        lease.onLost(e -> {
            cause.set(e);
            done.countDown();
        });
        provider.renewal.set(Answer.FAIL);
        long failingSince = System.nanoTime();
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - failingSince)).isLessThan(Duration.ofMillis(1500));
        assertThat(cause.get().reason()).isEqualTo(LossReason.RENEWAL_FAILED);
        assertThat(cause.get().getCause()).hasMessage("connection refused");
        assertThat(provider.renewals.get()).as("retried more often than every third of the lease").isGreaterThanOrEqualTo(3);
    }

    @Test
    void aRenewalThatRecoversBeforeTheDeadlineKeepsTheLease() throws Exception {
        Lease lease = provider.acquire(lease(900));
        provider.renewal.set(Answer.FAIL);
        Thread.sleep(400);
        provider.renewal.set(Answer.OK);
        Thread.sleep(1200);
        assertThat(lease.isHeld()).isTrue();
    }

    @Test
    void releaseRacedFromManyThreadsSucceedsExactlyOnce() throws Exception {
        for (int round = 0; round < 50; round++) {
            Lease lease = provider.acquire(lease(10_000));
            ExecutorService pool = Executors.newFixedThreadPool(4);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return lease.release();
                }));
            }
            go.countDown();
            int trues = 0;
            for (Future<Boolean> f : results) {
                trues += f.get() ? 1 : 0;
            }
            pool.shutdown();
            assertThat(trues).isEqualTo(1);
        }
        assertThat(provider.releases).hasSize(50);
    }

    @Test
    void minHoldIsPassedToTheBackendOnEarlyRelease() {
        Lease lease = provider.acquire(LockRequest.named("m").leaseTime(Duration.ofSeconds(10)).minHold(Duration.ofSeconds(5)).build());
        lease.release();
        assertThat(provider.releases).singleElement().satisfies(d -> assertThat(d).isBetween(Duration.ofSeconds(4), Duration.ofSeconds(5)));
    }

    @Test
    void backendFailuresOnAcquireNameTheLockAndBackend() {
        provider.acquireFailure.set(new IllegalStateException("connection refused"));
        assertThatThrownBy(() -> provider.tryAcquire("payout:7"))
                .isInstanceOf(LockBackendException.class)
                .hasMessage("scripted backend: acquire failed (lock 'payout:7'): connection refused");
    }

    @Test
    void anInterruptedCallerGetsNoLeaseAndKeepsItsFlag() {
        Lease held = provider.acquire(lease(10_000));
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> provider.tryAcquire(LockRequest.named("n").waitTime(Duration.ofSeconds(5)).build()))
                    .isInstanceOf(LockInterruptedException.class);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
        assertThat(held.isHeld()).isTrue();
    }

    @Test
    void extendRefusedByTheBackendLosesTheLease() {
        Lease lease = provider.acquire(lease(10_000));
        provider.renewal.set(Answer.REFUSE);
        assertThatThrownBy(() -> lease.extend(Duration.ofSeconds(20))).isInstanceOf(LockLostException.class)
                .hasMessageContaining("no longer records this lease");
        assertThat(lease.isHeld()).isFalse();
        assertThat(lease.release()).isFalse();
    }

    @Test
    void extendThatCannotReachTheBackendKeepsTheLeaseUntilItsDeadline() {
        Lease lease = provider.acquire(lease(10_000));
        provider.renewal.set(Answer.FAIL);
        assertThatThrownBy(() -> lease.extend(Duration.ofSeconds(20))).isInstanceOf(LockBackendException.class)
                .hasMessageContaining("extend failed");
        assertThat(lease.isHeld()).isTrue();
        assertThat(lease.leaseTime()).isEqualTo(Duration.ofSeconds(10));
    }
}
