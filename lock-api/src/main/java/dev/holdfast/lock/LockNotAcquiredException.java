package dev.holdfast.lock;

import java.time.Duration;

/**
 * {@link LockProvider#acquire} waited the request's whole {@link LockRequest#waitTime()} and another
 * holder kept the lock. The backend was reachable: an unreachable backend is a
 * {@link LockBackendException}.
 */
public class LockNotAcquiredException extends LockException {
    private static final long serialVersionUID = 1L;

    private final Duration waited;

    public LockNotAcquiredException(String lockName, Duration waited) {
        super(lockName, "lock '" + lockName + "' is held by another owner (waited " + waited + ")");
        this.waited = waited;
    }

    /** How long the caller waited before giving up. */
    public Duration waited() {
        return waited;
    }
}
