package dev.holdfast.lock.spi;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.LockEvent;
import dev.holdfast.lock.LockListener;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one provider's leases share: a single scheduler thread for renewals and deadlines (not a thread
 * per lease), the clocks, the listeners, owner ids, in-process wake-ups and the set of open leases.
 * Created by {@link AbstractProviderBuilder#runtime(String)}; closed by the provider.
 */
public final class LockRuntime implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LockRuntime.class);
    private static final AtomicLong THREAD_IDS = new AtomicLong();

    private final String backend;
    private final Ticker ticker;
    private final Clock clock;
    private final List<LockListener> listeners;
    private final String instanceId;
    private final long tokenOffset;
    private final AtomicLong leaseSeq = new AtomicLong();
    private final WaitSignals signals = new WaitSignals();
    private final Set<AbstractLease> openLeases = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, Object> claims = new ConcurrentHashMap<>();
    private final ScheduledThreadPoolExecutor scheduler;

    LockRuntime(String backend, Ticker ticker, Clock clock, List<LockListener> listeners, @Nullable String instanceName,
                long tokenOffset) {
        this.backend = requireNonNull(backend, "backend");
        this.tokenOffset = tokenOffset;
        this.ticker = ticker;
        this.clock = clock;
        this.listeners = List.copyOf(listeners);
        this.instanceId = (instanceName != null ? instanceName : defaultInstanceName())
                + "/" + UUID.randomUUID().toString().substring(0, 8);
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "holdfast-" + backend + "-renewer-" + THREAD_IDS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.scheduler.setRemoveOnCancelPolicy(true);
        this.scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    private static String defaultInstanceName() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            host = "host";
        }
        return host + ":" + ProcessHandle.current().pid();
    }

    /** The backend name used in events and exceptions, for example {@code "redis"}. */
    public String backend() {
        return backend;
    }

    /** The monotonic clock for deadlines. */
    public Ticker ticker() {
        return ticker;
    }

    /** The wall clock, for {@code acquiredAt} (display only). */
    public Clock clock() {
        return clock;
    }

    /** In-process wake-ups for waiters of this provider. */
    public WaitSignals signals() {
        return signals;
    }

    /** This provider instance's id: host, pid and a random part. */
    public String instanceId() {
        return instanceId;
    }

    /**
     * What this provider adds to every backend token before callers see it ({@link
     * AbstractProviderBuilder#tokensAbove(long)}); zero by default.
     */
    public long tokenOffset() {
        return tokenOffset;
    }

    /**
     * The token callers see for a backend token: {@code backendToken + tokenOffset()}. For a backend's
     * {@code inspect}, so that {@link dev.holdfast.lock.LockInfo#token()} matches {@code Lease#token()}.
     *
     * @throws ArithmeticException if the sum overflows a {@code long}
     */
    public long visibleToken(long backendToken) {
        return Math.addExact(backendToken, tokenOffset);
    }

    /** A new owner id, unique to one lease: {@code instanceId#sequence}. */
    public String newOwnerId() {
        return instanceId + "#" + leaseSeq.incrementAndGet();
    }

    /**
     * The safety margin subtracted from the lease time for the local deadline: 1% of the lease time
     * plus 2 ms for clock-rate drift and scheduling, at most half the lease time.
     */
    public long safetyMarginNanos(Duration leaseTime) {
        long lease = leaseTime.toNanos();
        return Math.min(lease / 2, lease / 100 + TimeUnit.MILLISECONDS.toNanos(2));
    }

    /** Runs {@code task} on the scheduler thread after {@code delayNanos}; null if the runtime is closed. */
    public @Nullable ScheduledFuture<?> schedule(Runnable task, long delayNanos) {
        try {
            return scheduler.schedule(guarded(task), Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closed) {
            return null;
        }
    }

    /**
     * Runs {@code task} every {@code period} on the scheduler thread (for backend health checks shared
     * by many leases); null if the runtime is closed.
     */
    public @Nullable ScheduledFuture<?> scheduleWithFixedDelay(Runnable task, Duration period) {
        try {
            long nanos = period.toNanos();
            return scheduler.scheduleWithFixedDelay(guarded(task), nanos, nanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException closed) {
            return null;
        }
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return scheduler.isShutdown();
    }

    private static Runnable guarded(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (Throwable t) {
                log.error("holdfast scheduler task failed", t);
            }
        };
    }

    /** Delivers an event to every listener; listener failures are logged. */
    public void emit(LockEvent.Type type, String lockName, long token, Duration duration, @Nullable Throwable error) {
        if (listeners.isEmpty()) {
            return;
        }
        LockEvent event = new LockEvent(type, backend, lockName, token, duration, error);
        for (LockListener listener : listeners) {
            try {
                listener.onEvent(event);
            } catch (RuntimeException e) {
                log.warn("lock listener {} failed on {}", listener, event, e);
            }
        }
    }

    /** Nanoseconds since {@code startNanos}, as a duration. */
    public Duration since(long startNanos) {
        return Duration.ofNanos(Math.max(0, ticker.nanoTime() - startNanos));
    }

    /** Claims {@code name} for one backend attempt or lease of this provider; false if already claimed. */
    boolean claim(String name, Object claim) {
        return claims.putIfAbsent(name, claim) == null;
    }

    void replaceClaim(String name, Object claim, AbstractLease lease) {
        claims.replace(name, claim, lease);
    }

    void unclaim(String name, Object claim) {
        claims.remove(name, claim);
    }

    /** Whether this provider has an open lease, or a backend attempt under way, for {@code name}. */
    public boolean isClaimed(String name) {
        return claims.containsKey(name);
    }

    void track(AbstractLease lease) {
        openLeases.add(lease);
    }

    void untrack(AbstractLease lease) {
        openLeases.remove(lease);
    }

    /** The leases this provider granted that are still open (a snapshot). */
    public List<AbstractLease> openLeases() {
        return List.copyOf(openLeases);
    }

    /** Stops the scheduler thread. Leases must have been closed first (the provider does that). */
    @Override
    public void close() {
        scheduler.shutdownNow();
        signals.signalAll();
    }

    @Override
    public String toString() {
        return "LockRuntime[" + backend + ", " + instanceId + "]";
    }
}
