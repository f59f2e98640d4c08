package dev.holdfast.lock.zookeeper;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.LockInfo;
import dev.holdfast.lock.LockInspector;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.spi.AbstractLease;
import dev.holdfast.lock.spi.AbstractLockProvider;
import dev.holdfast.lock.spi.AbstractProviderBuilder;
import dev.holdfast.lock.spi.Backoff;
import dev.holdfast.lock.spi.LockRuntime;
import java.time.Duration;
import java.util.Optional;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.curator.utils.PathUtils;

/**
 * Locks in ZooKeeper, through an Apache Curator {@link CuratorFramework} the application already has: a
 * fair queue of ephemeral-sequential nodes per lock name, fencing tokens from ZooKeeper's global
 * transaction ids, and the ZooKeeper session as the lease.
 *
 * <pre>{@code
 * LockProvider locks = ZookeeperLockProvider.builder(curator)   // started, owned by the application
 *         .basePath("/holdfast/locks")
 *         .build();
 * try (Lease lease = locks.acquire(LockRequest.named("payout:" + sellerId).waitTime(Duration.ofSeconds(5)).build())) {
 *     payouts.pay(invoice, lease.token());
 * }
 * }</pre>
 *
 * <h2>Algorithm</h2>
 * <ol>
 *   <li>The lock lives in the folder {@code basePath/<segment>}, where the segment encodes the name
 *       injectively (percent-encoding; long names keep a readable prefix plus their SHA-256). Folders are
 *       ZooKeeper <em>container</em> nodes, which the server deletes atomically once they are empty.</li>
 *   <li>A try-once (no wait time) first lists the folder: if any queue node is there, the lock is busy
 *       and the request ends without creating anything.</li>
 *   <li>Acquire creates an {@code EPHEMERAL_SEQUENTIAL} node in the folder (with Curator's protection id,
 *       so a create retried after a lost reply finds its node) and lists the folder.</li>
 *   <li>The lowest sequence holds the lock. A waiter watches its immediate predecessor only (no herd) and
 *       sleeps until that watch fires, its wait time ends or the connection changes; it never polls. Every
 *       way out of an acquire other than a grant (busy, wait time over, interrupt, failure) deletes the
 *       request's own node. An interrupt ends the request with
 *       {@link dev.holdfast.lock.LockInterruptedException}.</li>
 *   <li>The grant's fencing token is the node's creation zxid ({@code Stat.czxid}).</li>
 *   <li>Release deletes the node (one round trip). With {@code minHold}, the delete is scheduled on the
 *       provider's scheduler for {@code acquiredAt + minHold}.</li>
 *   <li>Renewal (at a third of the lease time) checks that the node still exists, under the same session,
 *       with the same czxid: one read. A {@link ConnectionStateListener} ends leases when the session can no
 *       longer be trusted (below).</li>
 * </ol>
 * Round trips: an uncontended acquire with a wait time is 2 (create, list), an uncontended try-once 3
 * (list, create, list), a busy try-once 1 (list), a release 1 (delete), a renewal 1 (exists). A hand-off
 * to the next waiter costs the holder's delete and the watch notification only: the next in line, whose
 * predecessor was the holder, is granted without listing again (it also watches its own node, one read
 * while it waits, so that a node deleted behind its back is never taken for a grant); a waiter whose
 * predecessor was itself a waiter that gave up lists again.
 *
 * <h2>Fencing tokens: why the creation zxid</h2>
 * Every ZooKeeper write gets a zxid, totally ordered across the whole ensemble and increasing across leader
 * elections (the epoch is its high half). The next holder's node is always created after the previous
 * holder's (it queued behind it, or came after it was deleted), so its czxid is larger. The sequence number
 * would not do: it is a counter kept per parent node, so it starts again at zero when the (container) folder
 * is deleted and re-created, and it says nothing across lock names.
 *
 * <h2>The session is the lease</h2>
 * On the server, the lock is held exactly as long as the holder's node exists: until it is deleted or the
 * session that created it ends (the session timeout after the client falls silent). The request's lease
 * time still bounds the client's own belief. The local deadline is the lease time − margin after the read
 * that confirmed the grant (the start of the list that showed the node first, or the moment the holder's
 * deletion was heard by the next in line), not the lease time after the request's start, which may lie a
 * whole queue wait earlier; an acquire never returns a lease whose deadline already passed (it deletes the node and
 * fails instead). Each successful renewal check moves the deadline on; a lease with
 * {@code autoRenew(false)} expires locally after its lease time and its node is then deleted (a short
 * grace after the local deadline, 25 ms or the safety margin, so the server never frees the lock while
 * the holder may still believe it holds it); and a renewal that cannot reach ZooKeeper until that
 * deadline loses the lease. Besides that:
 * <ul>
 *   <li>{@code SUSPENDED} (connection to the ensemble lost, session maybe still alive) ends every lease of
 *       the provider with {@code CONNECTION_LOST} by default, because from then on the client cannot know
 *       whether the server still holds its node. With {@link Builder#treatSuspendedAsLost(boolean)
 *       treatSuspendedAsLost(false)} leases survive a suspension and end only on {@code LOST} (Curator's
 *       verdict that the session expired, at the latest a session timeout after the disconnect) or when a
 *       renewal cannot reach ZooKeeper before the local deadline.</li>
 *   <li>{@code LOST} always ends every lease. Each lease is reported lost once; its listeners run on
 *       Curator's connection-state thread.</li>
 *   <li>A lease never survives into a new session: on {@code RECONNECTED}, leases whose node belongs to
 *       another session are lost, and every renewal compares session ids. A lease granted in the instant a
 *       connection event arrives is caught by a second sweep 200 ms later, or at the latest by its next
 *       renewal check.</li>
 *   <li>When a lease ends this way its node is deleted in the background, at once or as soon as the
 *       connection returns, so a session that does survive does not keep a lock nobody believes it holds.
 *       The same goes for a release or an abandoned request whose delete could not be sent.</li>
 * </ul>
 *
 * <h2>A crashed waiter</h2>
 * A request that waits keeps its node in the queue while it waits. If its process dies (or freezes) while
 * queued, the node stays until the process's ZooKeeper session expires, and everyone queued behind it —
 * including new requests — waits that long once the lock frees: up to the session timeout (Curator's
 * {@code sessionTimeoutMs}, as negotiated with the server) after the process stopped. A dead holder blocks
 * the lock for the same time. Bound it by the session timeout: choose it as the longest time a dead
 * process may block a lock (the server clamps it to between 2 and 20 of its {@code tickTime} by default).
 * A try-once looks at the queue before it creates a node: a busy one creates none, and one that found the
 * queue empty but then lost the race deletes its node at once, so only a process killed in that instant
 * leaves a node behind.
 *
 * <p>Thread use: any thread may release or extend a lease (ownership is the lease, not a thread). The
 * provider never closes the {@code CuratorFramework}; close the provider first, then the client.
 */
