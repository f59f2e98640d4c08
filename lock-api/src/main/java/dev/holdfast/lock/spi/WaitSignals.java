package dev.holdfast.lock.spi;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Wake-ups per lock name for threads of one process waiting to acquire. A backend signals a name when it
 * learns that the lock may be free: a release by this process, a pub/sub message, a NOTIFY, a watch.
 * A waiter {@link #subscribe subscribes} <em>before</em> it tries the lock, so a signal sent between
 * its try and its wait is never missed.
 */
public final class WaitSignals {

    private final ConcurrentHashMap<String, Gate> gates = new ConcurrentHashMap<>();

    /** Starts listening for signals on {@code key}; close the subscription when done. */
    public Subscription subscribe(String key) {
        Gate gate = gates.compute(key, (k, g) -> {
            Gate result = g == null ? new Gate() : g;
            result.subscribers++;
            return result;
        });
        return new Subscription(key, gate, gate.generation());
    }

    /** Wakes every thread waiting on {@code key}. Cheap when nobody waits. */
    public void signal(String key) {
        Gate gate = gates.get(key);
        if (gate != null) {
            gate.signal();
        }
    }

    /** Wakes every waiter of every key (for example after a reconnect, when notifications may have been missed). */
    public void signalAll() {
        gates.values().forEach(Gate::signal);
    }

    /** Whether any thread of this process subscribes to {@code key}. */
    public boolean hasSubscribers(String key) {
        return gates.containsKey(key);
    }

    private void unsubscribe(String key, Gate gate) {
        gates.computeIfPresent(key, (k, g) -> {
            if (g != gate) {
                return g;
            }
            g.subscribers--;
            return g.subscribers == 0 ? null : g;
        });
    }

    /** One waiter's registration on one key. */
    public final class Subscription implements AutoCloseable {
        private final String key;
        private final Gate gate;
        private long seen;

        private Subscription(String key, Gate gate, long seen) {
            this.key = key;
            this.gate = gate;
            this.seen = seen;
        }

        /**
         * Waits until the key is signalled after this subscription last returned, or {@code timeoutNanos}
         * pass.
         *
         * @return whether a signal arrived
         */
        public boolean await(long timeoutNanos) throws InterruptedException {
            long now = gate.await(seen, timeoutNanos);
            boolean signalled = now != seen;
            seen = now;
            return signalled;
        }

        @Override
        public void close() {
            unsubscribe(key, gate);
        }
    }

    private static final class Gate {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private long generation;
        int subscribers; // guarded by the map's compute

        long generation() {
            lock.lock();
            try {
                return generation;
            } finally {
                lock.unlock();
            }
        }

        void signal() {
            lock.lock();
            try {
                generation++;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        long await(long seen, long timeoutNanos) throws InterruptedException {
            lock.lock();
            try {
                long remaining = timeoutNanos;
                while (generation == seen && remaining > 0) {
                    remaining = changed.awaitNanos(remaining);
                }
                return generation;
            } finally {
                lock.unlock();
            }
        }
    }
}
