package dev.holdfast.lock.zookeeper;

import static dev.holdfast.lock.zookeeper.ZookeeperLockProvider.BACKEND;

import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockInfo;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.spi.LockRuntime;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * The queue side of one provider: the fair queue of ephemeral-sequential nodes per lock name, the loop
 * that creates a request's node, lists the queue and decides between a grant and a wait behind the
 * predecessor, and the read of the holder for {@code inspect}.
 *
 * <ol>
 *   <li>The lock lives in the folder {@code basePath/<segment>}, where the segment encodes the name
 *       injectively ({@link LockPaths}). Folders are ZooKeeper <em>container</em> nodes: the server deletes
 *       one once it is empty, atomically, so cleanup never races a new holder (a create that finds the folder
 *       gone re-creates it and retries).</li>
 *   <li>A try-once (no wait time) first lists the folder: if any queue node is there, the lock is busy and
 *       the request ends without creating anything (so a process that dies in the middle of a try-once
 *       leaves nothing behind).</li>
 *   <li>Acquire creates an {@code EPHEMERAL_SEQUENTIAL} node {@code lease-NNNNNNNNNN} in the folder (with
 *       Curator's protection id, so a create retried after a lost reply finds its node), recording the owner
 *       id as data and reading the node's {@code Stat} from the same reply (when Curator found the node
 *       again after a lost reply it returns no Stat: then the node's Stat is read); then lists the folder.
 *       A create that finds the folder just removed by the server is retried.</li>
 *   <li>The lowest sequence holds the lock. A waiter sets a watch on its immediate predecessor only (no
 *       herd) and sleeps until that watch fires, its wait time ends or the connection changes
 *       ({@link QueueWaiter}); it never polls. If the predecessor was the holder and its node was deleted,
 *       the waiter holds the lock now; otherwise it lists the folder again. Every way out of an acquire other
 *       than a grant (busy, wait time over, interrupt, failure) deletes the request's own node; a create
 *       whose outcome is unknown (it failed after the request was sent) is found by its protection id and
 *       deleted by Curator in the background. An interrupt ends the request with an
 *       {@link InterruptedException} (the provider turns it into
 *       {@link dev.holdfast.lock.LockInterruptedException}).</li>
 *   <li>The grant's fencing token is the node's creation zxid ({@code Stat.czxid}).</li>
 * </ol>
 *
 * <p>Round trips: an uncontended acquire with a wait time is 2 (create, list), an uncontended try-once 3
 * (list, create, list), a busy try-once 1 (list). A hand-off to the next waiter costs the holder's delete
 * and the watch notification only: when the node just before a waiter was the holder's and it is deleted,
 * the waiter's node is the lowest (sequence numbers only grow, so nothing can appear below it) and it is
 * granted without listing again; a waiter whose predecessor was itself a waiter that gave up lists again.
 * A waiter that becomes next in line also watches its own node (one read, while it waits), so that a node
 * deleted behind its back is never taken for a grant.
 *
 * <p>The grant's local deadline is the lease time − margin after the read that confirmed the grant (the
 * start of the list that showed the node first, or the moment the holder's deletion was heard by the next
 * in line), not from the request's start, which may lie a whole queue wait earlier. An acquire never
 * returns a lease whose deadline already passed: it deletes the node and fails instead. A grant also needs
 * the session that created the node and no loss event ({@link SessionGuard#lossEpoch()}) since the
 * confirming read began.
 *
 * <p>A request that waits keeps its node in the queue while it waits. If its process dies (or freezes)
 * while queued, the node stays until the process's ZooKeeper session expires, and everyone queued behind it
 * waits that long once the lock frees. A try-once looks at the queue before it creates a node: a busy one
 * creates none, and one that found the queue empty but then lost the race deletes its node at once, so
 * only a process killed in that instant leaves a node behind.
 */
final class LockQueue {

    private static final int MAX_CREATE_ATTEMPTS = 5;

    private final CuratorFramework client;
    private final LockRuntime runtime;
    private final String basePath;
    private final SessionGuard guard;
    private final NodeDeleter deleter;
    private final BooleanSupplier providerClosed;
    private final Set<QueueWaiter> waiters = ConcurrentHashMap.newKeySet();

    /**
     * @param client         the provider's client
     * @param runtime        the provider's runtime (ticker, owner ids)
     * @param basePath       the folder under which every lock has its own folder
     * @param guard          the provider's session guard (connection, session id, loss epoch)
     * @param deleter        deletes the nodes of requests that were not granted
     * @param providerClosed whether the provider's {@code close()} was called
     */
    LockQueue(CuratorFramework client, LockRuntime runtime, String basePath, SessionGuard guard, NodeDeleter deleter,
              BooleanSupplier providerClosed) {
        this.client = client;
        this.runtime = runtime;
        this.basePath = basePath;
        this.guard = guard;
        this.deleter = deleter;
        this.providerClosed = providerClosed;
    }

    /** The folder of lock {@code name}: {@code basePath} plus the name's encoded segment. */
    String lockFolder(String name) {
        return ZKPaths.makePath(basePath, LockPaths.segment(name));
    }

    /** Wakes every waiting acquire, to look at the queue, the session and the provider again. */
    void wakeAll() {
        waiters.forEach(QueueWaiter::wake);
    }

    /**
     * One acquire: queues a node for {@code request} and waits for it to be the lowest until
     * {@code deadlineNanos}.
     *
     * @return the lease, or empty if the lock stayed busy (or the provider closed) until the deadline
     * @throws InterruptedException  if interrupted while waiting or while a ZooKeeper call was in flight
     * @throws LockBackendException  if ZooKeeper failed, the node or session vanished, or the grant came too late
     */
    Optional<ZookeeperLease> acquire(LockRequest request, long deadlineNanos) throws InterruptedException {
        String name = request.name();
        if (client.getState() != CuratorFrameworkState.STARTED) {
            throw new IllegalStateException("the CuratorFramework must be started (and not closed) to take lock '"
                    + name + "', it is " + client.getState());
        }
        String folder = lockFolder(name);
        String owner = runtime.newOwnerId();
        String ours = null;
        QueueWaiter waiter = new QueueWaiter(client, runtime.ticker());
        waiters.add(waiter);
        try {
            guard.awaitConnection(name);
            if (deleter.hasOrphans()) {
                deleter.deleteOrphans();
            }
            if (request.waitTime().isZero() && !queueOf(folder).isEmpty()) {
                // a try-once looks before it queues: when busy it never creates a node, so a process that dies
                // mid-request leaves nothing behind that could block others until its session expires
                return Optional.empty();
            }
            Stat created = new Stat();
            ours = createQueueNode(folder, owner, created);
            if (created.getCzxid() == 0) {
                // Curator's protected mode found our node again after a lost create reply and returned its path
                // without filling the Stat: read it (czxid is the token, ephemeralOwner the session)
                Stat read = client.checkExists().forPath(ours);
                if (read == null) {
                    throw new LockBackendException(name, BACKEND,
                            "the queue node vanished right after its create (its session ended?)", null);
                }
                created = read;
            }
            String node = ZKPaths.getNodeFromPath(ours);
            long session = created.getEphemeralOwner();
            boolean watchingSelf = false;
            while (true) {
                long epoch = guard.lossEpoch();
                long listedAt = runtime.ticker().nanoTime(); // a grant this list confirms counts from here
                List<String> queue = LockPaths.queue(client.getChildren().forPath(folder));
                int index = queue.indexOf(node);
                if (index < 0) {
                    throw new LockBackendException(name, BACKEND,
                            "the queue node vanished while waiting (session 0x" + Long.toHexString(session) + " ended?)", null);
                }
                if (index == 0 && epoch == guard.lossEpoch()) {
                    ZookeeperLease lease = grant(request, created.getCzxid(), owner, listedAt, ours, session, epoch);
                    ours = null; // granted: keep the node
                    return Optional.of(lease);
                }
                long remaining = deadlineNanos - runtime.ticker().nanoTime();
                if (remaining <= 0 || providerClosed.getAsBoolean()) {
                    return Optional.empty();
                }
                if (index == 0) {
                    continue; // a loss event came between the list and now: look again
                }
                if (index == 1 && !watchingSelf) {
                    // next in line: a watch on our own node tells us if it is deleted behind our back, so
                    // that the holder's delete can grant us the lock without listing again
                    if (!waiter.watchOwnNode(ours)) {
                        continue; // gone already: the list says so
                    }
                    watchingSelf = true;
                }
                String predecessor = ZKPaths.makePath(folder, queue.get(index - 1));
                if (!waiter.watchPredecessor(predecessor)) {
                    continue; // the predecessor left between the list and the watch
                }
                waiter.await(remaining);
                long deletedAt = waiter.deletedAtIfOnly(predecessor);
                if (index == 1 && deletedAt != QueueWaiter.NOT_SEEN && epoch == guard.lossEpoch()
                        && guard.currentSessionId() == session) {
                    // The holder's node is gone and ours was next. No node below ours can appear (sequence
                    // numbers only grow), so ours is now the lowest: granted without listing again, counted
                    // from the moment the deletion was heard.
                    ZookeeperLease lease = grant(request, created.getCzxid(), owner, deletedAt, ours, session, epoch);
                    ours = null;
                    return Optional.of(lease);
                }
            }
        } catch (InterruptedException e) {
            throw e; // the node is deleted below; the caller restores the interrupt flag
        } catch (LockBackendException e) {
            if (interruptedBy(e)) {
                throw interruption(e);
            }
            throw e;
        } catch (Exception e) {
            if (interruptedBy(e)) {
                throw interruption(e);
            }
            throw new LockBackendException(name, BACKEND, "acquire failed", e);
        } finally {
            waiters.remove(waiter);
            if (ours != null) {
                // every way out but a grant (busy, wait over, interrupt, failure) deletes our own node, so that
                // no orphan blocks the queue; a create whose outcome is unknown (it threw) is found by its
                // protection id and deleted by Curator in the background
                deleter.deleteQuietly(ours);
            }
        }
    }

    /**
     * The lease for a node found to be the lowest in its folder by a read that started at
     * {@code confirmedAt}: its local deadline counts from that read (not from the request's start, which
     * may lie a whole queue wait earlier). A grant confirmed so late that its deadline already passed is
     * not handed out: the caller's {@code finally} deletes the node and the acquire fails.
     */
    private ZookeeperLease grant(LockRequest request, long czxid, String owner, long confirmedAt, String path,
                                 long session, long epoch) {
        if (guard.currentSessionId() != session) {
            throw new LockBackendException(request.name(), BACKEND, "the session changed while acquiring", null);
        }
        ZookeeperLease lease = new ZookeeperLease(guard, deleter, runtime, request, czxid, owner, confirmedAt, path,
                session, epoch);
        if (runtime.ticker().nanoTime() - lease.deadlineNanos() >= 0) {
            throw new LockBackendException(request.name(), BACKEND, "ZooKeeper confirmed the grant only after its "
                    + "lease time (" + request.leaseTime() + ") had passed; the node was given up", null);
        }
        return lease;
    }

    /**
     * The holder of {@code name} as the queue shows it (two reads: the list, then the first node's data and
     * Stat); a holder that leaves between the two reads makes it list again (up to 10 times).
     */
    Optional<LockInfo> inspect(String name) {
        String folder = lockFolder(name);
        try {
            for (int attempt = 0; attempt < 10; attempt++) {
                List<String> queue = queueOf(folder);
                if (queue.isEmpty()) {
                    return Optional.empty();
                }
                Stat stat = new Stat();
                byte[] data;
                try {
                    data = client.getData().storingStatIn(stat).forPath(ZKPaths.makePath(folder, queue.get(0)));
                } catch (KeeperException.NoNodeException e) {
                    continue; // the holder left between the two reads
                }
                // the token callers see: the czxid plus the provider's tokensAbove offset, as on the lease
                return Optional.of(new LockInfo(name, new String(data, StandardCharsets.UTF_8),
                        runtime.visibleToken(stat.getCzxid()),
                        null, null, queue.size() - 1));
            }
            return Optional.empty();
        } catch (Exception e) {
            throw new LockBackendException(name, BACKEND, "inspect failed", e);
        }
    }

    /** The queue nodes of {@code folder}, first to last; empty if the folder does not exist. */
    private List<String> queueOf(String folder) throws Exception {
        try {
            return LockPaths.queue(client.getChildren().forPath(folder));
        } catch (KeeperException.NoNodeException e) {
            return List.of();
        }
    }

    /**
     * Creates this request's ephemeral-sequential queue node (and the folders, as containers, if needed).
     * The server removes an empty container folder at any moment, so a create can find the folder Curator
     * just made gone again (NoNode, nothing was created): that is retried.
     */
    private String createQueueNode(String folder, String owner, Stat created) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return client.create()
                        .storingStatIn(created)
                        .creatingParentContainersIfNeeded()
                        .withProtection()
                        .withMode(CreateMode.EPHEMERAL_SEQUENTIAL)
                        .forPath(ZKPaths.makePath(folder, LockPaths.NODE_NAME), owner.getBytes(StandardCharsets.UTF_8));
            } catch (KeeperException.NoNodeException e) {
                if (attempt >= MAX_CREATE_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private static boolean interruptedBy(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedException) {
                return true;
            }
        }
        return false;
    }

    private static InterruptedException interruption(Throwable cause) {
        InterruptedException e = new InterruptedException("interrupted while talking to ZooKeeper");
        e.initCause(cause);
        return e;
    }
}
