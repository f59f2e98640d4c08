package dev.holdfast.lock;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.spi.AbstractLease;
import dev.holdfast.lock.spi.AbstractLockProvider;
import dev.holdfast.lock.spi.AbstractProviderBuilder;
import dev.holdfast.lock.spi.Backoff;
import dev.holdfast.lock.spi.LockRuntime;
import dev.holdfast.lock.spi.Ticker;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The reference provider for one JVM: complete, fair and fast, for tests and single-process
 * applications. Locks live in a {@link Store}; providers that share a store behave like separate
 * processes sharing one backend.
 *
 * <ul>
 *   <li>Fair: clients of a store are granted a busy lock in the order they started waiting.</li>
 *   <li>Waiters are notified on release and on expiry; nothing polls.</li>
 *   <li>Leases expire by the store's {@link Ticker} (a controllable clock in tests); tokens strictly
 *       increase per name for the store's lifetime.</li>
 * </ul>
 * Nothing survives the JVM: this provider coordinates threads, not processes.
 */
public final class InMemoryLockProvider extends AbstractLockProvider implements LockInspector {

    private static final String BACKEND = "in-memory";

    private final Store store;

    private InMemoryLockProvider(LockRuntime runtime, Store store) {
        super(runtime, new Backoff(Duration.ofMillis(5), Duration.ofMillis(100)));
        this.store = store;
    }

    /** A provider with a store of its own. */
    public static InMemoryLockProvider create() {
        return builder().build();
    }

    /** A builder; by default the provider gets a store of its own. */
    public static Builder builder() {
        return new Builder();
    }

    /** The store this provider's locks live in (pass it to another provider's builder to share it). */
    public Store store() {
        return store;
    }

    @Override
    protected Optional<? extends AbstractLease> tryAcquireOnBackend(LockRequest request, long deadlineNanos)
            throws InterruptedException {
        return store.acquire(this, request, deadlineNanos);
    }

    @Override
    public Optional<LockInfo> inspect(String name) {
        return store.inspect(LockRequest.validateName(name))
                .map(i -> new LockInfo(i.name(), i.ownerId(), runtime.visibleToken(i.token()), i.acquiredAt(), i.expiresIn(), i.waiters()));
    }

    /** Builds an {@link InMemoryLockProvider}. */
    public static final class Builder extends AbstractProviderBuilder<Builder> {
        private @Nullable Store store;

        private Builder() {
        }

        /** Shares {@code store} with other providers, like processes sharing a backend. */
        public Builder store(Store store) {
            this.store = requireNonNull(store, "store");
            return this;
        }

        public InMemoryLockProvider build() {
            Store s = store != null ? store : new Store(configuredTicker());
            return new InMemoryLockProvider(runtime(BACKEND), s);
        }
    }

    /**
     * The locks themselves: holders, expiry times by the store's ticker, fencing counters and FIFO
     * queues of waiting clients. Thread-safe.
     */
    public static final class Store {
        private final Ticker ticker;
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private final Map<String, Entry> entries = new HashMap<>();
        private final Map<String, Long> fences = new HashMap<>();
        private final Map<String, ArrayDeque<Object>> queues = new HashMap<>();

        /** A store whose leases expire by the system's monotonic clock. */
        public Store() {
            this(Ticker.system());
        }

        /** A store whose leases expire by {@code ticker}. */
        public Store(Ticker ticker) {
            this.ticker = requireNonNull(ticker, "ticker");
        }

        private volatile boolean available = true;

