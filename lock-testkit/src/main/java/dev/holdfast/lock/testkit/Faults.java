package dev.holdfast.lock.testkit;

import dev.holdfast.lock.LockProvider;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The faults a backend's test supplies to {@link LockProviderContract}. Every backend implements all of
 * them, in the way that backend can suffer them; the contract then checks the same invariants everywhere
 * (never two valid holders, loss reported, service resumes, tokens keep increasing).
 *
 * <p>A paused holder (GC pause, SIGSTOP) is covered by leases requested with {@code autoRenew(false)}:
 * to the backend, a holder that stops renewing looks the same. Pausing whole worker processes is the
 * cross-process fault harness's job.
 */
public interface Faults {

    /**
     * Makes the backend forget the current holder of {@code name} now, as if its lease had run out on the
     * backend's clock (delete the key/row/node, end the session that holds it). The holder's client is not
     * told: it finds out when it next renews or extends. Does nothing if nobody holds the name.
     */
    void expire(String name);

    /**
     * A new provider configured for a backend that cannot be reached (for example a port where nothing
     * listens), built so that {@code tryAcquire} reaches the backend call. The kit closes it.
     */
    LockProvider createUnreachableProvider();

    /**
     * Cuts every connection or session {@code provider} has to the backend, from the backend's side
     * (terminate the session, CLIENT KILL, expire the ZooKeeper session). The provider must reconnect for
     * later requests.
     */
    void cutConnections(LockProvider provider);

    /**
     * Restarts the backend, or does to all its clients what a restart does (every connection dropped,
     * non-durable state gone), and returns once it serves requests again.
     */
    void restartBackend();

    /**
     * Optional fault, for the unknown-outcome case: arranges that {@code provider}'s next acquire is
     * executed by the backend but its reply is lost (dropped by a proxy, the connection cut right after the
     * server ran the command, a pause longer than the client's timeout), so the client cannot tell whether it
     * was granted. The contract then requires that no lock is left behind unless the acquire returned a
     * lease. Every fixture of a backend reached over a network implements this; only an in-process backend
     * (nothing to lose) returns an empty {@code Optional}. The default throws, so a fixture that forgot fails
     * the case instead of skipping it.
     *
     * @return empty for an in-process backend; otherwise a check, asked once the acquire has returned or
     *         thrown, that answers whether a reply of that acquire really was lost (the command ran on the
     *         backend and its answer never reached the client). The contract fails the case when it answers
     *         {@code false}: a fault that did not fire tests nothing.
     */
    default Optional<BooleanSupplier> loseNextAcquireReply(LockProvider provider) {
        throw new UnsupportedOperationException(getClass().getSimpleName()
                + " must implement loseNextAcquireReply (return Optional.empty() only for an in-process backend)");
    }
}
