package dev.holdfast.lock.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LockedMethodTest {

    @Test
    void parsesSpringBootDurationStyles() {
        assertThat(LockedMethod.parseDuration("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(LockedMethod.parseDuration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(LockedMethod.parseDuration("250")).isEqualTo(Duration.ofMillis(250));
        assertThat(LockedMethod.parseDuration("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(LockedMethod.parseDuration("2H")).isEqualTo(Duration.ofHours(2));
        assertThat(LockedMethod.parseDuration("1d")).isEqualTo(Duration.ofDays(1));
        assertThat(LockedMethod.parseDuration("10us")).isEqualTo(Duration.ofNanos(10_000));
        assertThat(LockedMethod.parseDuration("PT5M")).isEqualTo(Duration.ofMinutes(5));
        assertThat(LockedMethod.parseDuration("-5s")).isEqualTo(Duration.ofSeconds(-5));
        assertThatThrownBy(() -> LockedMethod.parseDuration("soon")).isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> LockedMethod.parseDuration("5 s")).isInstanceOf(RuntimeException.class);
    }
}