        /**
         * Drops the holder of {@code name} now, as if its lease had run out (for tests of expiry and of
         * stale holders). The holder is not told; it finds out when it next renews or extends.
         */
        public void expire(String name) {
            lock.lock();
            try {
                entries.remove(name);
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /**
         * Drops every holder, as a backend restart without durable lock state would. Fencing counters are
         * kept, so tokens keep increasing.
         */
        public void restart() {
            lock.lock();
            try {
                entries.clear();
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /**
         * Simulates an outage (for tests of code that must tell "busy" from "down"): while unavailable,
         * every operation of every provider on this store fails with {@link LockBackendException}.
         */
        public void setAvailable(boolean available) {
            this.available = available;
        }

        private void checkAvailable(String name) {
            if (!available) {
                throw new LockBackendException(name, BACKEND, "store unavailable (simulated outage)", null);
            }
        }

        private static final class Entry {
            final String owner;
            final long token;
            final Instant acquiredAt;
            long expiresAt;

            Entry(String owner, long token, Instant acquiredAt, long expiresAt) {
                this.owner = owner;
                this.token = token;
                this.acquiredAt = acquiredAt;
                this.expiresAt = expiresAt;
            }
        }

        // guarded by lock
        private @Nullable Entry live(String name, long now) {
            Entry e = entries.get(name);
            if (e != null && now - e.expiresAt >= 0) {
                entries.remove(name);
                return null;
            }
            return e;
        }

        Optional<InMemoryLease> acquire(InMemoryLockProvider provider, LockRequest request, long deadlineNanos)
                throws InterruptedException {
            LockRuntime runtime = provider.runtime;
            long start = runtime.ticker().nanoTime();
            String name = request.name();
            checkAvailable(name);
            lock.lockInterruptibly();
            try {
                ArrayDeque<Object> queue = queues.computeIfAbsent(name, k -> new ArrayDeque<>());
                Object ticket = new Object();
                queue.addLast(ticket);
                try {
                    while (true) {
                        long now = ticker.nanoTime();
                        Entry e = live(name, now);
                        if (e == null && queue.peekFirst() == ticket) {
                            long token = fences.merge(name, 1L, Long::sum);
                            String owner = runtime.newOwnerId();
                            entries.put(name, new Entry(owner, token, runtime.clock().instant(),
                                    now + request.leaseTime().toNanos()));
                            return Optional.of(new InMemoryLease(runtime, this, request, token, owner, start));
                        }
                        long remaining = deadlineNanos - runtime.ticker().nanoTime();
                        if (remaining <= 0) {
                            return Optional.empty();
                        }
                        long wait = e == null ? remaining : Math.min(remaining, Math.max(1, e.expiresAt - now));
                        changed.awaitNanos(wait);
                    }
                } finally {
                    queue.remove(ticket);
                    if (queue.isEmpty()) {
                        queues.remove(name);
                    }
                    changed.signalAll();
                }
            } finally {
                lock.unlock();
            }
        }

        boolean renew(String name, String owner, long token, Duration leaseTime) {
            checkAvailable(name);
            lock.lock();
            try {
                long now = ticker.nanoTime();
                Entry e = live(name, now);
                if (e == null || !e.owner.equals(owner) || e.token != token) {
                    return false;
                }
                e.expiresAt = now + leaseTime.toNanos();
                return true;
            } finally {
                lock.unlock();
            }
        }

        boolean release(String name, String owner, long token, Duration keepFor) {
            checkAvailable(name);
            lock.lock();
            try {
                long now = ticker.nanoTime();
                Entry e = live(name, now);
                if (e == null || !e.owner.equals(owner) || e.token != token) {
                    return false;
                }
                if (keepFor.isZero()) {
                    entries.remove(name);
                } else {
                    e.expiresAt = now + keepFor.toNanos();
                }
                changed.signalAll();
                return true;
            } finally {
                lock.unlock();
            }
        }

        Optional<LockInfo> inspect(String name) {
            checkAvailable(name);
            lock.lock();
            try {
                long now = ticker.nanoTime();
                Entry e = live(name, now);
                if (e == null) {
                    return Optional.empty();
                }
                ArrayDeque<Object> queue = queues.get(name);
                return Optional.of(new LockInfo(name, e.owner, e.token, e.acquiredAt,
                        Duration.ofNanos(e.expiresAt - now), queue == null ? 0 : queue.size()));
            } finally {
                lock.unlock();
            }
        }
    }

    private static final class InMemoryLease extends AbstractLease {
        private final Store store;

        InMemoryLease(LockRuntime runtime, Store store, LockRequest request, long token, String owner, long start) {
            super(runtime, request, token, owner, start);
            this.store = store;
        }

        @Override
        protected boolean renewOnBackend(Duration leaseTime) {
            return store.renew(name(), ownerId(), backendToken(), leaseTime);
        }

        @Override
        protected void releaseOnBackend(Duration keepFor) {
            store.release(name(), ownerId(), backendToken(), keepFor);
        }

        @Override
        protected boolean releaseIfOwned(Duration keepFor) {
            return store.release(name(), ownerId(), backendToken(), keepFor);
        }
    }
}
