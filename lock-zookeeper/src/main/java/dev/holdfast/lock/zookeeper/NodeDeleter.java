package dev.holdfast.lock.zookeeper;

import static dev.holdfast.lock.zookeeper.ZookeeperLockProvider.BACKEND;

import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.spi.LockRuntime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.imps.CuratorFrameworkState;
import org.apache.zookeeper.KeeperException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes queue nodes of one provider: a release's delete (one round trip), delayed deletes (minHold, and
 * the grace after a lost lease's local deadline), and deletes that could not be sent yet.
 *
 * <ul>
 *   <li>Each delete names one node by its full path (Curator's protection id plus the sequence), so it can
 *       only ever delete the node of the lease or request it was made for.</li>
 *   <li>A release with {@code minHold} deletes the node on the provider's scheduler at
 *       {@code acquiredAt + minHold}. When the provider closes, such pending deletes move off its scheduler
 *       and still run when due (as long as the client is open).</li>
 *   <li>A lease that is released after its local deadline passed (a lost lease being cleaned up, or one with
 *       {@code autoRenew(false)} that expired locally) has its node deleted after a short grace, 25 ms or the
 *       safety margin, so that the server frees the lock strictly after the holder stopped believing it held
 *       it, as a server-side expiry would.</li>
 *   <li>Nodes of ended leases, released leases and abandoned requests whose delete could not be sent
 *       (disconnected) are remembered as <em>orphans</em> and deleted in the background as soon as the
 *       connection returns (the {@link SessionGuard} hears of it) or the next acquire starts. A node that
 *       belonged to an expired session is already gone, and deleting it again does nothing. On close, the
 *       orphans left are handed to Curator's guaranteed deletes, since the provider no longer hears of
 *       reconnections.</li>
 * </ul>
 */
final class NodeDeleter {

    /** The provider's logger: log settings for the provider keep covering its deletes. */
    private static final Logger log = LoggerFactory.getLogger(ZookeeperLockProvider.class);
    private static final long MIN_EXPIRY_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(25);
    /** Attempts of a background delete while connected, before the node waits for a reconnection. */
    private static final int BACKGROUND_ATTEMPTS = 5;
    private static final long RETRY_PAUSE_MILLIS = 100;

    private final CuratorFramework client;
    private final LockRuntime runtime;
    private final BooleanSupplier providerClosed;
    private final Map<String, DelayedDelete> delayedDeletes = new ConcurrentHashMap<>();
    /** Nodes of ended leases and abandoned requests that could not be deleted yet (disconnected). */
    private final Set<String> orphans = ConcurrentHashMap.newKeySet();

    /**
     * @param client         the provider's client
     * @param runtime        the provider's runtime (ticker, scheduler)
     * @param providerClosed whether the provider's {@code close()} was called
     */
    NodeDeleter(CuratorFramework client, LockRuntime runtime, BooleanSupplier providerClosed) {
        this.client = client;
        this.runtime = runtime;
        this.providerClosed = providerClosed;
    }

    /**
     * Deletes the lease's node now, or after {@code keepFor} (minHold). When the lease already passed its
     * local deadline (a lost lease being cleaned up), the delete waits a short grace so that the server
     * frees the lock strictly after the holder stopped believing it held it, as a server-side expiry would.
     */
    void deleteNode(ZookeeperLease lease, Duration keepFor) {
        long delay = keepFor.toNanos();
        if (delay == 0 && !providerClosed.getAsBoolean() && runtime.ticker().nanoTime() - lease.deadlineNanos() >= 0) {
            delay = Math.max(MIN_EXPIRY_GRACE_NANOS, runtime.safetyMarginNanos(lease.leaseTime()));
        }
        if (delay > 0) {
            deleteLater(lease.path(), delay);
            return;
        }
        try {
            client.delete().quietly().forPath(lease.path());
        } catch (Exception e) {
            deleteInBackground(lease.path()); // sent again now, or when the connection returns
            throw new LockBackendException(lease.name(), BACKEND,
                    "release failed (the node's delete is retried in the background)", e);
        }
    }

    private void deleteLater(String path, long delayNanos) {
        long due = runtime.ticker().nanoTime() + delayNanos;
        DelayedDelete pending = new DelayedDelete(path, due);
        delayedDeletes.put(path, pending);
        ScheduledFuture<?> future = runtime.schedule(() -> {
            if (delayedDeletes.remove(path, pending)) {
                deleteInBackground(path);
            }
        }, delayNanos);
        if (future == null) { // the runtime is closed
            delayedDeletes.remove(path, pending);
            handOver(pending);
        } else {
            pending.future = future;
        }
    }

    /** A delete scheduled for later (minHold), remembered so that closing the provider does not drop it. */
    private static final class DelayedDelete {
        final String path;
        final long dueNanos;
        volatile @Nullable ScheduledFuture<?> future;

        DelayedDelete(String path, long dueNanos) {
            this.path = path;
            this.dueNanos = dueNanos;
        }
    }

    /** Moves a delayed delete off the provider's scheduler (which stops when the provider closes). */
    private void handOver(DelayedDelete pending) {
        long remaining = Math.max(0, pending.dueNanos - runtime.ticker().nanoTime());
        CompletableFuture.delayedExecutor(remaining, TimeUnit.NANOSECONDS)
                .execute(() -> deleteInBackground(pending.path));
    }

    /**
     * Deletes {@code path} in the background now if connected, else once the connection returns (a node
     * that belonged to an expired session is already gone, and deleting it again does nothing).
     */
    void deleteInBackground(String path) {
        deleteInBackground(path, 1);
    }

    /**
     * Sends attempt {@code attempt} of a background delete. A delete that fails while the client is still
     * connected is sent again after a short pause ({@code attempt} times {@value #RETRY_PAUSE_MILLIS} ms), up
     * to {@value #BACKGROUND_ATTEMPTS} attempts; after that, or once disconnected, the node is an orphan,
     * deleted when the connection returns or the next acquire starts.
     */
    private void deleteInBackground(String path, int attempt) {
        if (client.getState() != CuratorFrameworkState.STARTED) {
            return;
        }
        if (!client.getZookeeperClient().isConnected()) {
            orphans.add(path);
            return;
        }
        try {
            client.delete().quietly().inBackground((c, event) -> {
                int rc = event.getResultCode();
                if (rc != KeeperException.Code.OK.intValue() && rc != KeeperException.Code.NONODE.intValue()) {
                    retryLater(path, attempt);
                }
            }).forPath(path);
        } catch (Exception e) {
            retryLater(path, attempt);
        }
    }

    private void retryLater(String path, int failedAttempt) {
        if (failedAttempt >= BACKGROUND_ATTEMPTS || !client.getZookeeperClient().isConnected()) {
            orphans.add(path);
            return;
        }
        long pause = TimeUnit.MILLISECONDS.toNanos(RETRY_PAUSE_MILLIS) * failedAttempt;
        ScheduledFuture<?> retry = runtime.schedule(() -> deleteInBackground(path, failedAttempt + 1), pause);
        if (retry == null) { // the provider closed: it no longer hears of reconnections
            handToCurator(path);
        }
    }

    /**
     * Deletes {@code path} now, on the calling thread, even if it was interrupted (its interrupt flag is kept).
     * A delete that fails (a second interrupt, a lost connection) is sent again at once in the background,
     * where no caller's interrupt reaches it, so that an idle provider does not keep the node; if the client
     * is disconnected, it is sent once the connection returns.
     */
    void deleteQuietly(String path) {
        boolean interrupted = Thread.interrupted(); // an interrupted thread still cleans up its node
        try {
            client.delete().quietly().forPath(path);
        } catch (Exception e) {
            interrupted |= Thread.interrupted(); // a second interrupt is the caller's too; kept below
            log.debug("delete of {} failed; retried in the background", path, e);
            deleteInBackground(path);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Whether some node waits to be deleted once the connection allows. */
    boolean hasOrphans() {
        return !orphans.isEmpty();
    }

    /** Sends the deletes of the nodes that could not be deleted before, in the background. */
    void deleteOrphans() {
        for (String path : List.copyOf(orphans)) {
            if (orphans.remove(path)) {
                deleteInBackground(path);
            }
        }
    }

    /**
     * For the provider's close: moves the pending delayed deletes off its scheduler (they still run when
     * due), and hands the orphans to Curator's guaranteed deletes, since this provider no longer hears of
     * reconnections.
     */
    void close() {
        for (DelayedDelete pending : List.copyOf(delayedDeletes.values())) {
            if (delayedDeletes.remove(pending.path, pending)) {
                ScheduledFuture<?> f = pending.future;
                if (f != null) {
                    f.cancel(false);
                }
                handOver(pending);
            }
        }
        // this provider no longer hears of reconnections: leave what is left to Curator's guaranteed deletes
        for (String path : List.copyOf(orphans)) {
            handToCurator(path);
        }
        orphans.clear();
    }

    /** Leaves the delete of {@code path} to Curator's guaranteed deletes (retried by Curator until it is done). */
    private void handToCurator(String path) {
        try {
            if (client.getState() == CuratorFrameworkState.STARTED) {
                client.delete().quietly().guaranteed().inBackground().forPath(path);
            }
        } catch (Exception e) {
            log.debug("could not hand {} to Curator's guaranteed delete", path, e);
        }
    }
}
