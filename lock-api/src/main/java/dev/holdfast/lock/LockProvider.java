package dev.holdfast.lock;

import java.util.Optional;

/**
 * Grants leases on named locks from one backend. Thread-safe; create one per application and backend
 * and share it. Closing it gives up every lease it granted that is still open (those leases are
 * reported lost with {@link LossReason#PROVIDER_CLOSED}) and stops its renewal thread.
 *
 * <p>Within one provider at most one lease per lock name is open at a time: a second request for a
 * name this provider already holds waits or is busy, like a request from another process.
 */
public interface LockProvider extends AutoCloseable {

    /**
     * Tries to take the lock, waiting up to {@code request.waitTime()} for another holder to let go.
     *
     * @return the lease, or empty if another holder kept the lock for the whole wait
     * @throws LockBackendException     if the backend cannot be reached or fails
     * @throws LockInterruptedException if the thread was interrupted while waiting (flag restored)
     * @throws LockProviderClosedException if the provider is closed (an {@link IllegalStateException})
     */
    Optional<Lease> tryAcquire(LockRequest request);

    /**
     * Like {@link #tryAcquire(LockRequest)} for {@code LockRequest.of(name)}: default lease time, no wait.
     *
     * @throws IllegalArgumentException if the name is invalid
     */
    default Optional<Lease> tryAcquire(String name) {
        return tryAcquire(LockRequest.of(name));
    }

    /**
     * Takes the lock, waiting up to {@code request.waitTime()}.
     *
     * @return the lease; use it in try-with-resources
     * @throws LockNotAcquiredException if another holder kept the lock for the whole wait
     * @throws LockBackendException     if the backend cannot be reached or fails
     * @throws LockInterruptedException if the thread was interrupted while waiting (flag restored)
     * @throws LockProviderClosedException if the provider is closed (an {@link IllegalStateException})
     */
    Lease acquire(LockRequest request);

    /**
     * Gives up every open lease (reported lost to their holders) and releases the provider's own
     * threads and connections. Resources passed in by the caller (data sources, clients) stay open.
     * Idempotent.
     */
    @Override
    void close();
}
