package dev.holdfast.lock.jdbc;

import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.LossReason;
import dev.holdfast.lock.spi.AbstractLease;
import dev.holdfast.lock.spi.LockRuntime;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/** A lease that lives as long as the session of its {@link DedicatedConnection}. */
final class SessionLease extends AbstractLease {

    private final DedicatedConnection session;
    final Object key;
    final long generation;
    /** When the session was last seen alive on this lease's behalf (ticker); guarded by the session. */
    long confirmedNanos;

    SessionLease(LockRuntime runtime, LockRequest request, long token, String ownerId, long requestStartNanos,
                 DedicatedConnection session, Object key, long generation) {
        super(runtime, request, token, ownerId, requestStartNanos);
        this.session = session;
        this.key = key;
        this.generation = generation;
    }

    @Override
    protected boolean renewOnBackend(Duration leaseTime) {
        return session.renew(this, leaseTime);
    }

    @Override
    protected void releaseOnBackend(Duration keepFor) {
        session.release(this, keepFor);
    }

    /** The session that held this lease ended: the database has freed the lock. */
    void connectionLost(@Nullable Throwable cause) {
        markLost(LossReason.CONNECTION_LOST, cause);
    }
}