public final class ZookeeperLockProvider extends AbstractLockProvider implements LockInspector {

    // The work is split the way Curator splits its mutex: this class is the facade (builder, inspect, close),
    // LockQueue creates and lists the queue nodes and decides grants, QueueWaiter sleeps on the predecessor's
    // watch, SessionGuard follows the connection and ends leases when the session can no longer be trusted,
    // and NodeDeleter deletes nodes (now, later, or once reconnected).

    static final String BACKEND = "zookeeper";
    /** Default base path of the lock folders. */
    public static final String DEFAULT_BASE_PATH = "/holdfast/locks";

    private final String basePath;
    private final NodeDeleter deleter;
    private final SessionGuard guard;
    private final LockQueue queue;

    private ZookeeperLockProvider(LockRuntime runtime, CuratorFramework client, String basePath, boolean treatSuspendedAsLost) {
        super(runtime, new Backoff(Duration.ofMillis(5), Duration.ofMillis(100)));
        this.basePath = basePath;
        this.deleter = new NodeDeleter(client, runtime, this::isClosed);
        this.guard = new SessionGuard(client, runtime, deleter, treatSuspendedAsLost, this::wakeWaiters);
        this.queue = new LockQueue(client, runtime, basePath, guard, deleter, this::isClosed);
        guard.start();
    }

