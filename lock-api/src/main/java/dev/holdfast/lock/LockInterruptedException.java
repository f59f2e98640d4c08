package dev.holdfast.lock;

import org.jspecify.annotations.Nullable;

/**
 * The calling thread was interrupted while waiting for a lock or talking to the backend (also when the
 * backend's client gave up with its own exception because of the interrupt). The thread's interrupt flag
 * is set again before this is thrown, and no lease was granted to the caller; a grant the backend may
 * have made in the meantime is released by the provider (owner-checked), so the name is not left held.
 */
public class LockInterruptedException extends LockException {
    private static final long serialVersionUID = 1L;

    public LockInterruptedException(String lockName, InterruptedException cause) {
        super(lockName, "interrupted while acquiring lock '" + lockName + "'", cause);
    }

    /**
     * @param lockName  the lock
     * @param operation what was interrupted, for example {@code "acquiring"} or {@code "extending"}
     * @param cause     the interrupt, or the backend client's exception caused by it
     */
    public LockInterruptedException(String lockName, String operation, @Nullable Throwable cause) {
        super(lockName, "interrupted while " + operation + " lock '" + lockName + "'", cause);
    }
}
