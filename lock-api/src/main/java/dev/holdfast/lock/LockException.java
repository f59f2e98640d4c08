package dev.holdfast.lock;

import org.jspecify.annotations.Nullable;

/**
 * Base of every exception Holdfast throws for a lock operation. Unchecked: lock failures are either
 * expected outcomes (returned as values, such as an empty {@code tryAcquire}) or faults that callers
 * rarely handle in place.
 */
public class LockException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final @Nullable String lockName;

    public LockException(@Nullable String lockName, String message, @Nullable Throwable cause) {
        super(message, cause);
        this.lockName = lockName;
    }

    public LockException(@Nullable String lockName, String message) {
        this(lockName, message, null);
    }

    /** The lock this failure concerns, or {@code null} when it concerns no single lock. */
    public @Nullable String lockName() {
        return lockName;
    }
}
