package dev.holdfast.lock.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.lock.InMemoryLockProvider;
import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryTest {

    private static History.Grant grant(String name, long token, long start, long until) {
        return new History.Grant(name, token, "owner-" + token, start, until, 0, false);
    }

    @Test
    void acceptsSequentialGrantsWithIncreasingTokens() {
        assertThat(History.check(List.of(grant("a", 1, 0, 10), grant("a", 2, 10, 20), grant("b", 1, 5, 30)))).isEmpty();
    }

    @Test
    void reportsOverlappingValidLeases() {
        assertThat(History.check(List.of(grant("a", 1, 0, 10), grant("a", 2, 9, 20))))
                .singleElement().asString().contains("overlap on 'a'");
    }

    @Test
    void reportsOverlapWithALongEarlierLeaseNotJustTheLatest() {
        assertThat(History.check(List.of(grant("a", 1, 0, 100), grant("a", 2, 150, 160), grant("a", 3, 50, 60))))
                .anySatisfy(v -> assertThat(v).contains("overlap"));
    }

    @Test
    void reportsTokensThatDoNotIncreaseInGrantOrder() {
        assertThat(History.check(List.of(grant("a", 5, 0, 10), grant("a", 5, 20, 30), grant("a", 4, 40, 50))))
                .hasSize(2).allSatisfy(v -> assertThat(v).contains("token order"));
    }

    @Test
    void ignoresAGrantThatWasNeverValid() {
        // granted token 1, frozen mid-acquire past its deadline (valid until 5, returned at 40); token 2 was
        // granted meanwhile: the late grant neither overlaps nor breaks the token order
        History.Grant late = new History.Grant("a", 1, "o", 40, 5, 0, true);
        assertThat(History.check(List.of(grant("a", 2, 10, 50), late)).stream()
                .filter(v -> !v.contains("never reported"))).isEmpty();
    }

    @Test
    void endsALostLeaseAtItsLossReport() {
        History.Grant lost = new History.Grant("a", 1, "o", 0, 8, 8, true);
        assertThat(History.check(List.of(lost, grant("a", 2, 9, 20)))).isEmpty();
    }

    @Test
    void reportsLossSeenByTheHolderButNeverReported() {
        History.Grant silent = new History.Grant("a", 1, "o", 0, 8, 0, true);
        assertThat(History.check(List.of(silent))).singleElement().asString().contains("never reported lost");
    }

    @Test
    void countsEffectsExactlyOnce() {
        History h = new History();
        h.effect("pay-1");
        h.effect("pay-2");
        h.effect("pay-2");
        h.effect("pay-9");
        assertThat(h.checkEffects(List.of("pay-1", "pay-2", "pay-3")))
                .containsExactlyInAnyOrder("effect pay-2 happened 2 times", "effect pay-3 happened 0 times", "unexpected effect pay-9");
    }

    @Test
    void mergesHistoriesOfSeveralProcessesThroughFiles(@TempDir Path dir) throws Exception {
        InMemoryLockProvider locks = InMemoryLockProvider.create();
        History one = new History();
        History two = new History();
        for (int i = 0; i < 3; i++) {
            Lease l = locks.acquire(LockRequest.of("odd name 'ü' " + i));
            (i % 2 == 0 ? one : two).record(l).around(() -> null);
        }
        Path file = dir.resolve("history.txt");
        one.writeTo(file);
        two.writeTo(file);
        assertThat(Files.readAllLines(file)).hasSize(3);
        History merged = new History();
        merged.addAll(History.readFrom(file));
        assertThat(merged.grants()).extracting(History.Grant::name).contains("odd name 'ü' 0", "odd name 'ü' 2");
        merged.assertValid();
        merged.addAll(List.of(grant("odd name 'ü' 0", 0, Long.MAX_VALUE - 2, Long.MAX_VALUE - 1)));
        assertThatThrownBy(merged::assertValid).hasMessageContaining("token order");
        locks.close();
    }

    @Test
    void recordsTheLocalDeadlineAsTheEndOfAnExpiredLease() {
        InMemoryLockProvider locks = InMemoryLockProvider.create();
        Lease l = locks.acquire(LockRequest.named("x").leaseTime(Duration.ofMillis(50)).autoRenew(false).build());
        History h = new History();
        History.Recording rec = h.record(l);
        Await.until(Duration.ofSeconds(5), "lease lost", () -> !l.isHeld());
        History.Grant g = rec.end();
        assertThat(g.lostKnown()).isTrue();
        assertThat(g.lostAt()).isPositive();
        assertThat(g.validUntil()).isLessThanOrEqualTo(g.lostAt());
        h.assertValid();
        locks.close();
    }
}
