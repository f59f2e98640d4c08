package dev.holdfast.lock;

import org.jspecify.annotations.Nullable;

/**
 * The backend could not be reached or failed while serving a lock operation. This is never used for
 * "another holder has the lock": that is an empty result from {@link LockProvider#tryAcquire}.
 *
 * <p>The message names the lock and the backend; the driver's exception is the cause.
 */
public class LockBackendException extends LockException {
    private static final long serialVersionUID = 1L;

    private final String backend;

    public LockBackendException(@Nullable String lockName, String backend, String message, @Nullable Throwable cause) {
        super(lockName, describe(lockName, backend, message, cause), cause);
        this.backend = backend;
    }

    /** The backend that failed, as in {@link LockEvent#backend()} (for example {@code "redis"}). */
    public String backend() {
        return backend;
    }

    private static String describe(@Nullable String lockName, String backend, String message, @Nullable Throwable cause) {
        StringBuilder sb = new StringBuilder(backend).append(" backend: ").append(message);
        if (lockName != null) {
            sb.append(" (lock '").append(lockName).append("')");
        }
        if (cause != null && cause.getMessage() != null) {
            sb.append(": ").append(cause.getMessage());
        }
        return sb.toString();
    }
}
