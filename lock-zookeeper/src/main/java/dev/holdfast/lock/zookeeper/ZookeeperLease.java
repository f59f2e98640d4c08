package dev.holdfast.lock.zookeeper;

import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.LossReason;
import dev.holdfast.lock.spi.AbstractLease;
import dev.holdfast.lock.spi.LockRuntime;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * A lease held by one queue node: its path (unique: Curator's protection id plus the sequence), the
 * session that owns it, and the node's creation zxid as the token. Renew, extend and release act on this
 * path only, so they can never touch another holder's node. The renewal check is the {@link SessionGuard}'s;
 * release and the cleanup of a lost lease delete the node through the {@link NodeDeleter}.
 */
final class ZookeeperLease extends AbstractLease {

    private final SessionGuard guard;
    private final NodeDeleter deleter;
    private final String path;
    private final long sessionId;
    private final long grantEpoch;

    ZookeeperLease(SessionGuard guard, NodeDeleter deleter, LockRuntime runtime, LockRequest request, long czxid,
                   String ownerId, long requestStartNanos, String path, long sessionId, long grantEpoch) {
        super(runtime, request, czxid, ownerId, requestStartNanos);
        this.guard = guard;
        this.deleter = deleter;
        this.path = path;
        this.sessionId = sessionId;
        this.grantEpoch = grantEpoch;
    }

    /** The holder node's full path. */
    String path() {
        return path;
    }

    /** The id of the ZooKeeper session that owns the node (its ephemeral owner). */
    long sessionId() {
        return sessionId;
    }

    /**
     * The node's creation zxid, as ZooKeeper records it: the backend token, without the provider's
     * {@code tokensAbove} offset that {@link #token()} adds. Owner checks compare the node's Stat with this.
     */
    long czxid() {
        return backendToken();
    }

    /** The provider's loss epoch when this lease was granted; any later loss event ends the lease. */
    long grantEpoch() {
        return grantEpoch;
    }

    @Override
    protected boolean renewOnBackend(Duration leaseTime) {
        return guard.verify(this);
    }

    @Override
    protected void releaseOnBackend(Duration keepFor) {
        deleter.deleteNode(this, keepFor);
    }

    /**
     * Reports the lease lost because its session ended or can no longer be trusted (once; later calls do
     * nothing), and asks ZooKeeper to delete the node in the background, in case the session survives.
     */
    void sessionLost(@Nullable Throwable cause) {
        if (!isHeld()) {
            return;
        }
        markLost(LossReason.CONNECTION_LOST, cause);
        deleter.deleteInBackground(path);
    }

    @Override
    public String toString() {
        return "ZookeeperLease[" + name() + ", token " + token() + ", " + path + ", session 0x"
                + Long.toHexString(sessionId) + "]";
    }
}
