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
import java.util.concurrent.atomic.AtomicReference;
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
 * <p>States: HELD → RELEASED (by the owner) or HELD → LOST (refused renewal, renewal failing or still
 * unanswered at the deadline, deadline passed, connection lost, provider closed). Both are final: nothing
 * ever makes a lease held again. Two locks per lease: a short <em>state lock</em> (its monitor) for state
 * changes, never held across I/O, and a <em>backend lock</em> under which backend calls of one lease
 * (renew, extend, release) run one at a time. Nothing that declares a loss waits for the backend lock.
 *
 * <p>Timing: the local deadline is the backend's start reading (monotonic clock, the
 * {@code requestStartNanos} the backend passes) + lease time − {@link LockRuntime#safetyMarginNanos safety
 * margin}. That reading is taken just before the call that granted the lock was sent or, for a backend
 * that queues waiters and learns of its grant from a later read (ZooKeeper), just before that confirming
 * read; not at the start of the whole request, which may lie a queue wait earlier. Each successful
 * renewal moves it to the renewal's start + lease time − margin. With auto-renew, renewal runs at a third of
 * the lease time, or at half the time left before the deadline if that is sooner (a grant that arrived
 * late); a renewal that fails (backend unreachable) is retried every tenth of the lease time (at most every
 * second) until the deadline. A refused renewal loses the lease at once.
 *
 * <p>Threads (see {@link LockRuntime}): the deadline is kept by the provider's <b>timekeeper</b> thread,
 * which only changes state and runs callbacks, so at the deadline {@code isHeld()} turns false and the
 * {@link #onLost onLost} listeners run within milliseconds, whatever the backend is doing: a renewal
 * still hanging on the backend then loses the lease with {@link LossReason#RENEWAL_FAILED}, a renewal
 * that failed until then too, and an idle lease with {@link LossReason#EXPIRED}. Renewals run on the
 * provider's small pool of <b>worker</b> threads, at most one at a time per lease, so a hung renewal holds
 * one worker and other leases keep being renewed. A renewal that answers after the deadline (or after the
 * lease was released or lost) changes nothing on this side: the lease stays lost and an owner-checked
 * release frees what the late renewal kept on the backend.
 *
 * <p>{@link #release()} and the provider's {@code close()} never wait behind a backend call in progress
 * (a hanging renewal): the lease is marked released (or lost) at once and the owner-checked backend
 * release runs on a worker thread after that call returns, never concurrently with it. Only
 * {@link #extend} waits for a backend call in progress of its own lease.
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

    /** A backend release still owed: honouring minHold (release by the owner, provider closed) or not. */
    private enum PendingRelease { KEEP_MIN_HOLD, NOW }

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
    private @Nullable ScheduledFuture<?> renewalTimer;
    private @Nullable ScheduledFuture<?> deadlineTimer;
    private @Nullable LockLostException lost;

    private volatile State observedState = State.HELD;
    private volatile Duration leaseTime;
    private volatile long deadlineNanos;
    private volatile long holdUntilNanos;
    private volatile @Nullable RuntimeException lastRenewalError;
    private volatile boolean renewing;
    private final AtomicReference<@Nullable PendingRelease> pendingRelease = new AtomicReference<>();

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
            unlockBackend();
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Never waits behind a renewal: if a renewal (or another thread's {@code extend}) is talking to the
     * backend at that moment, the lease is marked released at once ({@code isHeld()} false, {@code true}
     * returned) and the owner-checked backend release runs on a worker thread as soon as that call returns
     * (backend calls of one lease never overlap); a failure of that deferred release is logged, and the
     * backend frees the lock when its lease time ends.
     */
    @Override
    public final boolean release() {
        if (!isHeld()) {
            return false;
        }
        synchronized (this) {
            if (state != State.HELD) {
                return false;
            }
            setState(State.RELEASED);
            cancelTimers();
        }
        if (!backendLock.tryLock()) {
            requestRelease(PendingRelease.KEEP_MIN_HOLD, false);
            finish();
            runtime.emit(LockEvent.Type.RELEASED, name(), token, heldFor(), null);
            return true;
        }
        try {
            Duration keepFor = minHoldLeft();
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
            unlockBackend();
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
     * provider closed) makes a best-effort owner-checked release. Never waits for the backend or for a
     * backend call of this lease in progress: the release runs on a worker thread (on this thread when the
     * provider closes and no backend call is in progress), after any call in progress has returned.
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
            cancelTimers();
            toRun = List.copyOf(listeners);
            listeners.clear();
        }
        finish();
        if (reason == LossReason.PROVIDER_CLOSED) {
            log.info("{}", exception.getMessage());
            requestRelease(PendingRelease.KEEP_MIN_HOLD, true);
        } else {
            log.warn("{}", exception.getMessage());
            if (reason == LossReason.EXPIRED || reason == LossReason.RENEWAL_FAILED) {
                // the backend may still record this lease: free it, off the caller's thread
                requestRelease(PendingRelease.NOW, false);
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

    /** Called by the provider right after the grant: tracks the lease and starts its timers. */
    final void start() {
        runtime.track(this);
        synchronized (this) {
            scheduleDeadline();
            if (request.autoRenew()) {
                scheduleRenewal();
            }
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

    /** Called by the provider when it closes; never waits for a backend call of this lease in progress. */
    final void loseOnClose() {
        markLost(LossReason.PROVIDER_CLOSED, null);
    }

    /**
     * Asks for the one owner-checked backend release this lease still owes (after a release that found a
     * backend call in progress, or after a loss). It runs as soon as no backend call of this lease is in
     * progress: on this thread if {@code here} and the backend is free now, else on a worker thread, or on
     * the thread whose backend call is in progress when that call returns.
     */
    private void requestRelease(PendingRelease mode, boolean here) {
        pendingRelease.compareAndSet(null, mode);
        if (here || runtime.schedule(this::drainPendingRelease, 0) == null) {
            drainPendingRelease();
        }
    }

    /** Runs the pending release if the backend lock is free; whoever holds it runs it on unlock. */
    private void drainPendingRelease() {
        while (pendingRelease.get() != null && !backendLock.isHeldByCurrentThread() && backendLock.tryLock()) {
            try {
                PendingRelease mode = pendingRelease.getAndSet(null);
                if (mode != null) {
                    releaseQuietly(mode);
                }
            } finally {
                backendLock.unlock();
            }
        }
    }

    /** Ends a backend call: unlocks, then hands a release requested meanwhile to a worker. */
    private void unlockBackend() {
        backendLock.unlock();
        if (pendingRelease.get() != null && !backendLock.isHeldByCurrentThread()) {
            if (runtime.schedule(this::drainPendingRelease, 0) == null) {
                drainPendingRelease();
            }
        }
    }

    private void releaseQuietly(PendingRelease mode) {
        Duration keepFor = mode == PendingRelease.KEEP_MIN_HOLD ? minHoldLeft() : Duration.ZERO;
        try {
            Interrupts.uninterrupted(() -> {
                releaseOnBackend(keepFor);
                return null;
            });
        } catch (RuntimeException e) {
            log.debug("best-effort release of lock '{}' (token {}) failed; the backend frees it when its lease ends",
                    name(), token, e);
        }
    }

    private Duration minHoldLeft() {
        long keep = holdUntilNanos - runtime.ticker().nanoTime();
        return keep > 0 ? Duration.ofNanos(keep) : Duration.ZERO;
    }

    private void expire() {
        RuntimeException error = lastRenewalError;
        if (error == null && renewing) {
            error = new LockBackendException(name(), runtime.backend(),
                    "renewal still had no answer at the lease's local deadline", null);
        }
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
     * before listeners run): free per-lease resources, update in-process bookkeeping. It may run on the
     * provider's timekeeper thread, so it must not block or do I/O.
     */
    protected void onFinished() {
    }

    /**
     * Moves the deadline after a successful renewal that started at {@code startNanos}, unless the lease
     * is no longer held or its deadline passed meanwhile (then it stays lost: a late renewal never revives
     * a lease, and the loss's release frees what the late renewal kept on the backend).
     */
    private void applyRenewal(long startNanos, Duration renewedTo) {
        boolean late;
        synchronized (this) {
            if (state != State.HELD) {
                return;
            }
            late = runtime.ticker().nanoTime() - deadlineNanos >= 0;
            if (!late) {
                leaseTime = renewedTo;
                deadlineNanos = startNanos + renewedTo.toNanos() - runtime.safetyMarginNanos(renewedTo);
                lastRenewalError = null;
                cancelTimers();
                scheduleDeadline();
                if (request.autoRenew()) {
                    scheduleRenewal();
                }
            }
        }
        if (late) {
            expire();
            return;
        }
        runtime.emit(LockEvent.Type.RENEWED, name(), token, renewedTo, null);
    }

    // guarded by "this"
    private void scheduleDeadline() {
        cancel(deadlineTimer);
        deadlineTimer = state != State.HELD ? null
                : runtime.scheduleDeadline(this::onDeadline, deadlineNanos - runtime.ticker().nanoTime());
    }

    // guarded by "this"
    private void scheduleRenewalIn(long delayNanos) {
        cancel(renewalTimer);
        renewalTimer = state != State.HELD ? null : runtime.schedule(this::renew, delayNanos);
    }

    private static void cancel(@Nullable ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false); // never interrupts: the task running may be the caller
        }
    }

    // guarded by "this"
    private void scheduleRenewal() {
        if (state != State.HELD) {
            return;
        }
        long untilDeadline = deadlineNanos - runtime.ticker().nanoTime();
        if (untilDeadline <= 0) {
            return; // the deadline timer declares the loss
        }
        long lease = leaseTime.toNanos();
        long period = lastRenewalError == null
                ? Math.min(lease / 3, untilDeadline / 2) // a late grant renews at half the time left
                : Math.min(MAX_RETRY_NANOS, lease / 10);
        scheduleRenewalIn(Math.min(period, untilDeadline));
    }

    // guarded by "this"
    private void cancelTimers() {
        cancel(renewalTimer);
        renewalTimer = null;
        cancel(deadlineTimer);
        deadlineTimer = null;
    }

    /** On the timekeeper: declares the loss if the deadline passed; never does I/O, never takes the backend lock. */
    private void onDeadline() {
        if (!isHeld()) {
            return;
        }
        synchronized (this) {
            scheduleDeadline(); // woke early (the deadline moved, clock differences): wait for it
        }
    }

    /** On a worker: one renewal. At most one is outstanding per lease (the next is scheduled when it ends). */
    private void renew() {
        if (!isHeld()) {
            return;
        }
        if (!backendLock.tryLock()) {
            // an extend or a release of this lease is talking to the backend: look again a little later
            synchronized (this) {
                long retry = Math.min(MAX_RETRY_NANOS, leaseTime.toNanos() / 10);
                scheduleRenewalIn(Math.min(retry, deadlineNanos - runtime.ticker().nanoTime()));
            }
            return;
        }
        try {
            if (!isHeld()) {
                return;
            }
            long start = runtime.ticker().nanoTime();
            Duration renewTo = leaseTime;
            boolean renewed;
            renewing = true;
            try {
                renewed = renewOnBackend(renewTo);
            } catch (RuntimeException e) {
                lastRenewalError = e;
                if (isHeld()) {
                    log.warn("renewal of lock '{}' (token {}) failed, retrying until its deadline: {}", name(), token, e.toString());
                    synchronized (this) {
                        scheduleRenewal();
                    }
                }
                return;
            } finally {
                renewing = false;
            }
            if (!renewed) {
                markLost(LossReason.REFUSED, null);
                return;
            }
            applyRenewal(start, renewTo);
        } finally {
            unlockBackend();
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
