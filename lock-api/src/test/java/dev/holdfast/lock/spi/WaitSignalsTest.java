package dev.holdfast.lock.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class WaitSignalsTest {

    @Test
    void aSignalBetweenSubscribeAndAwaitIsNotLost() throws Exception {
        WaitSignals signals = new WaitSignals();
        try (WaitSignals.Subscription s = signals.subscribe("a")) {
            signals.signal("a");
            long start = System.nanoTime();
            assertThat(s.await(Duration.ofSeconds(5).toNanos())).isTrue();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
            assertThat(s.await(Duration.ofMillis(20).toNanos())).as("consumed").isFalse();
        }
        assertThat(signals.hasSubscribers("a")).isFalse();
    }

    @Test
    void signalsOfOtherKeysDoNotWake() throws Exception {
        WaitSignals signals = new WaitSignals();
        try (WaitSignals.Subscription s = signals.subscribe("a")) {
            signals.signal("b");
            assertThat(s.await(Duration.ofMillis(50).toNanos())).isFalse();
        }
    }

    @Test
    void backoffGrowsWithJitterUpToItsMaximum() {
        Backoff.Sequence seq = new Backoff(Duration.ofMillis(10), Duration.ofMillis(80)).start();
        long first = seq.nextNanos();
        assertThat(first).isBetween(Duration.ofMillis(5).toNanos(), Duration.ofMillis(10).toNanos());
        long last = 0;
        for (int i = 0; i < 10; i++) {
            last = seq.nextNanos();
        }
        assertThat(last).isBetween(Duration.ofMillis(40).toNanos(), Duration.ofMillis(80).toNanos());
    }
}
