package dev.holdfast.benchmarks;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * One lock implementation (or one floor) under test, behind the smallest interface every contender can
 * meet: try once, wait up to a bound, release. A floor "acquires" by running its bare round trips and
 * releases by doing nothing.
 */
interface Contender extends AutoCloseable {

    /** A held lock. */
    interface Held {
        void release();
    }

    /** The one held answer of a floor (nothing to release). */
    Held NOTHING = () -> { };

    /** One attempt that does not wait: the lock, or null if the contender answered "busy". */
    @Nullable Held tryLock(String name) throws Exception;

    /** Waits up to {@code wait} for the lock: the lock, or null if it did not come. */
    @Nullable Held lock(String name, Duration wait) throws Exception;

    /** Whether {@link #lock} waits (ShedLock and the floors only try). */
    default boolean canWait() {
        return true;
    }

    @Override
    void close();
}
