package dev.holdfast.lock.zookeeper;

import dev.holdfast.lock.spi.Ticker;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.WatchedEvent;
import org.apache.zookeeper.Watcher;
import org.jspecify.annotations.Nullable;

/**
 * The sleep of one waiting acquire: a watch on its immediate predecessor only (no herd), woken when that
 * node changes, when the connection changes ({@link #wake()}), or when the wait time ends; it never polls.
 *
 * <p>A waiter that is next in line also watches its own node (one read, set once while it waits), so that
 * a node deleted behind its back is never taken for a grant: ZooKeeper delivers a session's watch events in
 * the order of the changes, so when the predecessor's deletion is heard and our own node's is not, our node
 * still existed after the predecessor was gone. Only then may the acquire loop grant without listing again
 * ({@link #deletedAtIfOnly(String)}), counted from the moment the deletion was heard.
 *
 * <p>A waiter that gives up leaves its data watch on the predecessor until that node changes (ZooKeeper
 * watches are one-shot; the client keeps a small entry).
 */
final class QueueWaiter implements Watcher {

    /** What {@link #deletedAtIfOnly(String)} answers when no grant-making deletion was heard. */
    static final long NOT_SEEN = Long.MIN_VALUE;

    private final CuratorFramework client;
    private final Ticker ticker;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition woken = lock.newCondition();
    private boolean signalled;
    private @Nullable String deleted;
    private long deletedAt;
    private @Nullable String self;
    private boolean selfDeleted;

    QueueWaiter(CuratorFramework client, Ticker ticker) {
        this.client = client;
        this.ticker = ticker;
    }

    /**
     * Watches our own node at {@code path} (one read), so that its deletion is heard.
     *
     * @return false if the node is gone already
     */
    boolean watchOwnNode(String path) throws Exception {
        lock.lock();
        try {
            self = path;
        } finally {
            lock.unlock();
        }
        return client.checkExists().usingWatcher(this).forPath(path) != null;
    }

    /**
     * Forgets earlier wake-ups and deletions, then sets a data watch on the predecessor at {@code path} (one
     * read).
     *
     * @return false if the predecessor left between the list and the watch
     */
    boolean watchPredecessor(String path) throws Exception {
        lock.lock();
        try {
            signalled = false;
            deleted = null;
        } finally {
            lock.unlock();
        }
        try {
            client.getData().usingWatcher(this).forPath(path);
            return true;
        } catch (KeeperException.NoNodeException gone) {
            return false;
        }
    }

    @Override
    public void process(WatchedEvent event) {
        lock.lock();
        try {
            if (event.getType() == Watcher.Event.EventType.NodeDeleted) {
                if (event.getPath() != null && event.getPath().equals(self)) {
                    selfDeleted = true; // sticky: our node is gone for good
                } else {
                    deleted = event.getPath();
                    deletedAt = ticker.nanoTime();
                }
            }
        } finally {
            lock.unlock();
        }
        wake();
    }

    /**
     * When the deletion of the node at {@code path} was heard, if it was deleted since
     * {@link #watchPredecessor(String)} while our own node was not (ZooKeeper delivers a session's watch
     * events in the order of the changes); else {@link #NOT_SEEN}.
     */
    long deletedAtIfOnly(String path) {
        lock.lock();
        try {
            return path.equals(deleted) && self != null && !selfDeleted ? deletedAt : NOT_SEEN;
        } finally {
            lock.unlock();
        }
    }

    /** Ends the current {@link #await(long)} (or the next one, if none is under way). */
    void wake() {
        lock.lock();
        try {
            signalled = true;
            woken.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Sleeps until woken or {@code nanos} have passed. */
    void await(long nanos) throws InterruptedException {
        lock.lock();
        try {
            long remaining = nanos;
            while (!signalled && remaining > 0) {
                remaining = woken.awaitNanos(remaining);
            }
        } finally {
            lock.unlock();
        }
    }
}
