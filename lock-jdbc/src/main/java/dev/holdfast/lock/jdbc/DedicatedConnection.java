package dev.holdfast.lock.jdbc;

import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockInterruptedException;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.spi.LockRuntime;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One database session that holds many session-scoped locks at once (advisory locks, GET_LOCK).
 *
 * <ul>
 *   <li>Statements on it run one at a time (this object's monitor); each is one round trip.</li>
 *   <li>{@code held} maps each key the session holds (or keeps for a minHold) to its lease. A key already
 *       there is busy: session locks are re-entrant, so without this two names whose keys collide would
 *       both be granted on the same session.</li>
 *   <li>Liveness: one shared heartbeat ({@code SELECT 1}) every quarter of the shortest open lease time,
 *       not a query per lease. Leases' renewals only check that the session is still the one they were
 *       granted on and was seen alive recently.</li>
 *   <li>When the session is found dead, every lease on it is reported lost ({@code CONNECTION_LOST}); the
 *       next request opens a new session.</li>
 *   <li>A statement whose outcome is unknown ends the session, so that the server frees what it may have
 *       taken: an acquire whose reply is lost, an unlock that failed (a key is forgotten only after its
 *       unlock succeeded; since session locks are re-entrant, a key left locked would be granted to this
 *       session again while every other process sees it busy). The other leases on the session are reported
 *       lost.</li>
 *   <li>The session runs at READ COMMITTED whatever the pool's default isolation (the MySQL fence table's
 *       upsert must not fail with a serialization error or gap-lock deadlock at REPEATABLE READ).</li>
 * </ul>
 */
final class DedicatedConnection {

    private static final Logger log = LoggerFactory.getLogger(DedicatedConnection.class);
    private static final long MIN_HEARTBEAT_NANOS = 5_000_000L;

    private final DataSource dataSource;
    private final LockRuntime runtime;
    private final SessionSql sql;
    private final Duration networkTimeout;

    // guarded by this
    private @Nullable Connection connection;
    private long generation;
    private final Map<Object, Object> held = new HashMap<>();
    private @Nullable ScheduledFuture<?> heartbeat;
    private long heartbeatNanos = Long.MAX_VALUE;
    private boolean closed;
    private int pooledIsolation = -1; // the isolation to restore before the connection goes back, if changed

    private volatile long lastAliveNanos;

    DedicatedConnection(DataSource dataSource, LockRuntime runtime, SessionSql sql, Duration networkTimeout) {
        this.dataSource = dataSource;
        this.runtime = runtime;
        this.sql = sql;
        this.networkTimeout = networkTimeout;
    }

    /** One attempt to take {@code key} for {@code request}; empty if busy (here or in another session). */
    Optional<SessionLease> tryAcquire(LockRequest request, Object key) {
        List<SessionLease> lost = new ArrayList<>();
        SQLException cause = null;
        try {
            synchronized (this) {
                if (held.containsKey(key)) {
                    return Optional.empty();
                }
                for (int attempt = 0; ; attempt++) {
                    Connection c = connection(request.name());
                    long start = runtime.ticker().nanoTime();
                    Long token;
                    try {
                        token = sql.tryLock(c, key);
                    } catch (SQLException e) {
                        if (Jdbc.isConnectionError(c, e)) {
                            // the reply is lost: the statement may have taken the key, so the session must end
                            // (breakConnection aborts it) for the server to free it
                            lost.addAll(breakConnection());
                            cause = e;
                            if (attempt == 0) {
                                continue; // the session was gone before we asked: ask once more on a new one
                            }
                        } else if (!undo(c, key)) {
                            lost.addAll(breakConnection()); // cannot tell whether the key is free: end the session
                            cause = e;
                        }
                        throw new LockBackendException(request.name(), runtime.backend(), "acquire failed", e);
                    }
                    lastAliveNanos = runtime.ticker().nanoTime();
                    if (token == null) {
                        return Optional.empty();
                    }
                    SessionLease lease = new SessionLease(runtime, request, token, runtime.newOwnerId(), start, this, key, generation);
                    lease.confirmedNanos = lastAliveNanos;
                    held.put(key, lease);
                    ensureHeartbeat(request.leaseTime());
                    return Optional.of(lease);
                }
            }
        } finally {
            reportLost(lost, cause);
        }
    }

