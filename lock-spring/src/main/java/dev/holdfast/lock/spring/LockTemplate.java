package dev.holdfast.lock.spring;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.Guard;
import dev.holdfast.lock.Lease;
import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.LockNotAcquiredException;
import dev.holdfast.lock.LockRequest;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs code under a lock without an annotation, with the application's default lease time:
 * {@code execute} waits up to the default wait time and then throws (like {@code @Locked(onBusy = WAIT)}),
 * {@code tryRun} tries once and reports whether the action ran (like {@code @Locked(onBusy = SKIP)}):
 *
 * <pre>{@code
 * Receipt r = locks.execute("payout:" + sellerId, lease -> payouts.pay(invoice, lease.token()));
 * boolean ran = locks.tryRun("cleanup", lease -> cleanup());
 * Guard.Outcome<Receipt> out = locks.guard().lock("payout:" + id).reload(...).onlyIf(...).act(...);
 * }</pre>
 *
 * Like {@link Locked}, a call for a name this thread already holds through an enclosing {@code @Locked}
 * method or {@code LockTemplate} action <em>of the same provider</em> joins that lease, and the action can
 * reach its lease through {@link LockedContext#currentLease()}. Thread-safe; the lease belongs to the
 * calling thread for the call.
 *
 * <p>No action ever runs under a lease that is not held: the lease is checked ({@link Lease#checkHeld()})
 * right before the action starts; if it was already lost, it is released, the action does not run and the
 * {@link dev.holdfast.lock.LockLostException} propagates.
 */
public final class LockTemplate {

    private static final Logger log = LoggerFactory.getLogger(LockTemplate.class);

    private final LockProvider provider;
    private final Duration defaultLeaseTime;
    private final Duration defaultWaitTime;

    /**
     * @param provider         the provider whose locks this template takes
     * @param defaultLeaseTime lease time for requests built by {@link #request(String)}; positive
     * @param defaultWaitTime  wait time for requests built by {@link #request(String)}; zero or positive
     * @throws IllegalArgumentException if a default is out of range
     */
    public LockTemplate(LockProvider provider, Duration defaultLeaseTime, Duration defaultWaitTime) {
        this.provider = requireNonNull(provider, "provider");
        // validates both values the way every request is validated
        LockRequest.named("defaults").leaseTime(defaultLeaseTime).waitTime(defaultWaitTime).build();
        this.defaultLeaseTime = defaultLeaseTime;
        this.defaultWaitTime = defaultWaitTime;
    }

    /** The provider behind this template. */
    public LockProvider provider() {
        return provider;
    }

    /** The default lease time. */
    public Duration defaultLeaseTime() {
        return defaultLeaseTime;
    }

    /** The default wait time. */
    public Duration defaultWaitTime() {
        return defaultWaitTime;
    }

    /** A request builder for {@code name} with this template's default lease and wait times. */
    public LockRequest.Builder request(String name) {
        return LockRequest.named(name).leaseTime(defaultLeaseTime).waitTime(defaultWaitTime);
    }

    /** A {@link Guard} over this template's provider (acquire, fresh reload, act only if still needed). */
    public Guard guard() {
        return Guard.using(provider);
    }

    /**
     * Runs {@code action} holding {@code name}, waiting up to the default wait time for it.
     *
     * @throws LockNotAcquiredException if the lock stayed busy for the whole wait
     * @throws dev.holdfast.lock.LockBackendException if the backend cannot be reached
     * @throws dev.holdfast.lock.LockLostException if the lease was lost before the action could start
     *                                             (the action did not run)
     */
    public <T extends @Nullable Object> T execute(String name, Function<? super Lease, T> action) {
        return execute(request(name).build(), action);
    }

    /**
     * Runs {@code action} holding the lock of {@code request}, then releases it.
     *
     * @throws LockNotAcquiredException if the lock stayed busy for the whole wait
     * @throws dev.holdfast.lock.LockBackendException if the backend cannot be reached
     * @throws dev.holdfast.lock.LockLostException if the lease was lost before the action could start
     *                                             (the action did not run)
     */
    public <T extends @Nullable Object> T execute(LockRequest request, Function<? super Lease, T> action) {
        requireNonNull(action, "action");
        Optional<T> out = run(request, action::apply);
        if (out == null) {
            throw new LockNotAcquiredException(request.name(), request.waitTime());
        }
        return out.orElse(null);
    }

    /**
     * Runs {@code action} if {@code name} is free now (one attempt, no wait), with the default lease time.
     *
     * @return whether the action ran
     * @throws dev.holdfast.lock.LockLostException if the lease was lost before the action could start
     *                                             (the action did not run)
     */
    public boolean tryRun(String name, Consumer<? super Lease> action) {
        return tryRun(request(name).waitTime(Duration.ZERO).build(), action);
    }

    /**
     * Runs {@code action} if the lock of {@code request} can be taken within its wait time.
     *
     * @return whether the action ran
     * @throws dev.holdfast.lock.LockLostException if the lease was lost before the action could start
     *                                             (the action did not run)
     */
    public boolean tryRun(LockRequest request, Consumer<? super Lease> action) {
        requireNonNull(action, "action");
        return run(request, lease -> {
            action.accept(lease);
            return null;
        }) != null;
    }

    /** A body that may throw anything (an intercepted method). */
    interface Body<T> {
        @Nullable T run(Lease lease) throws Throwable;
    }

    /**
     * Runs {@code body} holding the lock; {@code null} if busy, else the body's result (empty for null).
     * Joins a lease this thread already holds for the same name.
     */
    @SuppressWarnings("NullAway")
    <T> @Nullable Optional<T> run(LockRequest request, Body<T> body) {
        requireNonNull(request, "request");
        Lease outer = LockedContext.held(provider, request.name());
        if (outer != null) {
            outer.checkHeld(); // an outer lease that was lost must not be joined
            LockedContext.push(provider, outer);
            try {
                return Optional.ofNullable(body.run(outer));
            } catch (Throwable t) {
                throw sneaky(t);
            } finally {
                LockedContext.pop();
            }
        }
        Optional<Lease> acquired = provider.tryAcquire(request);
        if (acquired.isEmpty()) {
            return null;
        }
        Lease lease = acquired.get();
        try {
            lease.checkHeld(); // never run the body under a lease that is not held
        } catch (RuntimeException notHeld) {
            try {
                lease.release();
            } catch (RuntimeException e) {
                notHeld.addSuppressed(e);
            }
            throw notHeld;
        }
        LockedContext.push(provider, lease);
        Throwable failure = null;
        try {
            return Optional.ofNullable(body.run(lease));
        } catch (Throwable t) {
            failure = t;
            throw sneaky(t);
        } finally {
            LockedContext.pop();
            try {
                if (!lease.release() && failure == null) {
                    log.warn("lock '{}' (token {}) was lost before the locked work finished", lease.name(), lease.token());
                }
            } catch (LockBackendException e) {
                log.warn("release of lock '{}' failed; the lock frees itself when its lease ends", lease.name(), e);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> RuntimeException sneaky(Throwable t) throws E {
        throw (E) t;
    }

    @Override
    public String toString() {
        return "LockTemplate[" + provider + ", leaseTime=" + defaultLeaseTime + ", waitTime=" + defaultWaitTime + "]";
    }
}
