package dev.holdfast.lock.spi;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockEvent;
import dev.holdfast.lock.LockInterruptedException;
import dev.holdfast.lock.LockLostException;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.LossReason;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lease state machine every backend shares. A backend subclass implements three owner-and-token
 * checked operations — {@link #renewOnBackend}, {@link #releaseOnBackend} and, through its provider,
 * acquisition — and calls {@link #markLost} when its connection or session ends.
 *
 * <p>States: HELD → RELEASED (by the owner) or HELD → LOST (refused renewal, renewal failing until the
 * deadline, deadline passed, connection lost, provider closed). Both are final. Backend calls of one
 * lease (renew, extend, release) never overlap; they run under one lock per lease.
 *
 * <p>Timing: the local deadline is the backend's start reading (monotonic clock, the
 * {@code requestStartNanos} the backend passes) + lease time − {@link LockRuntime#safetyMarginNanos safety
 * margin}. That reading is taken just before the call that granted the lock was sent or, for a backend
 * that queues waiters and learns of its grant from a later read (ZooKeeper), just before that confirming
 * read; not at the start of the whole request, which may lie a queue wait earlier. Each successful
 * renewal moves it to the renewal's start + lease time − margin. With auto-renew, renewal runs on the provider's scheduler at a third of
 * the lease time, or at half the time left before the deadline if that is sooner (a grant that arrived
 * late); a renewal that fails (backend unreachable) is retried every tenth of the lease time
 * (at most every second) until the deadline, and the lease is lost with {@link LossReason#RENEWAL_FAILED}
 * if none succeeds by then. A refused renewal loses the lease at once.
 *
 * <p>Releases (also the clean-up after a loss) run with the thread's interrupt flag cleared and restored
 * afterwards, so an interrupted caller still frees the lock on the backend.
 *
 * <p>Tokens: the backend's token ({@link #backendToken()}) is what the backend stores and checks;
 * {@link #token()} is what callers see: the backend token plus the provider's
 * {@link AbstractProviderBuilder#tokensAbove(long) tokensAbove} offset (zero by default). Backend
 * subclasses must use {@link #backendToken()} in their own owner checks.
 */
public abstract class AbstractLease implements Lease {

    private static final Logger log = LoggerFactory.getLogger(AbstractLease.class);
    private static final long MAX_RETRY_NANOS = 1_000_000_000L;

    private enum State { HELD, RELEASED, LOST }

    protected final LockRuntime runtime;
    private final LockRequest request;
    private final long token;
    private final long backendToken;
    private final boolean tokenOverflows;
    private final String ownerId;
    private final Instant acquiredAt;
    private final long acquiredNanos;
    private final ReentrantLock backendLock = new ReentrantLock();

    // guarded by "this"
    private State state = State.HELD;
    private final List<Consumer<? super LockLostException>> listeners = new ArrayList<>();
    private @Nullable ScheduledFuture<?> timer;
    private @Nullable LockLostException lost;

    private volatile State observedState = State.HELD;
    private volatile Duration leaseTime;
    private volatile long deadlineNanos;
    private volatile long holdUntilNanos;
    private volatile @Nullable RuntimeException lastRenewalError;

    /**
     * @param runtime           the provider's runtime
     * @param request           the request that was granted
     * @param token             the fencing token the backend assigned (positive); callers see it plus the
     *                          provider's {@code tokensAbove} offset
     * @param ownerId           the owner id recorded on the backend (from {@link LockRuntime#newOwnerId()})
     * @param requestStartNanos the monotonic time the local deadline counts from: read just before the
     *                          acquiring call was sent, or, for a backend that queues waiters, just before
     *                          the read that confirmed the grant
     */
    protected AbstractLease(LockRuntime runtime, LockRequest request, long token, String ownerId, long requestStartNanos) {
        this.runtime = requireNonNull(runtime, "runtime");
        this.request = requireNonNull(request, "request");
        this.backendToken = token;
        long offset = runtime.tokenOffset();
        long visible = token + offset;
        this.tokenOverflows = ((token ^ visible) & (offset ^ visible)) < 0;
        this.token = tokenOverflows ? Long.MAX_VALUE : visible;
        this.ownerId = requireNonNull(ownerId, "ownerId");
        this.acquiredAt = runtime.clock().instant();
        this.acquiredNanos = runtime.ticker().nanoTime();
        this.leaseTime = request.leaseTime();
        this.holdUntilNanos = acquiredNanos + request.minHold().toNanos();
        this.deadlineNanos = requestStartNanos + request.leaseTime().toNanos() - runtime.safetyMarginNanos(request.leaseTime());
    }

    /**
     * Asks the backend to keep the lock for {@code leaseTime} from now, if this lease still owns it
     * (owner id and token match and it has not expired there).
     *
     * @return {@code true} if renewed; {@code false} if the backend says this lease no longer owns it
     * @throws RuntimeException if the backend could not be reached (the renewal will be retried)
     */
    protected abstract boolean renewOnBackend(Duration leaseTime);

    /**
     * Releases the lock on the backend if this lease still owns it; never touches another owner's lock.
     * (Override {@link #releaseIfOwned} instead when the backend can tell whether it still owned it.)
     *
     * @param keepFor zero to free the lock now; positive to leave it taken for that long (minHold)
     * @throws RuntimeException if the backend could not be reached
     */
    protected abstract void releaseOnBackend(Duration keepFor);

    /**
     * Releases like {@link #releaseOnBackend} and tells whether this lease still owned the lock there.
     * Backends that can tell (an owner-checked delete that counts what it deleted) override it, so that a
     * lease the backend had already dropped is reported lost at release instead of silently "released".
     * The default calls {@link #releaseOnBackend} and returns {@code true}.
     *
     * @return {@code false} if the backend no longer recorded this lease as the owner
     * @throws RuntimeException if the backend could not be reached
     */
    protected boolean releaseIfOwned(Duration keepFor) {
        releaseOnBackend(keepFor);
        return true;
    }

    /** The request this lease was granted for. */
    public final LockRequest request() {
        return request;
    }

    @Override
    public final String name() {
        return request.name();
    }

    @Override
    public final long token() {
        return token;
    }

    /**
     * The token as the backend assigned and stores it; use it (not {@link #token()}) in owner checks on the
     * backend. Equal to {@link #token()} unless the provider was built with {@code tokensAbove}.
     */
    protected final long backendToken() {
        return backendToken;
    }

    @Override
    public final String ownerId() {
        return ownerId;
    }

    @Override
    public final Instant acquiredAt() {
        return acquiredAt;
    }

    @Override
    public final Duration leaseTime() {
        return leaseTime;
    }

    /** The local deadline on the runtime's ticker; the lease counts as lost once it passes. */
    public final long deadlineNanos() {
        return deadlineNanos;
    }

    @Override
    public final boolean isHeld() {
        if (observedState != State.HELD) {
            return false;
        }
        if (runtime.ticker().nanoTime() - deadlineNanos >= 0) {
            expire();
            return false;
        }
        return true;
    }

    @Override
    public final void checkHeld() {
        if (isHeld()) {
            return;
        }
        LockLostException cause;
        synchronized (this) {
            if (state == State.RELEASED) {
                throw new IllegalStateException("lease on lock '" + name() + "' (token " + token + ") was released");
            }
            cause = requireNonNull(lost);
        }
        throw copyOf(cause);
    }

    @Override
    public final void extend(Duration newLeaseTime) {
        requireNonNull(newLeaseTime, "leaseTime");
        // the request's own validation gives the same messages as for a new request
        LockRequest checked = request.toBuilder().leaseTime(newLeaseTime).minHold(Duration.ZERO).build();
        extend(checked, null);
    }

    @Override
    public final void extend(Duration newLeaseTime, Duration newMinHold) {
        requireNonNull(newLeaseTime, "leaseTime");
        requireNonNull(newMinHold, "minHold");
        LockRequest checked = request.toBuilder().leaseTime(newLeaseTime).minHold(newMinHold).build();
        extend(checked, newMinHold);
    }

    private void extend(LockRequest checked, @Nullable Duration newMinHold) {
        backendLock.lock();
        try {
            checkHeld();
            long start = runtime.ticker().nanoTime();
            boolean renewed;
            try {
                renewed = renewOnBackend(checked.leaseTime());
            } catch (RuntimeException e) {
                throw backendFailure("extend", e);
            }
            if (!renewed) {
                markLost(LossReason.REFUSED, null);
                checkHeld();
            }
            applyRenewal(start, checked.leaseTime());
            if (newMinHold != null) {
                holdUntilNanos = runtime.ticker().nanoTime() + newMinHold.toNanos();
            }
            checkHeld();
        } finally {
            backendLock.unlock();
        }
    }

    @Override
    public final boolean release() {
        backendLock.lock();
        try {
            if (!isHeld()) {
                return false;
            }
            synchronized (this) {
                if (state != State.HELD) {
                    return false;
                }
                setState(State.RELEASED);
                cancelTimer();
            }
            long keep = holdUntilNanos - runtime.ticker().nanoTime();
            Duration keepFor = keep > 0 ? Duration.ofNanos(keep) : Duration.ZERO;
            boolean owned = true;
            try {
                owned = Interrupts.uninterrupted(() -> releaseIfOwned(keepFor));
            } catch (RuntimeException e) {
                throw backendFailure("release", e);
            } finally {
                if (owned) {
                    finish();
                    runtime.emit(LockEvent.Type.RELEASED, name(), token, heldFor(), null);
                } else {
                    lostAtRelease();
                }
            }
            return owned;
        } finally {
            backendLock.unlock();
        }
    }

    @Override
    public final void close() {
        release();
    }

    @Override
    public final void onLost(Consumer<? super LockLostException> listener) {
        requireNonNull(listener, "listener");
        isHeld(); // observe a passed deadline first
        LockLostException cause;
        synchronized (this) {
            switch (state) {
                case HELD -> {
                    listeners.add(listener);
                    return;
                }
                case RELEASED -> {
                    return;
                }
                default -> cause = requireNonNull(lost);
            }
        }
        runListener(listener, cause);
    }

    /**
     * Marks this lease lost (once; later calls do nothing): stops renewal, runs the listeners on this
     * thread, and for reasons where the backend may still record this lease (expiry, failed renewal,
     * provider closed) makes a best-effort owner-checked release (on the scheduler thread, except when
     * the provider closes). Never blocks on the backend for the other reasons.
     */
    protected final void markLost(LossReason reason, @Nullable Throwable cause) {
        LockLostException exception;
        List<Consumer<? super LockLostException>> toRun;
        synchronized (this) {
            if (state != State.HELD) {
                return;
            }
            exception = new LockLostException(name(), token, reason, cause);
            lost = exception;
            setState(State.LOST);
            cancelTimer();
            toRun = List.copyOf(listeners);
            listeners.clear();
        }
        finish();
        if (reason == LossReason.PROVIDER_CLOSED) {
            log.info("{}", exception.getMessage());
            cleanUpAfterLoss(reason);
        } else {
            log.warn("{}", exception.getMessage());
            if (reason == LossReason.EXPIRED || reason == LossReason.RENEWAL_FAILED) {
                // the backend may still record this lease: free it, off the caller's thread
                if (runtime.schedule(() -> cleanUpAfterLoss(reason), 0) == null) {
                    cleanUpAfterLoss(reason);
                }
            }
        }
        runtime.emit(LockEvent.Type.LOST, name(), token, heldFor(), exception);
        for (Consumer<? super LockLostException> listener : toRun) {
            runListener(listener, exception);
        }
    }

    /** The backend had already dropped this lease when its owner released it: report the loss after all. */
    private void lostAtRelease() {
        LockLostException exception = new LockLostException(name(), token, LossReason.REFUSED, null);
        List<Consumer<? super LockLostException>> toRun;
        synchronized (this) {
            lost = exception;
            setState(State.LOST);
            toRun = List.copyOf(listeners);
            listeners.clear();
        }
        finish();
        log.warn("{} (found at release)", exception.getMessage());
        runtime.emit(LockEvent.Type.LOST, name(), token, heldFor(), exception);
        for (Consumer<? super LockLostException> listener : toRun) {
            runListener(listener, exception);
        }
    }

    /** Called by the provider right after the grant: tracks the lease and starts its timer. */
    final void start() {
        runtime.track(this);
        synchronized (this) {
            scheduleNext();
        }
    }

    /**
     * Whether the grant may be handed to the caller: still held, with at least a quarter of its lease time
     * left before the local deadline (a renewal is then due at half the time left, well before it).
     */
    final boolean usableAtGrant() {
        long left = deadlineNanos - runtime.ticker().nanoTime();
        return left > 0 && left >= request.leaseTime().toNanos() / 4 && observedState == State.HELD;
    }

    /** Whether the visible token would overflow with the provider's offset (the grant must be given back). */
    final boolean tokenOverflows() {
        return tokenOverflows;
    }

    /**
     * Gives a grant back that is never handed to the caller: marks it lost without events or listeners and
     * releases it on the backend (owner-checked, ignoring minHold: nobody ever used it).
     */
    final void discardAtGrant(String why) {
        backendLock.lock();
        try {
            synchronized (this) {
                if (state != State.HELD) {
                    return;
                }
                lost = new LockLostException(name(), token, LossReason.EXPIRED, null);
                setState(State.LOST);
            }
            long left = deadlineNanos - runtime.ticker().nanoTime();
            log.warn("grant of lock '{}' (token {}) given back: {} ({} ms of {} left)", name(), token, why,
                    left / 1_000_000, request.leaseTime().toMillis());
            try {
                Interrupts.uninterrupted(() -> {
                    releaseOnBackend(Duration.ZERO);
                    return null;
                });
            } catch (RuntimeException e) {
                log.warn("giving back the grant of lock '{}' failed; the backend frees it when its lease ends", name(), e);
            }
            finish();
        } finally {
            backendLock.unlock();
        }
    }

    /** Called by the provider when it closes. */
    final void loseOnClose() {
        backendLock.lock();
        try {
            markLost(LossReason.PROVIDER_CLOSED, null);
        } finally {
            backendLock.unlock();
        }
    }

    private void cleanUpAfterLoss(LossReason reason) {
        backendLock.lock();
        try {
            releaseLostLease(reason);
        } finally {
            backendLock.unlock();
        }
    }

    private void releaseLostLease(LossReason reason) {
        Duration keep = Duration.ZERO;
        if (reason == LossReason.PROVIDER_CLOSED) {
            long remaining = holdUntilNanos - runtime.ticker().nanoTime();
            keep = remaining > 0 ? Duration.ofNanos(remaining) : Duration.ZERO;
        }
        Duration keepFor = keep;
        try {
            Interrupts.uninterrupted(() -> {
                releaseOnBackend(keepFor);
                return null;
            });
        } catch (RuntimeException e) {
            log.debug("best-effort release of lost lease on '{}' failed", name(), e);
        }
    }

    private void expire() {
        RuntimeException error = lastRenewalError;
        markLost(error != null ? LossReason.RENEWAL_FAILED : LossReason.EXPIRED, error);
    }

    private void finish() {
        runtime.untrack(this);
        runtime.unclaim(name(), this);
        runtime.signals().signal(name());
        onFinished();
    }

    /**
     * Hook for subclasses, called once when the lease is released or lost (after the state change,
     * before listeners run): free per-lease resources, update in-process bookkeeping.
     */
    protected void onFinished() {
    }

    private void applyRenewal(long startNanos, Duration renewedTo) {
        synchronized (this) {
            if (state != State.HELD) {
                return;
            }
            leaseTime = renewedTo;
            deadlineNanos = startNanos + renewedTo.toNanos() - runtime.safetyMarginNanos(renewedTo);
            lastRenewalError = null;
            cancelTimer();
            scheduleNext();
        }
        runtime.emit(LockEvent.Type.RENEWED, name(), token, renewedTo, null);
    }

    // guarded by "this"
    private void scheduleNext() {
        if (state != State.HELD) {
            return;
        }
        long now = runtime.ticker().nanoTime();
        long untilDeadline = deadlineNanos - now;
        long delay = untilDeadline;
        if (request.autoRenew()) {
            long lease = leaseTime.toNanos();
            long period = lastRenewalError == null
                    ? Math.min(lease / 3, untilDeadline / 2) // a late grant renews at half the time left
                    : Math.min(MAX_RETRY_NANOS, lease / 10);
            delay = Math.min(period, untilDeadline);
        }
        timer = runtime.schedule(this::onTimer, delay);
    }

    private void cancelTimer() {
        ScheduledFuture<?> t = timer;
        if (t != null) {
            t.cancel(false);
            timer = null;
        }
    }

    private void onTimer() {
        if (!isHeld()) {
            return;
        }
        if (!request.autoRenew()) {
            synchronized (this) {
                scheduleNext(); // woke early (clock differences): wait for the deadline
            }
            return;
        }
        backendLock.lock();
        try {
            if (!isHeld()) {
                return;
            }
            long start = runtime.ticker().nanoTime();
            Duration renewTo = leaseTime;
            boolean renewed;
            try {
                renewed = renewOnBackend(renewTo);
            } catch (RuntimeException e) {
                lastRenewalError = e;
                log.warn("renewal of lock '{}' (token {}) failed, retrying until its deadline: {}", name(), token, e.toString());
                synchronized (this) {
                    scheduleNext();
                }
                return;
            }
            if (!renewed) {
                markLost(LossReason.REFUSED, null);
                return;
            }
            applyRenewal(start, renewTo);
            if (!isHeld()) {
                cleanUpAfterLoss(LossReason.EXPIRED); // renewed too late: do not keep a lock we gave up
            }
        } finally {
            backendLock.unlock();
        }
    }

    private Duration heldFor() {
        return runtime.since(acquiredNanos);
    }

    private RuntimeException backendFailure(String operation, RuntimeException e) {
        if (operation.equals("extend") && Interrupts.isInterrupt(e)) {
            Thread.currentThread().interrupt();
            return new LockInterruptedException(name(), "extending", e);
        }
        if (e instanceof LockBackendException lbe) {
            return lbe;
        }
        return new LockBackendException(name(), runtime.backend(), operation + " failed", e);
    }

    private void setState(State next) {
        state = next;
        observedState = next;
    }

    private static LockLostException copyOf(LockLostException e) {
        return new LockLostException(requireNonNull(e.lockName()), e.token(), e.reason(), e.getCause());
    }

    private void runListener(Consumer<? super LockLostException> listener, LockLostException cause) {
        try {
            listener.accept(cause);
        } catch (RuntimeException e) {
            log.warn("onLost listener of lock '{}' failed", name(), e);
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[name=" + name() + ", token=" + token + ", owner=" + ownerId
                + ", state=" + observedState + "]";
    }
}
