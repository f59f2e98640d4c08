/**
 * Holdfast's public lock API: {@link dev.holdfast.lock.LockProvider} grants
 * {@link dev.holdfast.lock.Lease}s for {@link dev.holdfast.lock.LockRequest}s, and
 * {@link dev.holdfast.lock.Guard} wraps a critical action in acquire, fresh reload, act only if still
 * needed, release.
 *
 * <p>Every provider keeps the same contract: at most one valid lease per lock name as the backend
 * judges it; leases expire on the backend's clock; renewal is automatic while a lease is open; loss is
 * reported once; every grant carries a fencing token that strictly increases per name; ownership is the
 * {@code Lease} object, not a thread; "busy" is an empty result while "backend unreachable" is a
 * {@link dev.holdfast.lock.LockBackendException}.
 */
@NullMarked
package dev.holdfast.lock;

import org.jspecify.annotations.NullMarked;
