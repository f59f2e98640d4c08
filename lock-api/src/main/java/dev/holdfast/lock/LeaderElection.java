package dev.holdfast.lock;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * "Only run it on one server": contends for a lock, keeps it as the leader's lease, and contends again
 * after losing it. Built only on {@link LockProvider} and {@link Lease}, so it works on every backend.
 *
 * <pre>{@code
 * LeaderElection election = LeaderElection.builder(locks, "billing-leader")
 *         .leaseTime(Duration.ofSeconds(15))
 *         .listener(new LeaderElection.Listener() {
 *             public void leadershipGained(Lease lease) { scheduler.start(lease.token()); }
 *             public void leadershipLost(@Nullable LockLostException cause) { scheduler.stop(); }
 *         })
 *         .build();
 * election.start();
 * ...
 * election.close();   // gives leadership up (releases the lease) so another node takes over at once
 * }</pre>
 *
 * <h2>How it works</h2>
 * <ol>
 *   <li>A thread of its own ({@code holdfast-leader-<name>}) calls {@code tryAcquire} with the lease time
 *       and a wait of {@link Builder#retryInterval(Duration)}, again and again, until it gets the lease.
 *       Backends that notify waiters (Redis, ZooKeeper, PostgreSQL) hand the lock over as soon as the
 *       leader lets go; a backend failure is logged and retried after the retry interval.</li>
 *   <li>Holding the lease, this node is the leader: {@link Listener#leadershipGained(Lease)} runs. The
 *       provider renews the lease automatically. A granted lease that is no longer held when it arrives is
 *       released without calling any listener, and the node contends again.</li>
 *   <li>When the lease is lost (renewal refused or failing until its conservative local deadline, the
 *       connection or session ended, the provider closed) {@link Listener#leadershipLost} runs with the
 *       cause, and the node contends again. The local deadline ends before the backend can grant the lock
 *       to anyone else, so two listeners never believe they lead at the same time as long as each node
 *       stops its leader work when told; writes should still carry {@link Lease#token()} for fencing.</li>
 *   <li>{@link #close()} stops contending; a leader gets {@code leadershipLost(null)} and then releases its
 *       lease, so another node takes over without waiting for the lease time, after this one stopped.</li>
 * </ol>
 *
 * <p>Listeners run on the election's thread, one call at a time, gained and lost strictly alternating.
 * They should return quickly (start or stop work elsewhere); an exception from a listener is logged and
 * ignored. Thread-safe.
 */
public final class LeaderElection implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LeaderElection.class);

    /** Receives leadership changes, on the election's thread. */
    public interface Listener {

        /** This node became the leader; {@code lease} is its lease (for the fencing token). */
        void leadershipGained(Lease lease);

        /**
         * This node stopped being the leader.
         *
         * @param cause why the lease was lost, or {@code null} when the election was closed and gave the
         *              lease up on purpose
         */
        void leadershipLost(@Nullable LockLostException cause);
    }

    private enum Phase { NEW, CONTENDING, LEADING, CLOSED }

    private final LockProvider provider;
    private final LockRequest request;
    private final Duration retryInterval;
    private final List<Listener> listeners;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    // guarded by lock
    private Phase phase = Phase.NEW;
    private boolean closing;
    private @Nullable Lease lease;
    private @Nullable LockLostException loss;
    private @Nullable Thread thread;

    private LeaderElection(Builder b) {
        this.provider = b.provider;
        this.request = LockRequest.named(b.name).leaseTime(b.leaseTime).waitTime(b.retryInterval).build();
        this.retryInterval = b.retryInterval;
        this.listeners = List.copyOf(b.listeners);
    }

    /** A builder for an election on lock {@code name} of {@code provider}. */
    public static Builder builder(LockProvider provider, String name) {
        return new Builder(provider, name);
    }

    /** The lock name contended for. */
    public String name() {
        return request.name();
    }

    /**
     * Starts contending on a thread of its own.
     *
     * @throws IllegalStateException if already started or closed
     */
    public LeaderElection start() {
        lock.lock();
        try {
            if (phase != Phase.NEW) {
                throw new IllegalStateException("leader election '" + name() + "' was already started");
            }
            phase = Phase.CONTENDING;
            Thread t = new Thread(this::run, "holdfast-leader-" + name());
            t.setDaemon(true);
            thread = t;
            t.start();
            return this;
        } finally {
            lock.unlock();
        }
    }

    /** Whether this node currently leads: it holds the lease and the lease is still held. */
    public boolean isLeader() {
        lock.lock();
        try {
            return phase == Phase.LEADING && lease != null && lease.isHeld();
        } finally {
            lock.unlock();
        }
    }

    /** The leader's lease while this node leads. */
    public Optional<Lease> currentLease() {
        lock.lock();
        try {
            return phase == Phase.LEADING && lease != null && lease.isHeld() ? Optional.of(lease) : Optional.empty();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops contending and, if leading, calls {@code leadershipLost(null)} and then releases the lease. Waits up
     * to 10 s for the election's thread to finish. Idempotent; the provider stays open.
     */
    @Override
    public void close() {
        Thread t;
        lock.lock();
        try {
            if (phase == Phase.NEW) {
                phase = Phase.CLOSED;
                return;
            }
            closing = true;
            t = thread;
            if (phase == Phase.CONTENDING && t != null) {
                t.interrupt(); // cut the wait in tryAcquire short; a leader is woken by the condition instead
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        int failures = 0; // attempts that failed in a row: the first is logged with its stack trace
        try {
            while (true) {
                Optional<Lease> acquired;
                try {
                    if (isClosing()) {
                        return;
                    }
                    acquired = provider.tryAcquire(request);
                } catch (LockInterruptedException e) {
                    continue; // close() interrupted the wait; the loop checks closing
                } catch (RuntimeException e) {
                    if (isClosing()) {
                        return;
                    }
                    if (failures++ == 0) {
                        log.warn("leader election '{}': contending failed, retrying every {}", name(), retryInterval, e);
                    } else {
                        log.debug("leader election '{}': contending failed again ({} in a row): {}", name(), failures,
                                e.toString());
                    }
                    if (!pause()) {
                        return;
                    }
                    continue;
                }
                if (failures > 0) {
                    log.info("leader election '{}': backend answers again after {} failed attempts", name(), failures);
                    failures = 0;
                }
                if (acquired.isPresent()) {
                    lead(acquired.get());
                }
            }
        } finally {
            lock.lock();
            try {
                phase = Phase.CLOSED;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private void lead(Lease held) {
        lock.lock();
        try {
            Thread.interrupted(); // an interrupt meant for the wait may land just after the grant
            if (closing) {
                releaseQuietly(held);
                return;
            }
            if (!held.isHeld()) {
                // a lease that is not held must never start leader work: give it back and contend again
                log.warn("leader election '{}': the granted lease (token {}) was no longer held; contending again",
                        name(), held.token());
                releaseQuietly(held);
                return;
            }
            phase = Phase.LEADING;
            lease = held;
            loss = null;
        } finally {
            lock.unlock();
        }
        held.onLost(e -> {
            lock.lock();
            try {
                if (lease == held) {
                    loss = e;
                    changed.signalAll();
                }
            } finally {
                lock.unlock();
            }
        });
        log.info("leader election '{}': leading (token {})", name(), held.token());
        for (Listener l : listeners) {
            try {
                l.leadershipGained(held);
            } catch (RuntimeException e) {
                log.warn("leader election '{}': listener failed on leadershipGained", name(), e);
            }
        }
        LockLostException cause;
        lock.lock();
        try {
            while (loss == null && !closing) {
                changed.awaitUninterruptibly();
            }
            cause = loss;
            lease = null;
            loss = null;
        } finally {
            lock.unlock();
        }
        if (cause != null) {
            log.warn("leader election '{}': lost leadership: {}", name(), cause.getMessage());
        }
        // listeners stop the leader's work before the lease is released, so no other node starts it meanwhile
        for (Listener l : listeners) {
            try {
                l.leadershipLost(cause);
            } catch (RuntimeException e) {
                log.warn("leader election '{}': listener failed on leadershipLost", name(), e);
            }
        }
        if (cause == null) {
            releaseQuietly(held);
            log.info("leader election '{}': gave leadership up (closed)", name());
        }
        lock.lock();
        try {
            phase = Phase.CONTENDING; // from here on close() may interrupt this thread
        } finally {
            lock.unlock();
        }
    }

    private boolean isClosing() {
        lock.lock();
        try {
            return closing;
        } finally {
            lock.unlock();
        }
    }

    /** Waits the retry interval or until closed; false if closed. */
    private boolean pause() {
        lock.lock();
        try {
            long nanos = retryInterval.toNanos();
            while (!closing && nanos > 0) {
                try {
                    nanos = changed.awaitNanos(nanos);
                } catch (InterruptedException e) {
                    // close() interrupts contenders; the loop checks closing
                }
            }
            return !closing;
        } finally {
            lock.unlock();
        }
    }

    private void releaseQuietly(Lease held) {
        boolean interrupted = Thread.interrupted(); // a release must not be cut short by close()'s interrupt
        try {
            held.release();
        } catch (RuntimeException e) {
            log.warn("leader election '{}': release failed; the lock frees itself when its lease ends", name(), e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "LeaderElection[" + name() + ", " + (isLeader() ? "leading" : "not leading") + "]";
    }

    /** Builds a {@link LeaderElection}; each setter checks its value at once. */
    public static final class Builder {
        private final LockProvider provider;
        private final String name;
        private Duration leaseTime = LockRequest.DEFAULT_LEASE_TIME;
        private Duration retryInterval = Duration.ofSeconds(5);
        private final List<Listener> listeners = new ArrayList<>();

        private Builder(LockProvider provider, String name) {
            this.provider = requireNonNull(provider, "provider");
            this.name = LockRequest.validateName(name);
        }

        /**
         * The leader's lease time (default 30 s): how long the backend keeps leadership for a leader that
         * stopped renewing (crashed, paused, cut off). A leader that closes releases at once.
         */
        public Builder leaseTime(Duration leaseTime) {
            LockRequest.named(name).leaseTime(leaseTime);
            this.leaseTime = leaseTime;
            return this;
        }

        /**
         * How long each attempt waits for the lock before trying again, and the pause after a backend
         * failure (default 5 s); positive.
         */
        public Builder retryInterval(Duration retryInterval) {
            requireNonNull(retryInterval, "retryInterval");
            if (retryInterval.isNegative() || retryInterval.isZero()) {
                throw new IllegalArgumentException("retryInterval must be positive, was " + retryInterval);
            }
            LockRequest.named(name).waitTime(retryInterval);
            this.retryInterval = retryInterval;
            return this;
        }

        /** Adds a listener for leadership changes. */
        public Builder listener(Listener listener) {
            listeners.add(requireNonNull(listener, "listener"));
            return this;
        }

        /** Builds the election, not yet started: call {@link LeaderElection#start()}. */
        public LeaderElection build() {
            return new LeaderElection(this);
        }
    }
}
