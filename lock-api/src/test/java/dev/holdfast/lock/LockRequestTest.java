package dev.holdfast.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LockRequestTest {

    @Test
    void hasSafeDefaults() {
        LockRequest r = LockRequest.of("job");
        assertThat(r.leaseTime()).isEqualTo(Duration.ofSeconds(30));
        assertThat(r.waitTime()).isZero();
        assertThat(r.minHold()).isZero();
        assertThat(r.autoRenew()).isTrue();
    }

    @Test
    void buildsAndCopies() {
        LockRequest r = LockRequest.named("job").leaseTime(Duration.ofSeconds(5)).waitTime(Duration.ofSeconds(1))
                .minHold(Duration.ofSeconds(2)).autoRenew(false).build();
        assertThat(r.toBuilder().build()).isEqualTo(r);
        assertThat(r.withWaitTime(Duration.ZERO).waitTime()).isZero();
        assertThat(r.withWaitTime(Duration.ZERO).leaseTime()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void namesTheFieldThatIsWrong() {
        assertThatThrownBy(() -> LockRequest.named("j").leaseTime(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("leaseTime must be positive, was PT-0.001S");
        assertThatThrownBy(() -> LockRequest.named("j").waitTime(Duration.ofDays(366)))
                .hasMessageContaining("waitTime must be at most");
        assertThatThrownBy(() -> LockRequest.named("j").minHold(null)).isInstanceOf(NullPointerException.class).hasMessage("minHold");
        assertThatThrownBy(() -> new LockRequest("j", Duration.ofNanos(10), Duration.ZERO, Duration.ZERO, true))
                .hasMessageContaining("at least 1 ms");
        assertThatThrownBy(() -> LockRequest.named("j").leaseTime(Duration.ofSeconds(1)).minHold(Duration.ofSeconds(3)).build())
                .hasMessage("minHold (PT3S) must not be longer than leaseTime (PT1S)");
    }

    @Test
    void validatesNames() {
        assertThat(LockRequest.validateName("emoji 🔒 ok")).isEqualTo("emoji 🔒 ok");
        assertThat(LockRequest.validateName("x".repeat(LockRequest.MAX_NAME_LENGTH))).hasSize(1024);
        assertThatThrownBy(() -> LockRequest.validateName("x".repeat(1025))).hasMessageContaining("at most 1024 characters, was 1025");
        assertThatThrownBy(() -> LockRequest.validateName("tab\there")).hasMessageContaining("U+0009 at index 3");
        assertThatThrownBy(() -> LockRequest.validateName("\uDC00x")).hasMessageContaining("unpaired surrogate U+DC00 at index 0");
        assertThatThrownBy(() -> LockRequest.validateName("x\uD83D")).hasMessageContaining("unpaired surrogate");
        assertThatThrownBy(() -> LockRequest.validateName("\u2003")).hasMessageContaining("blank");
    }
}
