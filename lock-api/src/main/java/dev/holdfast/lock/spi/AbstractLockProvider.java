package dev.holdfast.lock.spi;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockEvent;
import dev.holdfast.lock.LockException;
import dev.holdfast.lock.LockInterruptedException;
import dev.holdfast.lock.LockNotAcquiredException;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockProviderClosedException;
import dev.holdfast.lock.LockRequest;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The acquire flow every backend shares; a backend implements {@link #tryAcquireOnBackend} (one attempt,
 * which may itself wait where the backend queues waiters) and optionally {@link #closeBackend()}.
 *
 * <p>Flow of {@link #tryAcquire}: validate; claim the name in this process (one lease and one backend
 * attempt per name per provider at a time, so a second request for a name this process holds waits
 * locally instead of asking the backend); ask the backend; if busy and the wait time allows, sleep until
 * a {@link WaitSignals signal} for the name (a local release, or a backend notification the subclass
 * forwards) or a jittered {@link Backoff} pause, then try again. Backend failures become
 * {@link LockBackendException}s naming the lock and backend; interrupts (an {@link InterruptedException},
 * a backend client's exception caused by one, or any failure while the thread's interrupt flag is set)
 * restore the flag and throw {@link LockInterruptedException}. Every outcome is reported to the listeners.
 *
 * <p><b>No unheld lease is ever returned.</b> A grant whose local deadline has passed, or that has less
 * than a quarter of its lease time left when the backend call returns (a backend that counted the time
 * spent queued, a reply delayed by a pause), is released on the backend (owner-checked) and never shown
 * to the caller: the flow tries again within the wait time, and a try-once (or a wait that has run out)
 * reports the lock busy. A lease time shorter than a backend round trip can therefore never be granted.
 * Grants whose fencing token would overflow with {@link AbstractProviderBuilder#tokensAbove(long)} are
 * released the same way and reported as a {@link LockBackendException}.
 */
public abstract class AbstractLockProvider implements LockProvider {

    private static final Logger log = LoggerFactory.getLogger(AbstractLockProvider.class);

    protected final LockRuntime runtime;
    private final Backoff backoff;
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * @param runtime the runtime from the builder
     * @param backoff pauses between attempts when no notification arrives
     */
    protected AbstractLockProvider(LockRuntime runtime, Backoff backoff) {
        this.runtime = requireNonNull(runtime, "runtime");
        this.backoff = requireNonNull(backoff, "backoff");
    }

    /**
     * One attempt to take the lock on the backend. It may return at once when the lock is busy, or wait
     * on the backend until {@code deadlineNanos} where the backend queues waiters.
     *
     * @param request       the validated request
     * @param deadlineNanos when waiting must end, on {@code runtime.ticker()}
     * @return the lease, whose local deadline counts from a ticker reading taken just before the backend
     *         call that granted it, or, where the backend queues waiters, just before the read that confirmed
     *         the grant (not the start of the wait); or empty if the lock is held by someone else
     * @throws InterruptedException if interrupted while waiting
     * @throws RuntimeException     if the backend failed (wrapped into {@link LockBackendException})
     */
    protected abstract Optional<? extends AbstractLease> tryAcquireOnBackend(LockRequest request, long deadlineNanos)
            throws InterruptedException;

    /** Releases the provider's own backend resources (connections, subscriptions). Default: nothing. */
    protected void closeBackend() {
    }

    /** The backend name, as in events and exceptions. */
    public final String backend() {
        return runtime.backend();
    }

    @Override
    public final Optional<Lease> tryAcquire(LockRequest request) {
        requireNonNull(request, "request");
        ensureOpen();
        String name = request.name();
        long start = runtime.ticker().nanoTime();
        long deadline = start + request.waitTime().toNanos();
        try {
            Optional<Lease> lease = acquireLoop(request, deadline);
            if (lease.isPresent()) {
                runtime.emit(LockEvent.Type.ACQUIRED, name, lease.get().token(), runtime.since(start), null);
            } else {
                runtime.emit(LockEvent.Type.BUSY, name, 0, runtime.since(start), null);
            }
            return lease;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LockInterruptedException failure = new LockInterruptedException(name, e);
            runtime.emit(LockEvent.Type.FAILED, name, 0, runtime.since(start), failure);
            throw failure;
        } catch (LockInterruptedException | IllegalArgumentException | LockProviderClosedException e) {
            runtime.emit(LockEvent.Type.FAILED, name, 0, runtime.since(start), e);
            throw e;
        } catch (RuntimeException e) {
            RuntimeException failure;
            if (Interrupts.isInterrupt(e)) {
                Thread.currentThread().interrupt();
                failure = new LockInterruptedException(name, "acquiring", e);
            } else if (e instanceof LockException) {
                failure = e;
            } else {
                failure = new LockBackendException(name, runtime.backend(), "acquire failed", e);
            }
            runtime.emit(LockEvent.Type.FAILED, name, 0, runtime.since(start), failure);
            throw failure;
        }
    }

    @Override
    public final Lease acquire(LockRequest request) {
        requireNonNull(request, "request");
        return tryAcquire(request)
                .orElseThrow(() -> new LockNotAcquiredException(request.name(), request.waitTime()));
    }

    private Optional<Lease> acquireLoop(LockRequest request, long deadline) throws InterruptedException {
        if (request.waitTime().isZero()) {
            // try once: nothing to wait for, so no wake-up subscription and no backoff on this path
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
            ensureOpen();
            return attempt(request, deadline);
        }
        String name = request.name();
        Backoff.Sequence pauses = backoff.start();
        try (WaitSignals.Subscription signal = runtime.signals().subscribe(name)) {
            while (true) {
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                ensureOpen();
                Optional<Lease> lease = attempt(request, deadline);
                if (lease.isPresent()) {
                    return lease;
                }
                long remaining = deadline - runtime.ticker().nanoTime();
                if (remaining <= 0) {
                    return Optional.empty();
                }
                signal.await(Math.min(remaining, pauses.nextNanos()));
            }
        }
    }

    /** One backend attempt, unless this provider already holds or is trying the name (then empty at once). */
    private Optional<Lease> attempt(LockRequest request, long deadline) throws InterruptedException {
        String name = request.name();
        Object claim = new Object();
        if (!runtime.claim(name, claim)) {
            return Optional.empty();
        }
        boolean granted = false;
        try {
            Optional<? extends AbstractLease> lease = tryAcquireOnBackend(request, deadline);
            if (lease.isEmpty()) {
                return Optional.empty();
            }
            AbstractLease grantedLease = lease.get();
            if (grantedLease.tokenOverflows()) {
                grantedLease.discardAtGrant("its fencing token overflows with tokensAbove");
                throw new LockBackendException(name, runtime.backend(), "backend token " + grantedLease.backendToken()
                        + " + tokensAbove(" + runtime.tokenOffset() + ") exceeds " + Long.MAX_VALUE
                        + "; configure a smaller high-water mark", null);
            }
            if (!grantedLease.usableAtGrant()) {
                grantedLease.discardAtGrant("it arrived with less than a quarter of its lease time left");
                return Optional.empty(); // the loop tries again within the wait time; a try-once reports busy
            }
            runtime.replaceClaim(name, claim, grantedLease);
            granted = true;
            grantedLease.start();
            if (closed.get()) {
                grantedLease.loseOnClose();
                ensureOpen();
            }
            return Optional.of(grantedLease);
        } finally {
            if (!granted) {
                runtime.unclaim(name, claim);
            }
        }
    }


    private void ensureOpen() {
        if (closed.get()) {
            throw new LockProviderClosedException(runtime.backend() + " lock provider " + runtime.instanceId() + " is closed");
        }
    }

    /** Whether {@link #close()} was called. */
    protected final boolean isClosed() {
        return closed.get();
    }

    @Override
    public final void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (AbstractLease lease : runtime.openLeases()) {
            try {
                lease.loseOnClose();
            } catch (RuntimeException e) {
                log.warn("giving up lease {} on close failed", lease, e);
            }
        }
        try {
            closeBackend();
        } finally {
            runtime.close();
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + runtime.instanceId() + "]";
    }
}
