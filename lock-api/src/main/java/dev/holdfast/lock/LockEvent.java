package dev.holdfast.lock;

import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * Something that happened to a lock, delivered to {@link LockListener}s (for metrics and logs).
 *
 * @param type     what happened
 * @param backend  the provider's backend name, for example {@code "postgres-advisory"} or {@code "redis"}
 * @param lockName the lock name
 * @param token    the lease's fencing token, or 0 when no lease was granted (BUSY, FAILED)
 * @param duration ACQUIRED and BUSY: time spent acquiring; RELEASED and LOST: time the lease was held;
 *                 RENEWED: the lease time renewed to; FAILED: time until the failure
 * @param error    the cause for FAILED and LOST, else {@code null}
 */
public record LockEvent(Type type, String backend, String lockName, long token, Duration duration,
                        @Nullable Throwable error) {

    /** Kinds of lock events. */
    public enum Type {
        /** A lease was granted. */
        ACQUIRED,
        /** The lock stayed held by someone else for the whole wait. */
        BUSY,
        /** Acquiring failed: backend unreachable, interrupted. */
        FAILED,
        /** A lease was renewed or extended. */
        RENEWED,
        /** A lease was released by its owner. */
        RELEASED,
        /** A lease was lost. */
        LOST
    }
}
