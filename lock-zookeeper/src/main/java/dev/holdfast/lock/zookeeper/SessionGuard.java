package dev.holdfast.lock.zookeeper;

import static dev.holdfast.lock.zookeeper.ZookeeperLockProvider.BACKEND;

import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.spi.AbstractLease;
import dev.holdfast.lock.spi.LockRuntime;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.data.Stat;

/**
 * Watches one provider's connection to ZooKeeper and ends its leases when the session that holds their
 * nodes can no longer be trusted. The session is the lease: on the server a lock is held exactly as long as
 * the holder's node exists, until it is deleted or the session that created it ends.
 *
 * <ul>
 *   <li>{@code SUSPENDED} (and {@code READ_ONLY}) ends every lease of the provider with
 *       {@code CONNECTION_LOST} when {@code treatSuspendedAsLost} is on (the default), because from then on
 *       the client cannot know whether the server still holds its node. Otherwise leases survive a
 *       suspension and end only on {@code LOST} or when a renewal cannot reach ZooKeeper before the local
 *       deadline.</li>
 *   <li>{@code LOST} always ends every lease. Each lease is reported lost once; its listeners run on
 *       Curator's connection-state thread.</li>
 *   <li>Every event that ends leases increments the <em>loss epoch</em>. A lease remembers the epoch it was
 *       granted in and ends at any later loss event. A lease granted in the instant a connection event
 *       arrives may not be tracked by the runtime yet: a second sweep 200 ms later catches it, or at the
 *       latest its next renewal check (which compares epochs). The acquire loop grants only when the epoch
 *       did not move during the read that confirmed the grant.</li>
 *   <li>A lease never survives into a new session: on {@code RECONNECTED} (and {@code CONNECTED}), leases
 *       whose node belongs to another session are lost, and every renewal compares session ids.</li>
 *   <li>A lease that ends this way has its node deleted in the background through the {@link NodeDeleter}
 *       (at once, or as soon as the connection returns), so a session that does survive does not keep a
 *       lock nobody believes it holds. A reconnection also sends the deletes that were waiting for it.</li>
 *   <li>Every connection change wakes the waiting acquires (they look at the queue and the session again)
 *       and the runtime's waiting callers.</li>
 * </ul>
 */
final class SessionGuard {

    private final CuratorFramework client;
    private final LockRuntime runtime;
    private final NodeDeleter deleter;
    private final boolean treatSuspendedAsLost;
    private final Runnable wakeWaiters;
    private final ConnectionStateListener stateListener = (c, state) -> onStateChanged(state);
    /** Incremented on every event that ends leases (SUSPENDED when so configured, LOST). */
    private volatile long lossEpoch;

    /**
     * @param client               the provider's client
     * @param runtime              the provider's runtime (open leases, scheduler, wait signals)
     * @param deleter              deletes the nodes of ended leases
     * @param treatSuspendedAsLost whether SUSPENDED ends every lease
     * @param wakeWaiters          wakes every waiting acquire of the provider
     */
    SessionGuard(CuratorFramework client, LockRuntime runtime, NodeDeleter deleter, boolean treatSuspendedAsLost,
                 Runnable wakeWaiters) {
        this.client = client;
        this.runtime = runtime;
        this.deleter = deleter;
        this.treatSuspendedAsLost = treatSuspendedAsLost;
        this.wakeWaiters = wakeWaiters;
    }

    /** Registers the connection-state listener on the client. */
    void start() {
        client.getConnectionStateListenable().addListener(stateListener);
    }

    /** Removes the connection-state listener from the client. */
    void stop() {
        client.getConnectionStateListenable().removeListener(stateListener);
    }

    /** The number of loss events so far; a grant takes the epoch read before the list that confirmed it. */
    long lossEpoch() {
        return lossEpoch;
    }

    /** The id of the client's current ZooKeeper session, or 0 if it has none. */
    long currentSessionId() {
        try {
            return client.getZookeeperClient().getZooKeeper().getSessionId();
        } catch (Exception e) {
            return 0;
        }
    }

    /**
     * Fails at once, without sending the create, if the client cannot connect within its connection
     * timeout: a create sent blind would leave Curator searching for a protected node that was never made.
     */
    void awaitConnection(String name) throws InterruptedException {
        if (client.getZookeeperClient().isConnected()) {
            return;
        }
        int timeout = client.getZookeeperClient().getConnectionTimeoutMs();
        if (!client.blockUntilConnected(timeout, TimeUnit.MILLISECONDS)) {
            throw new LockBackendException(name, BACKEND, "not connected to ZooKeeper within " + timeout + " ms", null);
        }
    }

    /**
     * The renewal check (one read, at a third of the lease time): no loss event since the grant, and the
     * node still exists, under the lease's session, with its czxid.
     */
    boolean verify(ZookeeperLease lease) {
        if (lease.grantEpoch() != lossEpoch) {
            lease.sessionLost(null); // a loss event the connection listener could not apply yet
            return false;
        }
        long session = currentSessionId();
        if (session != lease.sessionId()) {
            lease.sessionLost(null);
            return false;
        }
        Stat stat;
        try {
            stat = client.checkExists().forPath(lease.path());
        } catch (Exception e) {
            throw new LockBackendException(lease.name(), BACKEND, "renewal check failed", e);
        }
        return stat != null && stat.getCzxid() == lease.czxid() && stat.getEphemeralOwner() == lease.sessionId();
    }

    private void onStateChanged(ConnectionState state) {
        switch (state) {
            case SUSPENDED, READ_ONLY -> {
                if (treatSuspendedAsLost) {
                    loseAll(state);
                }
            }
            case LOST -> loseAll(state);
            case RECONNECTED, CONNECTED -> {
                deleter.deleteOrphans();
                long session = currentSessionId();
                for (AbstractLease lease : runtime.openLeases()) {
                    if (lease instanceof ZookeeperLease z && z.sessionId() != session) {
                        z.sessionLost(new IllegalStateException("reconnected with a new ZooKeeper session"));
                    }
                }
            }
            default -> {
            }
        }
        wakeWaiters.run();
        runtime.signals().signalAll();
    }

    private void loseAll(ConnectionState state) {
        long epoch = ++lossEpoch; // only this listener thread writes it
        IllegalStateException cause = new IllegalStateException("ZooKeeper connection " + state);
        sweep(epoch, cause);
        // a lease granted just before the event may not be tracked yet: look again shortly
        runtime.schedule(() -> sweep(epoch, cause), TimeUnit.MILLISECONDS.toNanos(200));
    }

    private void sweep(long epoch, Throwable cause) {
        for (AbstractLease lease : runtime.openLeases()) {
            if (lease instanceof ZookeeperLease z && z.grantEpoch() < epoch) {
                z.sessionLost(cause);
            }
        }
    }
}
