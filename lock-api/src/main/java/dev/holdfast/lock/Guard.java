package dev.holdfast.lock;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a critical action at most once at a time across processes, and only if it is still needed:
 * <b>acquire → fresh reload → act only if still needed → release</b>.
 *
 * <pre>{@code
 * Guard.Outcome<Receipt> out = Guard.using(locks)
 *         .lock("payout:" + sellerId)
 *         .reload(() -> invoices.find(invoiceId))      // read AFTER the lock is held
 *         .onlyIf(inv -> !inv.paid())                  // still needed?
 *         .act((inv, lease) -> payouts.pay(inv, lease.token()));
 * }</pre>
 *
 * The reload is the point: a snapshot read before the lock was taken may be stale (another run may have
 * paid meanwhile), so the decision is made on data read while holding the lock. Passing
 * {@link Lease#token()} with the write lets the resource refuse a holder whose lease was lost mid-way.
 *
 * <p>Outcomes: {@link Status#ACTED} (the action ran while the lease was held throughout),
 * {@link Status#SKIPPED} (the fresh reload showed nothing to do), {@link Status#BUSY} (the lock was not
 * acquired within the request's wait time), {@link Status#LOST} (the lease was lost before or while
 * acting: the action may have run partly; its writes should have been fenced). Exceptions from the
 * reload, the predicate or the action propagate after the lock is released; a failure to release is
 * logged, since the backend frees the lock when the lease time runs out.
 */
public final class Guard {

    private static final Logger log = LoggerFactory.getLogger(Guard.class);

    private final LockProvider provider;

    private Guard(LockProvider provider) {
        this.provider = provider;
    }

    /** A guard over {@code provider}'s locks. */
    public static Guard using(LockProvider provider) {
        return new Guard(requireNonNull(provider, "provider"));
    }

    /** Guards with {@code LockRequest.of(name)}: 30 s lease, renewed; no wait (busy at once). */
    public Locked lock(String name) {
        return new Locked(LockRequest.of(name));
    }

    /** Guards with {@code request} (lease time, wait time, minHold). */
    public Locked lock(LockRequest request) {
        return new Locked(requireNonNull(request, "request"));
    }

    /** How a guarded action ended. */
    public enum Status {
        /** The action ran, and the lease was held from start to end. */
        ACTED,
        /** The lock was held but the fresh reload showed the action is no longer needed. */
        SKIPPED,
        /** Another holder kept the lock for the whole wait time; nothing ran. */
        BUSY,
        /** The lease was lost before or during the action; the action may have partly run. */
        LOST
    }

    /**
     * The result of a guarded action.
     *
     * @param status what happened
     * @param result the action's return value (ACTED, and LOST when the action finished after the loss)
     * @param token  the fencing token of the lease, or 0 when BUSY
     */
    public record Outcome<R>(Status status, @Nullable R result, long token) {

        public Outcome {
            requireNonNull(status, "status");
        }

        /** The action's return value, if it ran and returned one. */
        public Optional<R> value() {
            return Optional.ofNullable(result);
        }

        /** Whether the action ran to completion under a lease held throughout. */
        public boolean acted() {
            return status == Status.ACTED;
        }
    }

    /** The lock step: choose a reload, or act without one. */
    public final class Locked {
        private final LockRequest request;

        private Locked(LockRequest request) {
            this.request = request;
        }

        /** Reads the current state after the lock is held; its value goes to the predicate and the action. */
        public <T> Reloaded<T> reload(Supplier<? extends T> reload) {
            return new Reloaded<>(request, requireNonNull(reload, "reload"), t -> true);
        }

        /** Acts under the lock without a reload. */
        public <R> Outcome<R> act(Function<? super Lease, ? extends R> action) {
            requireNonNull(action, "action");
            return new Reloaded<@Nullable Object>(request, () -> null, t -> true).act((t, lease) -> action.apply(lease));
        }
    }

    /** The reload step: optionally a predicate, then the action. */
    public final class Reloaded<T> {
        private final LockRequest request;
        private final Supplier<? extends T> reload;
        private final Predicate<? super T> stillNeeded;

        private Reloaded(LockRequest request, Supplier<? extends T> reload, Predicate<? super T> stillNeeded) {
            this.request = request;
            this.reload = reload;
            this.stillNeeded = stillNeeded;
        }

        /** Acts only if {@code stillNeeded} holds for the fresh reload; otherwise the outcome is SKIPPED. */
        public Reloaded<T> onlyIf(Predicate<? super T> stillNeeded) {
            return new Reloaded<>(request, reload, requireNonNull(stillNeeded, "stillNeeded"));
        }

        /**
         * Acquires, reloads, checks, acts, releases.
         *
         * @throws LockBackendException     if the backend is unreachable when acquiring
         * @throws LockInterruptedException if interrupted while waiting for the lock
         */
        public <R> Outcome<R> act(BiFunction<? super T, ? super Lease, ? extends R> action) {
            requireNonNull(action, "action");
            Optional<Lease> acquired = provider.tryAcquire(request);
            if (acquired.isEmpty()) {
                return new Outcome<>(Status.BUSY, null, 0);
            }
            Lease lease = acquired.get();
            long token = lease.token();
            try {
                T fresh = reload.get();
                if (!lease.isHeld()) {
                    return new Outcome<>(Status.LOST, null, token);
                }
                if (!stillNeeded.test(fresh)) {
                    return new Outcome<>(Status.SKIPPED, null, token);
                }
                if (!lease.isHeld()) {
                    return new Outcome<>(Status.LOST, null, token);
                }
                R result;
                try {
                    result = action.apply(fresh, lease);
                } catch (LockLostException e) {
                    return new Outcome<>(Status.LOST, null, token);
                }
                return new Outcome<>(lease.isHeld() ? Status.ACTED : Status.LOST, result, token);
            } finally {
                try {
                    lease.release();
                } catch (LockBackendException e) {
                    log.warn("release after guarded action failed; the lock frees itself when its lease ends", e);
                }
            }
        }
    }
}
