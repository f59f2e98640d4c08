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
 *   <li>{@link dev.holdfast.lock.spi.AcquireLoop} — waiting for a busy lock: woken by a signal where the
 *       backend can notify, jittered backoff as the fallback.</li>
 * </ul>
 * A backend implements only: try to take the lock once, renew it, release it (each owner-and-token
 * checked on the backend), and optionally report a lost connection.
 */
@NullMarked
package dev.holdfast.lock.spi;

import org.jspecify.annotations.NullMarked;
