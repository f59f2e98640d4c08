package dev.holdfast.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GuardTest {

    private final AtomicLong now = new AtomicLong();
    private final InMemoryLockProvider locks = InMemoryLockProvider.builder().ticker(now::get).build();

    @AfterEach
    void close() {
        locks.close();
    }

    @Test
    void actsWhenStillNeededAndReleases() {
        Guard.Outcome<String> out = Guard.using(locks).lock("payout:1").reload(() -> false).onlyIf(paid -> !paid)
                .act((paid, lease) -> "paid with token " + lease.token());
        assertThat(out.status()).isEqualTo(Guard.Status.ACTED);
        assertThat(out.acted()).isTrue();
        assertThat(out.value()).contains("paid with token " + out.token());
        assertThat(locks.inspect("payout:1")).isEmpty();
    }

    @Test
    void skipsWhenTheFreshReloadShowsTheWorkDone() {
        AtomicInteger reloads = new AtomicInteger();
        Guard.Outcome<String> out = Guard.using(locks).lock("payout:2")
                .reload(() -> {
                    assertThat(locks.inspect("payout:2")).as("reload runs while the lock is held").isPresent();
                    reloads.incrementAndGet();
                    return true;
                })
                .onlyIf(paid -> !paid).act((paid, lease) -> "paid");
        assertThat(out.status()).isEqualTo(Guard.Status.SKIPPED);
        assertThat(out.value()).isEmpty();
        assertThat(reloads).hasValue(1);
    }

    @Test
    void isBusyWithoutReloadingWhenTheLockIsHeld() {
        try (Lease held = locks.acquire(LockRequest.of("payout:3"))) {
            AtomicBoolean reloaded = new AtomicBoolean();
            Guard.Outcome<String> out = Guard.using(InMemoryLockProvider.builder().store(locks.store()).build())
                    .lock("payout:3").reload(() -> reloaded.getAndSet(true)).act((x, lease) -> "paid");
            assertThat(out.status()).isEqualTo(Guard.Status.BUSY);
            assertThat(out.token()).isZero();
            assertThat(reloaded).isFalse();
            assertThat(held.isHeld()).isTrue();
        }
    }

    @Test
    void reportsLostWhenTheLeaseEndsWhileActing() {
        LockRequest req = LockRequest.named("payout:4").leaseTime(Duration.ofSeconds(10)).autoRenew(false).build();
        Guard.Outcome<String> out = Guard.using(locks).lock(req).act(lease -> {
            now.addAndGet(Duration.ofSeconds(11).toNanos()); // a long pause: the lease runs out meanwhile
            return "maybe paid";
        });
        assertThat(out.status()).isEqualTo(Guard.Status.LOST);
        assertThat(out.value()).contains("maybe paid");
    }

    @Test
    void reportsLostWhenTheActionSeesItsLeaseGone() {
        LockRequest req = LockRequest.named("payout:5").leaseTime(Duration.ofSeconds(10)).autoRenew(false).build();
        Guard.Outcome<String> out = Guard.using(locks).lock(req).act(lease -> {
            now.addAndGet(Duration.ofSeconds(11).toNanos());
            lease.checkHeld();
            return "paid";
        });
        assertThat(out.status()).isEqualTo(Guard.Status.LOST);
        assertThat(out.value()).isEmpty();
    }

    @Test
    void propagatesFailuresAfterReleasing() {
        assertThatThrownBy(() -> Guard.using(locks).lock("payout:6").act(lease -> {
            throw new IllegalStateException("payment service down");
        })).hasMessage("payment service down");
        assertThat(locks.inspect("payout:6")).isEmpty();
    }
}
