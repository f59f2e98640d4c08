package dev.holdfast.lock;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * A granted lock. The lease object is the owner: any thread may extend or release it (async code,
 * virtual threads), and release and extend only ever touch the lock while this lease still owns it
 * (checked on the backend by owner id and token), so a stale lease can never release or extend the
 * next holder's lock.
 *
 * <h2>Expiry and loss</h2>
 * The backend keeps the lock for {@link #leaseTime()} from the last grant or renewal; the provider
 * renews it at about a third of that time while the lease is open (unless the request turned renewal
 * off). The client also keeps a conservative local deadline: the start of the backend call that granted
 * the lock, or of the read that confirmed it where the backend queues waiters (monotonic clock) + lease
 * time − a small safety margin, so it stops believing it holds the lock <em>before</em> the backend can
 * grant it to anyone else. The lease becomes <em>lost</em> when a renewal is refused, renewal keeps
 * failing until that deadline, the deadline passes without renewal, the connection or session holding
 * the lock ends, or the provider closes. Then {@link #isHeld()} is false, {@link #checkHeld()} throws
 * {@link LockLostException}, and every {@link #onLost} listener runs exactly once.
 *
 * <h2>Fencing</h2>
 * {@link #token()} strictly increases per lock name across all holders and processes <em>of one
 * backend</em>. Pass it with every write to a shared resource so the resource can refuse a stale holder,
 * for example {@code UPDATE account SET ..., fence = ? WHERE id = ? AND fence < ?}.
 *
 * <p>Tokens of different backends are different ranges and cannot be compared: the JDBC table lease
 * counts 1, 2, 3… per name, the advisory and {@code GET_LOCK} providers use a counter table, Redis
 * starts near 1.8e15 (from the server's time), ZooKeeper uses the node's creation zxid. A resource that
 * was fenced by one backend refuses every write of another whose tokens are smaller. When moving a lock
 * name to another backend, build every client of the new one with the builder option {@code
 * tokensAbove(highWaterMark)} (the highest token the resources have seen), so tokens keep increasing.
 */
public interface Lease extends AutoCloseable {

    /** The lock name. */
    String name();

    /**
     * The fencing token of this grant: strictly increasing per lock name within one backend (plus the
     * provider's {@code tokensAbove} offset, if configured). Tokens of different backends cannot be
     * compared; see "Fencing" above.
     */
    long token();

    /** The owner id recorded on the backend for this lease (unique per lease). */
    String ownerId();

    /** When the lock was granted, by this process's wall clock (for display, not for timing). */
    Instant acquiredAt();

    /** The lease time the backend currently enforces for this lease. */
    Duration leaseTime();

    /**
     * Whether this lease still owns the lock as far as this client can tell: not released, not lost,
     * and its local deadline has not passed. Cheap; never talks to the backend.
     */
    boolean isHeld();

    /**
     * Throws unless {@link #isHeld()}; call it before each step of long work.
     *
     * @throws LockLostException     if the lease was lost (the reason says why)
     * @throws IllegalStateException if the lease was released by its owner
     */
    void checkHeld();

    /**
     * Asks the backend to keep the lock for {@code leaseTime} from now, and makes that the lease time
     * for later automatic renewals.
     *
     * @throws IllegalArgumentException if {@code leaseTime} is not positive or too long
     * @throws LockLostException        if the lease was lost, or the backend says this lease no longer
     *                                  owns the lock (the lease is then lost)
     * @throws IllegalStateException    if the lease was already released
     * @throws LockBackendException     if the backend could not be reached; the lease stays held until
     *                                  its current deadline
     * @throws LockInterruptedException if the thread was interrupted during the backend call (flag
     *                                  restored); the lease stays held until its current deadline
     */
    void extend(Duration leaseTime);

    /**
     * Like {@link #extend(Duration)}, and also sets a new minimum hold: a {@link #release()} from now on
     * keeps the lock taken until {@code now + minHold} (ShedLock's {@code extend(lockAtMostFor,
     * lockAtLeastFor)}). The new minHold replaces the request's, counted from this call instead of from
     * the grant; zero lets a release free the lock at once. Input is validated before the backend is
     * asked, and invalid input leaves the lease as it was.
     *
     * @param leaseTime the new lease time; positive, at most {@link LockRequest#MAX_DURATION}
     * @param minHold   zero or positive, at most {@code leaseTime}
     * @throws IllegalArgumentException if a value is out of range (the message names it and the limit)
     * @throws LockLostException        if the lease was lost, or the backend says this lease no longer
     *                                  owns the lock (the lease is then lost)
     * @throws IllegalStateException    if the lease was already released
     * @throws LockBackendException     if the backend could not be reached; lease time and minHold stay
     *                                  as they were
     * @throws LockInterruptedException if the thread was interrupted during the backend call (flag
     *                                  restored)
     */
    void extend(Duration leaseTime, Duration minHold);

    /**
     * Releases the lock if this lease still owns it; idempotent and callable from any thread. If the
     * request had a {@code minHold}, the lock stays taken until {@code acquiredAt + minHold} (or until the
     * time set by {@link #extend(Duration, Duration)}). Works from an interrupted thread: the backend call
     * runs with the interrupt flag cleared, and the flag is set again afterwards.
     *
     * @return {@code true} if this call gave up a held lock; {@code false} if the lease was already
     *         released or lost (the lock is then left untouched: it may be someone else's now), or if the
     *         backend says it had already dropped this lease — the lease is then reported lost
     *         ({@link LossReason#REFUSED}) to its {@link #onLost} listeners, where the backend can tell
     * @throws LockBackendException if the backend could not be told; the lease is given up locally
     *                              anyway and the backend frees the lock when its lease time runs out
     */
    boolean release();

    /** Same as {@link #release()}, for try-with-resources. */
    @Override
    void close();

    /**
     * Registers a listener that runs exactly once if this lease is lost, on the thread that detects the
     * loss — usually the provider's renewal thread, or a caller of {@link #isHeld()}, {@link #extend} or
     * {@link #release()} — or at once on this thread if the lease is already lost. {@code isHeld()} may
     * turn false a moment before the listeners have run. It never runs after a normal release. Listeners
     * must be quick; their exceptions are logged and do not affect other listeners.
     */
    void onLost(Consumer<? super LockLostException> listener);
}
