package dev.holdfast.lock;

/**
 * The calling thread was interrupted while waiting for a lock or talking to the backend. The thread's
 * interrupt flag is set again before this is thrown, and no lease was granted to the caller.
 */
public class LockInterruptedException extends LockException {
    private static final long serialVersionUID = 1L;

    public LockInterruptedException(String lockName, InterruptedException cause) {
        super(lockName, "interrupted while acquiring lock '" + lockName + "'", cause);
    }
}
