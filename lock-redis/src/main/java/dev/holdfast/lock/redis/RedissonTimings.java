package dev.holdfast.lock.redis;

import java.time.Duration;
import org.jspecify.annotations.Nullable;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.BaseConfig;
import org.redisson.config.ConstantDelay;
import org.redisson.config.DelayStrategy;
import org.redisson.config.EqualJitterDelay;

/**
 * The parts of a Redisson client's configuration that decide when it resends a command: the response
 * timeout (a command without a reply in that time is sent again), the number of resends and the pause
 * before each. Read from the client's effective configuration (whatever the server mode).
 *
 * <p>A batch sent with {@code sync(n, t)} (the provider's replica acknowledgement, {@code WAIT n t}) gets a
 * longer response timeout from Redisson 4.7: {@code timeout + t} ({@code RedisCommonBatchExecutor}), so it is
 * resent only after that; {@link #withAckTimeout} gives the timings of such a batch.
 *
 * @param timeout       the client's response timeout
 * @param retryAttempts how many times a command may be resent
 * @param retryDelay    the longest pause before a resend
 * @param ackTimeout    what a replica-acknowledged batch adds to {@code timeout} (zero for plain commands)
 */
record RedissonTimings(Duration timeout, int retryAttempts, Duration retryDelay, Duration ackTimeout) {

    RedissonTimings(Duration timeout, int retryAttempts, Duration retryDelay) {
        this(timeout, retryAttempts, retryDelay, Duration.ZERO);
    }

    /** These timings for a batch sent with {@code sync(n, ackTimeout)}: its response timeout grows by {@code ackTimeout}. */
    RedissonTimings withAckTimeout(Duration ackTimeout) {
        return new RedissonTimings(timeout, retryAttempts, retryDelay, ackTimeout);
    }

    /** How long Redisson waits for the reply before it resends or gives up: {@code timeout + ackTimeout}. */
    Duration responseTimeout() {
        return timeout.plus(ackTimeout);
    }

    /**
     * How long after a command was first sent Redisson may still send a copy of it:
     * {@code retryAttempts × (timeout + ackTimeout + retryDelay)}.
     */
    Duration resendWindow() {
        return responseTimeout().plus(retryDelay).multipliedBy(retryAttempts);
    }

    /** The timings of {@code client}, or null when they cannot be read (not a {@link Redisson} instance). */
    static @Nullable RedissonTimings of(RedissonClient client) {
        if (!(client instanceof Redisson redisson)) {
            return null;
        }
        BaseConfig<?> config = redisson.getServiceManager().getConfig();
        return new RedissonTimings(Duration.ofMillis(config.getTimeout()), Math.max(0, config.getRetryAttempts()),
                longestDelay(config.getRetryDelay(), config.getRetryAttempts()));
    }

    private static Duration longestDelay(@Nullable DelayStrategy strategy, int attempts) {
        if (strategy == null) {
            return Duration.ZERO;
        }
        if (strategy instanceof EqualJitterDelay jitter) {
            return jitter.getMaxDelay();
        }
        Duration longest = Duration.ZERO;
        int samples = strategy instanceof ConstantDelay ? 1 : 8; // other strategies may be randomized: sample
        for (int attempt = 0; attempt <= attempts; attempt++) {
            for (int i = 0; i < samples; i++) {
                Duration d = strategy.calcDelay(attempt);
                if (d != null && d.compareTo(longest) > 0) {
                    longest = d;
                }
            }
        }
        return longest;
    }

    @Override
    public String toString() {
        String ack = ackTimeout.isZero() ? "" : " + replica ack timeout " + ackTimeout.toMillis() + " ms";
        return "retryAttempts " + retryAttempts + " × (timeout " + timeout.toMillis() + " ms" + ack
                + " + retry delay up to " + retryDelay.toMillis() + " ms) = " + resendWindow().toMillis() + " ms";
    }
}
