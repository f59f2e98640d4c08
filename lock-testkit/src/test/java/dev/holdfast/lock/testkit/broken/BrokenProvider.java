package dev.holdfast.lock.testkit.broken;

import dev.holdfast.lock.InMemoryLockProvider;
import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockInterruptedException;
import dev.holdfast.lock.LossReason;
import dev.holdfast.lock.LockLostException;
import dev.holdfast.lock.LockNotAcquiredException;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Deliberately broken providers: a correct in-memory provider with one bug each. The kit must fail every
 * one of them (see {@code BrokenProvidersAreCaughtTest}).
 */
public final class BrokenProvider implements LockProvider {

    /** The bug a broken provider has. */
    public enum Bug {
        /** Grants every request, even while another client holds the lock. */
        NEVER_EXCLUDES,
        /** Every grant carries the same token. */
        REPEATS_TOKENS,
        /** Release deletes the lock whoever holds it (no owner check). */
        STALE_LEASE_RELEASES,
        /** Leases never report loss: isHeld stays true, listeners never run. */
        NEVER_REPORTS_LOSS,
        /** An unreachable backend is reported as "busy" (empty) instead of an error. */
        DOWN_LOOKS_BUSY,
        /**
         * The lease's deadline counts from the start of the request, time spent waiting included (ZooKeeper's
         * queue bug): a grant that waited more than a third of its lease time is lost at request start +
         * lease time, before its first renewal; one that waited longer than its lease arrives already lost.
         */
        DEADLINE_FROM_REQUEST_START,
        /** An acquire interrupted while waiting throws, but the backend still grants the lock to nobody's lease. */
        KEEPS_LOCK_WHEN_INTERRUPTED
    }

    private static final AtomicLong GLOBAL_TOKENS = new AtomicLong();

    private final Bug bug;
    private final InMemoryLockProvider delegate;
    private final InMemoryLockProvider.Store store;
    private final InMemoryLockProvider orphans;

    public BrokenProvider(Bug bug, InMemoryLockProvider.Store store) {
        this.bug = bug;
        this.store = store;
        this.delegate = InMemoryLockProvider.builder().store(bug == Bug.NEVER_EXCLUDES ? new InMemoryLockProvider.Store() : store).build();
        this.orphans = InMemoryLockProvider.builder().store(store).build();
    }

    @Override
    public Optional<Lease> tryAcquire(LockRequest request) {
        if (bug == Bug.NEVER_EXCLUDES) {
            // a fresh store per request: nothing is ever busy
            InMemoryLockProvider fresh = InMemoryLockProvider.create();
            return fresh.tryAcquire(request).map(l -> new BrokenLease(l, GLOBAL_TOKENS.incrementAndGet(), System.nanoTime()));
        }
        long requestStart = System.nanoTime();
        try {
            return delegate.tryAcquire(request).map(l -> new BrokenLease(l, l.token(), requestStart));
        } catch (LockInterruptedException e) {
            if (bug == Bug.KEEPS_LOCK_WHEN_INTERRUPTED) {
                // the backend went on to grant the lock after the client gave up: an orphan nobody releases
                Thread orphan = new Thread(() -> orphans.tryAcquire(request.toBuilder().leaseTime(Duration.ofSeconds(30))
                        .autoRenew(false).minHold(Duration.ZERO).waitTime(Duration.ofSeconds(30)).build()));
                orphan.setDaemon(true);
                orphan.start();
                // as on a real backend, the orphan exists (queued or granted) by the time the caller hears back
                long until = System.nanoTime() + 1_000_000_000L;
                while (orphan.isAlive() && orphan.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
            }
            throw e;
        } catch (LockBackendException e) {
            if (bug == Bug.DOWN_LOOKS_BUSY) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public Lease acquire(LockRequest request) {
        return tryAcquire(request).orElseThrow(() -> new LockNotAcquiredException(request.name(), request.waitTime()));
    }

    @Override
    public void close() {
        delegate.close();
        orphans.close();
    }

    private final class BrokenLease implements Lease {
        private final Lease lease;
        private final long token;
        private volatile boolean released;
        private final long lostAtNanos;
        private final List<Consumer<? super LockLostException>> listeners = new CopyOnWriteArrayList<>();
        private boolean expired; // guarded by this

        BrokenLease(Lease lease, long token, long requestStart) {
            this.lease = lease;
            this.token = bug == Bug.REPEATS_TOKENS ? 1 : token;
            long waited = System.nanoTime() - requestStart;
            long leaseNanos = lease.leaseTime().toNanos();
            this.lostAtNanos = bug == Bug.DEADLINE_FROM_REQUEST_START && waited > leaseNanos / 3
                    ? requestStart + leaseNanos : Long.MAX_VALUE;
        }

        /** DEADLINE_FROM_REQUEST_START: past the wrongly counted deadline, the lease is lost (once). */
        private boolean pastWrongDeadline() {
            if (lostAtNanos == Long.MAX_VALUE || System.nanoTime() - lostAtNanos < 0) {
                return false;
            }
            synchronized (this) {
                if (expired || released) {
                    return true;
                }
                expired = true;
            }
            lease.release(); // the backend deletes the node a moment later
            LockLostException e = new LockLostException(name(), token, LossReason.EXPIRED, null);
            listeners.forEach(l -> l.accept(e));
            return true;
        }

        @Override
        public String name() {
            return lease.name();
        }

        @Override
        public long token() {
            return token;
        }

        @Override
        public String ownerId() {
            return lease.ownerId();
        }

        @Override
        public Instant acquiredAt() {
            return lease.acquiredAt();
        }

        @Override
        public Duration leaseTime() {
            return lease.leaseTime();
        }

        @Override
        public boolean isHeld() {
            if (pastWrongDeadline()) {
                return false;
            }
            return bug == Bug.NEVER_REPORTS_LOSS ? !released : lease.isHeld();
        }

        @Override
        public void checkHeld() {
            if (pastWrongDeadline() && !released) {
                throw new LockLostException(name(), token, LossReason.EXPIRED, null);
            }
            if (bug != Bug.NEVER_REPORTS_LOSS) {
                lease.checkHeld();
            } else if (released) {
                throw new IllegalStateException("lease on lock '" + name() + "' was released");
            }
        }

        @Override
        public void extend(Duration leaseTime) {
            try {
                lease.extend(leaseTime);
            } catch (LockLostException e) {
                if (bug != Bug.NEVER_REPORTS_LOSS) {
                    throw e;
                }
            }
        }

        @Override
        public void extend(Duration leaseTime, Duration minHold) {
            try {
                lease.extend(leaseTime, minHold);
            } catch (LockLostException e) {
                if (bug != Bug.NEVER_REPORTS_LOSS) {
                    throw e;
                }
            }
        }

        @Override
        public boolean release() {
            if (pastWrongDeadline()) {
                released = true;
                return false;
            }
            if (bug == Bug.STALE_LEASE_RELEASES && !released) {
                released = true;
                lease.release();
                store.expire(name()); // frees the lock whoever holds it
                return true;
            }
            boolean result = lease.release();
            if (bug == Bug.NEVER_REPORTS_LOSS) {
                boolean first = !released;
                released = true;
                return first;
            }
            released = true;
            return result;
        }

        @Override
        public void close() {
            release();
        }

        @Override
        public void onLost(Consumer<? super LockLostException> listener) {
            if (lostAtNanos != Long.MAX_VALUE) {
                listeners.add(listener);
            }
            if (bug != Bug.NEVER_REPORTS_LOSS) {
                lease.onLost(listener);
            }
        }
    }
}
