package dev.holdfast.lock;

/** Why a {@link Lease} stopped being held without its owner releasing it. */
public enum LossReason {
    /** The backend answered a renewal or extension: this lease no longer owns the lock. */
    REFUSED,
    /** Renewal kept failing (backend unreachable) until the lease's local deadline passed. */
    RENEWAL_FAILED,
    /** The local deadline passed without a renewal (renewal turned off, or the process was paused). */
    EXPIRED,
    /** The connection or session that held the lock ended (advisory locks, ZooKeeper sessions). */
    CONNECTION_LOST,
    /** The provider was closed while the lease was open. */
    PROVIDER_CLOSED
}
