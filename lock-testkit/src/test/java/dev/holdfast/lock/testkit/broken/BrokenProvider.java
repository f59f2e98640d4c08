package dev.holdfast.lock.testkit.broken;

import dev.holdfast.lock.InMemoryLockProvider;
import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockLostException;
import dev.holdfast.lock.LockNotAcquiredException;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
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
        DOWN_LOOKS_BUSY
    }

    private static final AtomicLong GLOBAL_TOKENS = new AtomicLong();

    private final Bug bug;
    private final InMemoryLockProvider delegate;
    private final InMemoryLockProvider.Store store;

    public BrokenProvider(Bug bug, InMemoryLockProvider.Store store) {
        this.bug = bug;
        this.store = store;
        this.delegate = InMemoryLockProvider.builder().store(bug == Bug.NEVER_EXCLUDES ? new InMemoryLockProvider.Store() : store).build();
    }

    @Override
    public Optional<Lease> tryAcquire(LockRequest request) {
        if (bug == Bug.NEVER_EXCLUDES) {
            // a fresh store per request: nothing is ever busy
            InMemoryLockProvider fresh = InMemoryLockProvider.create();
            return fresh.tryAcquire(request).map(l -> new BrokenLease(l, GLOBAL_TOKENS.incrementAndGet()));
        }
        try {
            return delegate.tryAcquire(request).map(l -> new BrokenLease(l, l.token()));
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
    }

    private final class BrokenLease implements Lease {
        private final Lease lease;
        private final long token;
        private volatile boolean released;

        BrokenLease(Lease lease, long token) {
            this.lease = lease;
            this.token = bug == Bug.REPEATS_TOKENS ? 1 : token;
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
            return bug == Bug.NEVER_REPORTS_LOSS ? !released : lease.isHeld();
        }

        @Override
        public void checkHeld() {
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
            if (bug != Bug.NEVER_REPORTS_LOSS) {
                lease.onLost(listener);
            }
        }
    }
}