    /** Renewal of a session lease: the session must be the lease's and alive. */
    boolean renew(SessionLease lease, Duration leaseTime) {
        List<SessionLease> lost = new ArrayList<>();
        SQLException cause = null;
        try {
            synchronized (this) {
                if (lease.generation != generation || connection == null || held.get(lease.key) != lease) {
                    lost.add(lease);
                    return false;
                }
                long alive = lastAliveNanos;
                if (alive - lease.confirmedNanos > 0) {
                    lease.confirmedNanos = alive; // the heartbeat (or another statement) saw the session since
                    return true;
                }
                Connection c = connection;
                try {
                    sql.ping(c);
                    lastAliveNanos = runtime.ticker().nanoTime();
                    lease.confirmedNanos = lastAliveNanos;
                    return true;
                } catch (SQLException e) {
                    if (Jdbc.isConnectionError(c, e)) {
                        lost.addAll(breakConnection());
                        cause = e;
                        return false;
                    }
                    throw new LockBackendException(lease.name(), runtime.backend(), "liveness check failed", e);
                }
            }
        } finally {
            reportLost(lost, cause);
        }
    }

    /** Frees the lease's key now, or after {@code keepFor} (minHold) on the runtime's scheduler. */
    void release(SessionLease lease, Duration keepFor) {
        List<SessionLease> lost = new ArrayList<>();
        SQLException cause = null;
        try {
            synchronized (this) {
                if (lease.generation != generation || connection == null || held.get(lease.key) != lease) {
                    return; // the session that held it is gone, and the lock with it
                }
                if (!keepFor.isZero()) {
                    Object keeping = new Object();
                    held.put(lease.key, keeping);
                    long gen = generation;
                    if (runtime.schedule(() -> delayedUnlock(lease.key, keeping, gen, lease.name()), keepFor.toNanos()) != null) {
                        return;
                    }
                    // the provider is closing: its session ends, and the lock with it
                }
                Connection c = connection;
                try {
                    sql.unlock(c, lease.key, lease.name());
                    held.remove(lease.key); // only now: a key still locked on the session must stay busy here
                    lastAliveNanos = runtime.ticker().nanoTime();
                } catch (SQLException e) {
                    // the unlock may not have run: end the session, so the server frees every lock on it
                    held.remove(lease.key);
                    if (!Jdbc.isConnectionError(c, e)) {
                        log.warn("{}: release of lock '{}' failed; ending the lock session so the server frees it",
                                runtime.backend(), lease.name(), e);
                    }
                    lost.addAll(breakConnection());
                    cause = e;
                }
            }
        } finally {
            reportLost(lost, cause);
        }
    }

    private void delayedUnlock(Object key, Object keeping, long gen, String name) {
        List<SessionLease> lost = new ArrayList<>();
        SQLException cause = null;
        synchronized (this) {
            if (gen != generation || held.get(key) != keeping || connection == null) {
                return;
            }
            Connection c = connection;
            try {
                sql.unlock(c, key, name);
                held.remove(key); // only now: a key still locked on the session must stay busy here
            } catch (SQLException e) {
                // the unlock may not have run: end the session, so the server frees every lock on it
                held.remove(key);
                if (!Jdbc.isConnectionError(c, e)) {
                    log.warn("{}: delayed release of lock '{}' failed; ending the lock session so the server frees it",
                            runtime.backend(), name, e);
                }
                lost.addAll(breakConnection());
                cause = e;
            }
        }
        reportLost(lost, cause);
        runtime.signals().signal(name);
    }

    /** Whether this session holds (or keeps for minHold) {@code key}. */
    synchronized boolean holds(Object key) {
        return held.containsKey(key);
    }

    /** The lease on {@code key} held through this session, if any. */
    synchronized @Nullable SessionLease leaseOn(Object key) {
        return held.get(key) instanceof SessionLease lease ? lease : null;
    }