    /**
     * A builder for a provider on {@code client}, which the application starts and closes (close this
     * provider first).
     */
    public static Builder builder(CuratorFramework client) {
        return new Builder(client);
    }

    /** The folder under which every lock has its own folder. */
    public String basePath() {
        return basePath;
    }

    @Override
    protected Optional<? extends AbstractLease> tryAcquireOnBackend(LockRequest request, long deadlineNanos)
            throws InterruptedException {
        return queue.acquire(request, deadlineNanos);
    }

    /**
     * The holder of {@code name} as ZooKeeper records it: owner id (the node's data), token (its czxid, raised
     * by {@code tokensAbove} like the lease's {@link dev.holdfast.lock.Lease#token()}) and
     * how many requests queue behind it. {@code acquiredAt} is not recorded (a node may queue before it is
     * granted) and {@code expiresIn} is null: the lock lives as long as the holder's session.
     */
    @Override
    public Optional<LockInfo> inspect(String name) {
        LockRequest.validateName(name);
        return queue.inspect(name);
    }

    @Override
    protected void closeBackend() {
        guard.stop();
        deleter.close();
        wakeWaiters();
    }

    private void wakeWaiters() {
        queue.wakeAll();
    }

    @Override
    public String toString() {
        return "ZookeeperLockProvider[" + runtime.instanceId() + ", " + basePath + "]";
    }

    /**
     * Builds a {@link ZookeeperLockProvider}. Each setter checks its value at once.
     */
    public static final class Builder extends AbstractProviderBuilder<Builder> {
        private final CuratorFramework client;
        private String basePath = DEFAULT_BASE_PATH;
        private boolean treatSuspendedAsLost = true;

        private Builder(CuratorFramework client) {
            this.client = requireNonNull(client, "client");
        }

        /**
         * The folder under which each lock gets its own folder (relative to the client's namespace, if it
         * has one). Default {@value #DEFAULT_BASE_PATH}. Providers that must exclude each other use the same
         * base path; it should hold nothing else.
         *
         * @throws IllegalArgumentException if it is not a valid absolute ZooKeeper path, is the root, or is
         *                                  under {@code /zookeeper}
         */
        public Builder basePath(String basePath) {
            requireNonNull(basePath, "basePath");
            try {
                PathUtils.validatePath(basePath);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("basePath must be a valid ZooKeeper path, was '" + basePath + "': "
                        + e.getMessage(), e);
            }
            if (basePath.equals("/") || basePath.equals("/zookeeper") || basePath.startsWith("/zookeeper/")) {
                throw new IllegalArgumentException("basePath must be a folder of its own, not '" + basePath + "'");
            }
            this.basePath = basePath;
            return this;
        }

        /**
         * Whether a SUSPENDED connection ends every lease at once (default {@code true}). With {@code false},
         * leases end on LOST (the session expired) or when a renewal cannot reach ZooKeeper before the
         * local deadline; this rides out short disconnections at the cost of a window in which the
         * server may already have handed the lock on while this client still believes it holds it.
         */
        public Builder treatSuspendedAsLost(boolean treatSuspendedAsLost) {
            this.treatSuspendedAsLost = treatSuspendedAsLost;
            return this;
        }

        /**
         * Builds the provider and registers its connection-state listener on the client.
         *
         * @throws IllegalStateException if the client was already closed
         */
        public ZookeeperLockProvider build() {
            if (client.getState() == CuratorFrameworkState.STOPPED) {
                throw new IllegalStateException("the CuratorFramework is closed");
            }
            return new ZookeeperLockProvider(runtime(BACKEND), client, basePath, treatSuspendedAsLost);
        }
    }
}
