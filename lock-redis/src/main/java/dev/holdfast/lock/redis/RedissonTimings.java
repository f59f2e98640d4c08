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
 * @param timeout       the response timeout
 * @param retryAttempts how many times a command may be resent
 * @param retryDelay    the longest pause before a resend
 */
record RedissonTimings(Duration timeout, int retryAttempts, Duration retryDelay) {

    /**
     * How long after a command was first sent Redisson may still send a copy of it:
     * {@code retryAttempts × (timeout + retryDelay)}.
     */
    Duration resendWindow() {
        return timeout.plus(retryDelay).multipliedBy(retryAttempts);
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
        return "retryAttempts " + retryAttempts + " × (timeout " + timeout.toMillis() + " ms + retry delay up to "
                + retryDelay.toMillis() + " ms) = " + resendWindow().toMillis() + " ms";
    }
}
