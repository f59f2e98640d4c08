package dev.holdfast.lock.spi;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Jittered exponential backoff between attempts to take a busy lock: the fallback when no notification
 * arrives. Immutable; {@link #start()} gives one waiter's sequence.
 *
 * @param min the first pause (before jitter); positive
 * @param max the longest pause; at least {@code min}
 */
public record Backoff(Duration min, Duration max) {

    public Backoff {
        requireNonNull(min, "min");
        requireNonNull(max, "max");
        if (min.isNegative() || min.isZero()) {
            throw new IllegalArgumentException("backoff min must be positive, was " + min);
        }
        if (max.compareTo(min) < 0) {
            throw new IllegalArgumentException("backoff max (" + max + ") must be at least min (" + min + ")");
        }
    }

    /** A new sequence of pauses for one waiter. */
    public Sequence start() {
        return new Sequence(min.toNanos(), max.toNanos());
    }

    /** One waiter's pauses: each roughly doubles, with "equal jitter" (half fixed, half random). */
    public static final class Sequence {
        private final long maxNanos;
        private long current;

        private Sequence(long minNanos, long maxNanos) {
            this.current = minNanos;
            this.maxNanos = maxNanos;
        }

        /** The next pause in nanoseconds. */
        public long nextNanos() {
            long base = current;
            current = Math.min(maxNanos, current * 2);
            long half = Math.max(1, base / 2);
            return half + ThreadLocalRandom.current().nextLong(half + 1);
        }
    }
}
