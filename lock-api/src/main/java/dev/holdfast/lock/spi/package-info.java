/**
 * For backend authors: the pieces every provider shares, so that no backend copies another.
 *
 * <ul>
 *   <li>{@link dev.holdfast.lock.spi.AbstractLockProvider} — request validation, timing, events, error
 *       wrapping, interrupt handling and the set of open leases closed with the provider;</li>
 *   <li>{@link dev.holdfast.lock.spi.AbstractLease} — the lease state machine (held, released, lost),
 *       the conservative local deadline, automatic renewal on the provider's single scheduler thread,
 *       minHold, and loss reported exactly once;</li>
 *   <li>{@link dev.holdfast.lock.spi.LockRuntime} — one per provider: the scheduler thread, clocks,
 *       listeners, owner ids and in-process wake-ups;</li>
 *   <li>{@link dev.holdfast.lock.spi.WaitSignals} and {@link dev.holdfast.lock.spi.Backoff} — waiting for a
 *       busy lock: woken by a signal where the backend can notify, jittered backoff as the fallback;</li>
 *   <li>{@link dev.holdfast.lock.spi.Interrupts} — telling an interrupt from a backend failure, and running
 *       a release that an interrupt must not cut short.</li>
 * </ul>
 * A backend implements only: try to take the lock once, renew it, release it (each owner-and-token
 * checked on the backend, with {@link dev.holdfast.lock.spi.AbstractLease#backendToken()}), and optionally
 * report a lost connection. The shared flow never returns a grant that is not held (it gives it back), maps
 * interrupts to {@link dev.holdfast.lock.LockInterruptedException}, and adds the builder's {@code
 * tokensAbove} offset to the tokens callers see.
 */
@NullMarked
package dev.holdfast.lock.spi;

import org.jspecify.annotations.NullMarked;
