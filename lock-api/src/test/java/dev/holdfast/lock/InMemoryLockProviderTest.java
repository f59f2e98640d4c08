package dev.holdfast.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class InMemoryLockProviderTest {

    @Test
    void leasesExpireByTheControllableClock() {
        AtomicLong now = new AtomicLong();
        InMemoryLockProvider.Store store = new InMemoryLockProvider.Store(now::get);
        try (InMemoryLockProvider a = InMemoryLockProvider.builder().store(store).ticker(now::get).build();
             InMemoryLockProvider b = InMemoryLockProvider.builder().store(store).ticker(now::get).build()) {
            Lease lease = a.acquire(LockRequest.named("x").leaseTime(Duration.ofSeconds(10)).autoRenew(false).build());
            now.addAndGet(Duration.ofSeconds(9).toNanos());
            assertThat(lease.isHeld()).isTrue();
            assertThat(b.tryAcquire("x")).isEmpty();
            LockInfo info = b.inspect("x").orElseThrow();
            assertThat(info.expiresIn()).isEqualTo(Duration.ofSeconds(1));
            assertThat(info.ownerId()).isEqualTo(lease.ownerId());
            now.addAndGet(Duration.ofSeconds(1).toNanos());
            assertThat(lease.isHeld()).isFalse();
            assertThatThrownBy(lease::checkHeld).isInstanceOf(LockLostException.class)
                    .satisfies(e -> assertThat(((LockLostException) e).reason()).isEqualTo(LossReason.EXPIRED));
            Lease next = b.tryAcquire("x").orElseThrow();
            assertThat(next.token()).isGreaterThan(lease.token());
        }
    }

    @Test
    void grantsABusyLockToWaitingClientsInArrivalOrder() throws Exception {
        InMemoryLockProvider.Store store = new InMemoryLockProvider.Store();
        List<Integer> order = new CopyOnWriteArrayList<>();
        try (InMemoryLockProvider holder = InMemoryLockProvider.builder().store(store).build()) {
            Lease held = holder.acquire(LockRequest.of("fair"));
            List<Thread> waiters = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                int id = i;
                InMemoryLockProvider client = InMemoryLockProvider.builder().store(store).build();
                Thread t = new Thread(() -> {
                    try (Lease l = client.acquire(LockRequest.named("fair").waitTime(Duration.ofSeconds(10)).build())) {
                        order.add(id);
                    }
                });
                t.start();
                waiters.add(t);
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (store.inspect("fair").map(LockInfo::waiters).orElse(0) < i + 1 && System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            }
            assertThat(holder.inspect("fair").orElseThrow().waiters()).isEqualTo(4);
            held.release();
            for (Thread t : waiters) {
                t.join(10_000);
            }
        }
        assertThat(order).containsExactly(0, 1, 2, 3);
    }

    @Test
    void aReleaseThatFindsTheLeaseDroppedReportsItLost() {
        InMemoryLockProvider.Store store = new InMemoryLockProvider.Store();
        try (InMemoryLockProvider a = InMemoryLockProvider.builder().store(store).build();
             InMemoryLockProvider b = InMemoryLockProvider.builder().store(store).build()) {
            Lease stale = a.acquire(LockRequest.of("dropped"));
            List<LockLostException> lost = new CopyOnWriteArrayList<>();
            stale.onLost(lost::add);
            store.expire("dropped");
            Lease next = b.acquire(LockRequest.of("dropped"));
            assertThat(stale.release()).isFalse();
            assertThat(lost).singleElement().satisfies(e -> assertThat(e.reason()).isEqualTo(LossReason.REFUSED));
            assertThat(stale.release()).isFalse();
            assertThat(lost).hasSize(1);
            assertThat(next.isHeld()).isTrue();
            assertThat(b.inspect("dropped").orElseThrow().ownerId()).isEqualTo(next.ownerId());
        }
    }

    @Test
    void anOutageIsABackendErrorNotBusy() {
        InMemoryLockProvider.Store store = new InMemoryLockProvider.Store();
        try (InMemoryLockProvider locks = InMemoryLockProvider.builder().store(store).build()) {
            Lease lease = locks.acquire(LockRequest.of("y"));
            store.setAvailable(false);
            assertThatThrownBy(() -> locks.tryAcquire("z")).isInstanceOf(LockBackendException.class)
                    .hasMessageContaining("in-memory").hasMessageContaining("'z'");
            assertThatThrownBy(() -> lease.extend(Duration.ofSeconds(5))).isInstanceOf(LockBackendException.class);
            assertThat(lease.isHeld()).as("a failed extension leaves the lease as it was").isTrue();
            store.setAvailable(true);
            assertThat(lease.release()).isTrue();
        }
    }

    @Test
    void listenersSeeEveryStepOfALease() throws Exception {
        List<LockEvent> events = new CopyOnWriteArrayList<>();
        CountDownLatch lost = new CountDownLatch(1);
        try (InMemoryLockProvider locks = InMemoryLockProvider.builder().listener(events::add).listener(e -> {
            if (e.type() == LockEvent.Type.LOST) {
                lost.countDown();
            }
        }).build()) {
            Lease a = locks.acquire(LockRequest.named("e").leaseTime(Duration.ofMillis(300)).build());
            assertThat(locks.tryAcquire("e")).isEmpty();
            a.extend(Duration.ofMillis(300));
            a.release();
            locks.acquire(LockRequest.named("f").leaseTime(Duration.ofMillis(100)).autoRenew(false).build());
            assertThat(lost.await(5, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(events).extracting(LockEvent::type).containsSubsequence(
                LockEvent.Type.ACQUIRED, LockEvent.Type.BUSY, LockEvent.Type.RENEWED, LockEvent.Type.RELEASED,
                LockEvent.Type.ACQUIRED, LockEvent.Type.LOST);
        assertThat(events).allSatisfy(e -> assertThat(e.backend()).isEqualTo("in-memory"));
    }

    @Test
    void tokensAboveMakesEveryTokenGreaterThanTheHighWaterMark() {
        long highWaterMark = 1_800_000_000_000_000L; // e.g. the last token a Redis-fenced resource recorded
        InMemoryLockProvider.Store store = new InMemoryLockProvider.Store();
        try (InMemoryLockProvider old = InMemoryLockProvider.builder().store(store).build();
             InMemoryLockProvider moved = InMemoryLockProvider.builder().store(store).tokensAbove(highWaterMark).build()) {
            Lease first = moved.acquire(LockRequest.of("fenced"));
            assertThat(first.token()).isGreaterThan(highWaterMark);
            assertThat(moved.inspect("fenced").orElseThrow().token()).isEqualTo(first.token());
            first.extend(Duration.ofSeconds(40)); // owner checks on the backend use the backend's own token
            assertThat(first.release()).isTrue();
            assertThat(old.tryAcquire("fenced")).as("released on the backend").isPresent().get()
                    .satisfies(l -> assertThat(l.token()).isLessThan(highWaterMark)).extracting(Lease::release).isEqualTo(true);
            Lease second = moved.acquire(LockRequest.of("fenced"));
            assertThat(second.token()).isGreaterThan(first.token());
            second.release();
        }
    }

    @Test
    void tokensAboveRejectsNegativeValuesAndReportsOverflowWithoutKeepingTheLock() {
        assertThatThrownBy(() -> InMemoryLockProvider.builder().tokensAbove(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokensAbove").hasMessageContaining("-1");
        InMemoryLockProvider.Store store = new InMemoryLockProvider.Store();
        try (InMemoryLockProvider huge = InMemoryLockProvider.builder().store(store).tokensAbove(Long.MAX_VALUE).build();
             InMemoryLockProvider other = InMemoryLockProvider.builder().store(store).build()) {
            assertThatThrownBy(() -> huge.acquire(LockRequest.of("overflow")))
                    .isInstanceOf(LockBackendException.class).hasMessageContaining("tokensAbove")
                    .hasMessageContaining(String.valueOf(Long.MAX_VALUE));
            assertThat(other.tryAcquire("overflow")).as("the overflowing grant was given back").isPresent();
        }
    }

    @Test
    void extendWithMinHoldKeepsTheLockAfterARelease() throws Exception {
        InMemoryLockProvider.Store store = new InMemoryLockProvider.Store();
        try (InMemoryLockProvider a = InMemoryLockProvider.builder().store(store).build();
             InMemoryLockProvider b = InMemoryLockProvider.builder().store(store).build()) {
            Lease lease = a.acquire(LockRequest.named("job").leaseTime(Duration.ofSeconds(10)).build());
            assertThatThrownBy(() -> lease.extend(Duration.ofSeconds(1), Duration.ofSeconds(2)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minHold").hasMessageContaining("leaseTime");
            assertThatThrownBy(() -> lease.extend(Duration.ofSeconds(1), Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minHold");
            assertThatThrownBy(() -> lease.extend(Duration.ofSeconds(1), null)).isInstanceOf(NullPointerException.class);
            assertThat(lease.leaseTime()).isEqualTo(Duration.ofSeconds(10));
            long extendedAt = System.nanoTime();
            lease.extend(Duration.ofSeconds(20), Duration.ofMillis(800));
            assertThat(lease.leaseTime()).isEqualTo(Duration.ofSeconds(20));
            assertThat(lease.release()).isTrue();
            assertThat(b.tryAcquire("job")).as("still taken until minHold after the extend").isEmpty();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (b.tryAcquire("job").map(Lease::release).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - extendedAt)).isGreaterThanOrEqualTo(Duration.ofMillis(750));
            assertThat(System.nanoTime()).isLessThan(deadline);
        }
    }
}
