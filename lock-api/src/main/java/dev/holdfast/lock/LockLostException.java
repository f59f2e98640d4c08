package dev.holdfast.lock;

import org.jspecify.annotations.Nullable;

/**
 * A lease is no longer held: it expired, a renewal was refused or failed too long, or the connection or
 * session holding it ended. Work protected by the lease must stop; a write already on its way should
 * carry the lease's fencing token so the resource can refuse it.
 */
public class LockLostException extends LockException {
    private static final long serialVersionUID = 1L;

    private final LossReason reason;
    private final long token;

    public LockLostException(String lockName, long token, LossReason reason, @Nullable Throwable cause) {
        super(lockName, "lease on lock '" + lockName + "' (token " + token + ") was lost: " + describe(reason), cause);
        this.reason = reason;
        this.token = token;
    }

    /** Why the lease was lost. */
    public LossReason reason() {
        return reason;
    }

    /** The fencing token of the lost lease. */
    public long token() {
        return token;
    }

    private static String describe(LossReason reason) {
        return switch (reason) {
            case REFUSED -> "the backend no longer records this lease as the owner";
            case RENEWAL_FAILED -> "renewal failed until the lease's deadline passed";
            case EXPIRED -> "the lease time ran out before it was renewed";
            case CONNECTION_LOST -> "the connection or session holding the lock ended";
            case PROVIDER_CLOSED -> "the provider was closed";
        };
    }
}