    /** Frees every lock, gives the connection back and stops the heartbeat. Leases must be closed first. */
    void close() {
        synchronized (this) {
            closed = true;
            cancelHeartbeat();
            held.clear();
            Connection c = connection;
            connection = null;
            generation++;
            if (c != null) {
                try {
                    sql.unlockAll(c); // a pooled session must not keep our locks
                    if (pooledIsolation != -1) {
                        c.setTransactionIsolation(pooledIsolation);
                    }
                    Jdbc.closeQuietly(c);
                } catch (SQLException | RuntimeException e) {
                    Jdbc.abortQuietly(c);
                }
            }
        }
    }

    // guarded by this
    private Connection connection(String lockName) {
        if (closed) {
            throw new IllegalStateException(runtime.backend() + " lock provider is closed");
        }
        Connection c = connection;
        if (c != null) {
            return c;
        }
        try {
            c = Jdbc.autoCommitConnection(dataSource);
        } catch (SQLException e) {
            if (Jdbc.isInterruption(e)) {
                Thread.currentThread().interrupt();
                throw Jdbc.interrupted(lockName, e);
            }
            throw new LockBackendException(lockName, runtime.backend(), "cannot open the lock connection", e);
        }
        try {
            c.setNetworkTimeout(Jdbc.DIRECT, (int) Math.min(Integer.MAX_VALUE, networkTimeout.toMillis()));
            int isolation = c.getTransactionIsolation();
            if (isolation != Connection.TRANSACTION_READ_COMMITTED) {
                c.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
                pooledIsolation = isolation;
            } else {
                pooledIsolation = -1;
            }
            sql.onConnect(c);
        } catch (SQLException e) {
            Jdbc.abortQuietly(c);
            throw new LockBackendException(lockName, runtime.backend(), "cannot prepare the lock connection", e);
        }
        connection = c;
        generation++;
        lastAliveNanos = runtime.ticker().nanoTime();
        return c;
    }

    // guarded by this
    private List<SessionLease> breakConnection() {
        Jdbc.abortQuietly(connection);
        connection = null;
        generation++;
        cancelHeartbeat();
        List<SessionLease> leases = new ArrayList<>();
        for (Object v : held.values()) {
            if (v instanceof SessionLease lease) {
                leases.add(lease);
            }
        }
        held.clear();
        if (!leases.isEmpty()) {
            log.warn("{} lock connection lost: {} lease(s) on it are lost", runtime.backend(), leases.size());
        }
        return leases;
    }

    /** Unlocks a key a failed statement may have taken; false if that failed too. */
    private boolean undo(Connection c, Object key) {
        try {
            sql.unlock(c, key, "");
            return true;
        } catch (SQLException | RuntimeException e) {
            return false;
        }
    }

    private static void reportLost(List<SessionLease> leases, @Nullable Throwable cause) {
        for (SessionLease lease : leases) {
            lease.connectionLost(cause);
        }
    }

    // guarded by this
    private void ensureHeartbeat(Duration leaseTime) {
        long interval = Math.max(MIN_HEARTBEAT_NANOS, leaseTime.toNanos() / 4);
        if (heartbeat != null && heartbeatNanos <= interval) {
            return;
        }
        cancelHeartbeat();
        heartbeatNanos = interval;
        heartbeat = runtime.scheduleWithFixedDelay(this::beat, Duration.ofNanos(interval));
    }

    // guarded by this
    private void cancelHeartbeat() {
        if (heartbeat != null) {
            heartbeat.cancel(false);
            heartbeat = null;
        }
        heartbeatNanos = Long.MAX_VALUE;
    }

    private void beat() {
        List<SessionLease> lost = new ArrayList<>();
        SQLException cause = null;
        synchronized (this) {
            if (held.isEmpty() || connection == null) {
                cancelHeartbeat(); // restarted by the next grant, at that lease's pace
                return;
            }
            if (runtime.ticker().nanoTime() - lastAliveNanos < heartbeatNanos / 2) {
                return; // another statement just proved the session alive
            }
            Connection c = connection;
            try {
                sql.ping(c);
                lastAliveNanos = runtime.ticker().nanoTime();
            } catch (SQLException e) {
                if (Jdbc.isConnectionError(c, e)) {
                    lost.addAll(breakConnection());
                    cause = e;
                } else {
                    log.warn("{} lock connection liveness check failed", runtime.backend(), e);
                }
            }
        }
        reportLost(lost, cause);
    }
}
