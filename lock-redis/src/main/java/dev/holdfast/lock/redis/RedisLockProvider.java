package dev.holdfast.lock.redis;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.LockBackendException;
import dev.holdfast.lock.LockInfo;
import dev.holdfast.lock.LockInspector;
import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.spi.AbstractLease;
import dev.holdfast.lock.spi.AbstractLockProvider;
import dev.holdfast.lock.spi.AbstractProviderBuilder;
import dev.holdfast.lock.spi.Backoff;
import dev.holdfast.lock.spi.LockRuntime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.redisson.api.RedissonClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Distributed locks in Redis, through a {@link RedissonClient} you already have (single server, Sentinel,
 * Cluster, replicated: whatever Redisson is configured for). Fenced, owner-checked, woken by pub/sub.
 *
 * <pre>{@code
 * LockProvider locks = RedisLockProvider.builder(redisson).keyPrefix("holdfast:").build();
 * try (Lease lease = locks.acquire(LockRequest.named("payout:" + sellerId).waitTime(Duration.ofSeconds(5)).build())) {
 *     payouts.pay(invoice, lease.token());
 * }
 * }</pre>
 *
 * <p>The algorithm (each step is one Lua script, one round trip, EVALSHA):
 * <ol>
 *   <li><b>Acquire</b>: if the lock hash {@code <prefix>{<encoded name>}} does not exist, the next token is
 *       {@code max(counter + 1, server TIME in µs)}, stored in {@code <prefix>{<encoded name>}:fence}; the
 *       hash gets {@code owner}, {@code token}, {@code since} and a TTL of the lease time (PEXPIRE). Busy
 *       returns nil: an empty result, never an exception. Both keys share one hash slot. The owner id is
 *       new for every attempt, and a copy of the script that finds the hash already held by that owner id
 *       returns its token (Redisson may resend a script whose reply is late; see the package
 *       documentation).</li>
 *   <li><b>Wait</b>: a busy attempt that may still wait subscribes (once per name per provider) to the
 *       name's release channel and retries at once; releases published there wake the waiting threads
 *       through {@code signals()}; a jittered backoff (default 10–200 ms) covers missed messages and
 *       locks that simply expire.</li>
 *   <li><b>Renew / extend</b>: PEXPIRE only if owner and token still match; 0 = refused, and the lease is
 *       lost at once. Renewal runs at a third of the lease time on the provider's single scheduler thread;
 *       a renewal that cannot reach Redis is retried until the conservative local deadline.</li>
 *   <li><b>Release</b>: only if owner and token match: DEL and PUBLISH on the release channel, or, when
 *       the request's minHold has not passed, PEXPIRE to the rest of it; the owner id is remembered for
 *       60 s in the sorted set {@code <prefix>{<encoded name>}:gone}, so a resent copy of the release
 *       reports success.
 *       An acquire interrupted (or failed) while its script was in flight is undone by an owner-checked
 *       delete that also marks the owner gone; so is (asynchronously) a busy answer that took longer than
 *       Redisson's response timeout, as a resent copy of that acquire may still grant.</li>
 *   <li><b>Replica acknowledgement</b> (optional, {@link Builder#replicaAcks}): acquire and renew are
 *       pipelined with {@code WAIT n timeout} in the same round trip; a grant that fewer than {@code n}
 *       replicas confirmed is released again and reported as a {@link LockBackendException}.</li>
 * </ol>
 * Ownership is the {@link dev.holdfast.lock.Lease} object, never a thread: Redisson's {@code RLock} is not
 * used. See the package documentation for the guarantees and what a restart or failover can do.
 *
 * <p>Memory: besides the lock hash and fence counter, each name that is released has the {@code :gone}
 * sorted set, one entry (about 130 bytes with typical owner ids) per release or abandon in the last 60 s;
 * every write trims older entries and the set expires 60 s after its last write. A hot name released
 * {@code r} times a second costs about {@code r × 60 × 130} bytes (~1 MB at 130 releases/s); idle names
 * cost nothing. {@link Builder#build()} checks that Redisson's resend window, {@code retryAttempts ×
 * (timeout + retry delay)}, stays below those 60 s; with {@link Builder#replicaAcks replicaAcks(n, t)} it is
 * {@code retryAttempts × (timeout + t + retry delay)}, since Redisson waits {@code timeout + t} for the reply
 * of the acknowledged batch before it resends it.
 *
 * <p>Thread-safe. {@link #close()} reports open leases lost and releases them; it shuts down the Redisson
 * client only if {@link Builder#shutdownClientOnClose} was set.
 */
public final class RedisLockProvider extends AbstractLockProvider implements LockInspector {

    private static final Logger log = LoggerFactory.getLogger(RedisLockProvider.class);
    static final String BACKEND = "redis";
    /**
     * How long the server remembers an owner id that released or abandoned a lock (the {@code :gone}
     * sorted set): longer than any resend of a command by the client can take.
     */
    static final Duration GONE_MEMORY = Duration.ofSeconds(60);
    /** At most this many undo scripts are retried in the background at once (a long outage must not pile them up). */
    static final int MAX_PENDING_ABANDONS = 256;

    private final RedissonClient client;
    private final RedisKeys keys;
    private final RedisScripts scripts;
    private final ReleaseNotifications notifications;
    private final int replicaAcks;
    private final Duration replicaAckTimeout;
    private final boolean shutdownClient;
    private final @Nullable ScheduledFuture<?> sweeper;
    private final AtomicInteger pendingAbandons = new AtomicInteger();
    /** An acquire answered busy after this long may have been resent, and a copy may grant later. */
    private final long resendPossibleAfterNanos;

    private RedisLockProvider(LockRuntime runtime, Builder b, @Nullable RedissonTimings timings) {
        super(runtime, new Backoff(b.backoffMin, b.backoffMax));
        // with replicaAcks the acquire goes out as a batch whose response timeout is timeout + ack timeout
        this.resendPossibleAfterNanos = timings == null ? 0 : timings.responseTimeout().toNanos();
        this.client = b.client;
        this.keys = new RedisKeys(b.keyPrefix);
        this.scripts = new RedisScripts(b.client);
        this.notifications = new ReleaseNotifications(b.client, runtime.signals());
        this.replicaAcks = b.replicaAcks;
        this.replicaAckTimeout = b.replicaAckTimeout;
        this.shutdownClient = b.shutdownClientOnClose;
        this.sweeper = runtime.scheduleWithFixedDelay(notifications::sweep, Duration.ofSeconds(1));
    }

    /** Starts a builder around {@code client}, which the provider uses but does not own. */
    public static Builder builder(RedissonClient client) {
        return new Builder(requireNonNull(client, "client"));
    }

    @Override
    protected Optional<? extends AbstractLease> tryAcquireOnBackend(LockRequest request, long deadlineNanos)
            throws InterruptedException {
        RedisKeys.Names names = keys.of(request.name());
        Optional<RedisLease> lease = attempt(request, names);
        if (lease.isPresent()) {
            return lease;
        }
        long remaining = deadlineNanos - runtime.ticker().nanoTime();
        if (remaining > 0 && notifications.ensureSubscribed(request.name(), names.channel(), remaining)) {
            // a release between the attempt and the subscription was not announced to us: look again
            return attempt(request, names);
        }
        return Optional.empty();
    }

    /**
     * One acquire script, with an owner id of its own (an attempt that gave up its owner id by
     * {@link #abandon} must not share it with a later attempt, whose grant that owner id would refuse).
     */
    private Optional<RedisLease> attempt(LockRequest request, RedisKeys.Names names)
            throws InterruptedException {
        String owner = runtime.newOwnerId();
        String leaseMs = Long.toString(request.leaseTime().toMillis());
        List<Object> scriptKeys = List.of(names.lock(), names.fence(), names.gone());
        long start = runtime.ticker().nanoTime();
        long token;
        RedisScripts.Acked<Long> acked = null;
        try {
            if (replicaAcks == 0) {
                Long result = scripts.runOnKeysInterruptibly(RedisScripts.Script.ACQUIRE, scriptKeys, owner, leaseMs);
                token = result == null ? 0 : result;
            } else {
                acked = scripts.runAcked(RedisScripts.Script.ACQUIRE, scriptKeys, replicaAcks, replicaAckTimeout, true,
                        owner, leaseMs);
                token = acked.result() == null ? 0 : acked.result();
            }
        } catch (InterruptedException e) {
            // the script may have run (or still run: sent, or resent by Redisson): undo it before reporting
            abandon(request, names, owner, true);
            throw e;
        } catch (RuntimeException e) {
            // no answer in time, connection lost, ...: the grant may have happened without us knowing
            abandon(request, names, owner, false);
            throw e;
        }
        if (acked != null && token > 0 && acked.replicas() < replicaAcks) {
            abandon(request, names, owner, true);
            throw new LockBackendException(request.name(), BACKEND, "grant acknowledged by "
                    + acked.replicas() + " of the " + replicaAcks + " replicas required within "
                    + replicaAckTimeout + "; it was not granted", null);
        }
        if (token <= 0) {
            if (runtime.ticker().nanoTime() - start >= resendPossibleAfterNanos) {
                // Redisson may have resent the script (no reply within its timeout) and returned the answer of
                // one copy while another is still on its way: if the holder releases in between, that copy
                // grants to this owner id with nobody to release it. Give the owner id up (owner-checked,
                // asynchronous: the busy answer is not delayed); copies arriving later are refused.
                abandon(request, names, owner, false);
            }
            return Optional.empty();
        }
        return Optional.of(new RedisLease(runtime, this, names, request, token, owner, start));
    }

    /**
     * Gives up an acquire attempt whose outcome is unknown: deletes the lock only if this attempt's owner
     * holds it, and marks the owner gone so a copy of the acquire still on its way is refused. After an
     * interrupt the first try is waited for (bounded by the client's timeout: the process may be shutting
     * down); after a failure it does not keep the caller waiting. The script is idempotent, so a try that
     * gets no answer is repeated in the background until one is answered, for at most the lease time plus
     * {@link #GONE_MEMORY} (by then a grant it could have made has expired) or until the provider closes.
     */
    private void abandon(LockRequest request, RedisKeys.Names names, String owner, boolean await) {
        Abandon abandon = new Abandon(request.name(), names, owner,
                runtime.ticker().nanoTime() + request.leaseTime().toNanos() + GONE_MEMORY.toNanos());
        if (!await) {
            abandon.send();
            return;
        }
        Long freed;
        try {
            freed = scripts.runOnKeys(RedisScripts.Script.ABANDON, abandon.scriptKeys(), abandon.args());
        } catch (RuntimeException e) {
            abandon.retryLater(e);
            return;
        }
        abandon.done(freed);
    }

    /** Background tries of one abandon script (see {@link #abandon}). */
    private final class Abandon {
        private final String name;
        private final RedisKeys.Names names;
        private final String owner;
        private final long giveUpAtNanos;
        private int tries = 1;
        private boolean counted; // among pendingAbandons

        Abandon(String name, RedisKeys.Names names, String owner, long giveUpAtNanos) {
            this.name = name;
            this.names = names;
            this.owner = owner;
            this.giveUpAtNanos = giveUpAtNanos;
        }

        List<Object> scriptKeys() {
            return List.of(names.lock(), names.gone());
        }

        Object[] args() {
            return new Object[] {owner, names.channel(), Long.toString(GONE_MEMORY.toMillis())};
        }

        void send() {
            scripts.<Long>runOnKeysAsync(RedisScripts.Script.ABANDON, scriptKeys(), args()).whenComplete((freed, e) -> {
                if (e == null) {
                    done(freed);
                } else {
                    retryLater(e instanceof java.util.concurrent.CompletionException && e.getCause() != null
                            ? e.getCause() : e);
                }
            });
        }

        void done(@Nullable Long freed) {
            finish();
            if (freed != null && freed == 1) {
                log.debug("freed lock '{}': an acquire attempt with an unknown outcome ({}) had taken it", name, owner);
            }
        }

        private void finish() {
            if (counted) {
                counted = false;
                pendingAbandons.decrementAndGet();
            }
        }

        void retryLater(Throwable e) {
            long delay = Math.min(1_000_000_000L, 50_000_000L << Math.min(tries, 5));
            if (!counted) {
                if (pendingAbandons.incrementAndGet() > MAX_PENDING_ABANDONS) {
                    pendingAbandons.decrementAndGet();
                    log.warn("not retrying to undo an acquire attempt of '{}' ({}) with an unknown outcome: {} are "
                            + "already being retried; if it was granted the lock stays taken until its lease time "
                            + "passes: {}", name, owner, MAX_PENDING_ABANDONS, e.toString());
                    return;
                }
                counted = true;
            }
            if (isClosed()) {
                finish();
                log.info("provider closed before an acquire attempt of '{}' ({}) with an unknown outcome was undone; "
                        + "if it was granted the lock stays taken until its lease time passes", name, owner);
                return;
            }
            if (runtime.ticker().nanoTime() + delay - giveUpAtNanos > 0) {
                finish();
                log.warn("gave up undoing an acquire attempt of '{}' ({}) with an unknown outcome after {} tries; "
                        + "if it was granted the lock stays taken until its lease time passes: {}", name, owner, tries,
                        e.toString());
                return;
            }
            log.debug("undoing an acquire attempt of '{}' ({}) failed (try {}), retrying: {}", name, owner, tries,
                    e.toString());
            tries++;
            if (runtime.schedule(this::send, delay) == null) {
                finish();
                log.info("provider closed before an acquire attempt of '{}' ({}) with an unknown outcome was undone; "
                        + "if it was granted the lock stays taken until its lease time passes", name, owner);
            }
        }
    }

    boolean extend(RedisKeys.Names names, String owner, long token, Duration leaseTime) {
        String leaseMs = Long.toString(Math.max(1, leaseTime.toMillis()));
        if (replicaAcks == 0) {
            Long result = scripts.runOnKey(RedisScripts.Script.EXTEND, names.lock(), owner, Long.toString(token), leaseMs);
            return result != null && result == 1;
        }
        RedisScripts.Acked<Long> acked;
        try {
            acked = scripts.runAcked(RedisScripts.Script.EXTEND, List.of(names.lock()),
                    replicaAcks, replicaAckTimeout, false, owner, Long.toString(token), leaseMs);
        } catch (InterruptedException e) {
            throw new AssertionError("an uninterruptible wait was interrupted", e);
        }
        if (acked.result() == null || acked.result() != 1) {
            return false;
        }
        if (acked.replicas() < replicaAcks) {
            // renewed on the primary only: a failover now could free the lock early; retried like a failure
            throw new IllegalStateException("renewal acknowledged by " + acked.replicas() + " of the "
                    + replicaAcks + " replicas required within " + replicaAckTimeout);
        }
        return true;
    }

    /**
     * Owner-and-token-checked release (release.lua). A resent copy of a release that already worked
     * (Redisson resends a command whose reply is late, and the last copy's reply is the one returned)
     * finds this owner recorded as gone and counts as released.
     *
     * @return whether this owner and token held the lock: false only if it expired or another owner holds it
     */
    boolean release(RedisKeys.Names names, String owner, long token, Duration keepFor) {
        long keepMs = keepFor.isZero() ? 0 : Math.max(1, (keepFor.toNanos() + 999_999) / 1_000_000);
        Long released = scripts.runOnKeys(RedisScripts.Script.RELEASE, List.of(names.lock(), names.gone()), owner,
                Long.toString(token), Long.toString(keepMs), names.channel(), Long.toString(GONE_MEMORY.toMillis()));
        if (released == null) {
            return false;
        }
        if (released == 2) {
            log.debug("release of '{}' (token {}) was answered by a resent copy; the first copy released it",
                    names.lock(), token);
        }
        return released == 1 || released == 2;
    }

    /**
     * Reads the holder of {@code name}: owner id, token (as leases show it, with this provider's
     * {@code tokensAbove} offset), when it was granted (Redis server clock) and the
     * remaining TTL. Waiters are not tracked by Redis, so {@code waiters()} is -1.
     *
     * @throws IllegalArgumentException if the name is invalid
     * @throws LockBackendException     if Redis cannot be reached
     */
    @Override
    public Optional<LockInfo> inspect(String name) {
        LockRequest.validateName(name);
        List<Object> row;
        try {
            row = scripts.runOnKey(RedisScripts.Script.INSPECT, keys.of(name).lock());
        } catch (RuntimeException e) {
            throw new LockBackendException(name, BACKEND, "inspect failed", e);
        }
        if (row == null || row.isEmpty()) {
            return Optional.empty();
        }
        long since = Long.parseLong(String.valueOf(row.get(2)));
        long ttl = Long.parseLong(String.valueOf(row.get(3)));
        Instant acquiredAt = since > 0 ? Instant.ofEpochSecond(since / 1_000_000, (since % 1_000_000) * 1000) : null;
        long token = runtime.visibleToken(Long.parseLong(String.valueOf(row.get(1))));
        return Optional.of(new LockInfo(name, String.valueOf(row.get(0)), token,
                acquiredAt, ttl >= 0 ? Duration.ofMillis(ttl) : null, -1));
    }

    /** How many release channels this provider subscribes to now (for tests). */
    int subscriptions() {
        return notifications.size();
    }

    @Override
    protected void closeBackend() {
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        try {
            notifications.close();
        } finally {
            if (shutdownClient) {
                client.shutdown(0, 5, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Builds a {@link RedisLockProvider}. Each setter checks its value at once.
     */
    public static final class Builder extends AbstractProviderBuilder<Builder> {
        private final RedissonClient client;
        private String keyPrefix = "holdfast:";
        private int replicaAcks;
        private Duration replicaAckTimeout = Duration.ZERO;
        private Duration backoffMin = Duration.ofMillis(10);
        private Duration backoffMax = Duration.ofMillis(200);
        private boolean shutdownClientOnClose;

        private Builder(RedissonClient client) {
            this.client = client;
        }

        /**
         * The prefix of every key and channel (default {@code "holdfast:"}); at most 100 characters, no
         * braces, whitespace or control characters. Providers that should see each other's locks must use
         * the same prefix.
         */
        public Builder keyPrefix(String keyPrefix) {
            this.keyPrefix = RedisKeys.validatePrefix(requireNonNull(keyPrefix, "keyPrefix"));
            return this;
        }

        /**
         * Counts a grant (and a renewal) only once {@code replicas} replicas acknowledged it, by pipelining
         * {@code WAIT replicas timeout} after the script (still one round trip; it takes as long as the
         * slowest of those replicas, up to {@code timeout}). A grant not acknowledged in time is released
         * and {@code tryAcquire} throws {@link LockBackendException}; a renewal not acknowledged is retried
         * like a failed one. Without this, a failover can lose a grant the primary made (see the package
         * documentation). It fails closed: with fewer than {@code replicas} replicas reachable (for
         * example right after a failover that consumed the only replica), every acquire fails until
         * enough replicas are back.
         *
         * @param replicas at least 1
         * @param timeout  positive, at most 1 minute
         */
        public Builder replicaAcks(int replicas, Duration timeout) {
            requireNonNull(timeout, "timeout");
            if (replicas < 1) {
                throw new IllegalArgumentException("replicaAcks replicas must be at least 1, was " + replicas);
            }
            if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() < 1) {
                throw new IllegalArgumentException("replicaAcks timeout must be at least 1 ms, was " + timeout);
            }
            if (timeout.compareTo(Duration.ofMinutes(1)) > 0) {
                throw new IllegalArgumentException("replicaAcks timeout must be at most 1 minute, was " + timeout);
            }
            this.replicaAcks = replicas;
            this.replicaAckTimeout = timeout;
            return this;
        }

        /**
         * The pauses between attempts when no release notification arrives (missed message, lock left to
         * expire): jittered, doubling from {@code min} to {@code max}. Default 10 ms to 200 ms.
         */
        public Builder backoff(Duration min, Duration max) {
            Backoff checked = new Backoff(min, max);
            this.backoffMin = checked.min();
            this.backoffMax = checked.max();
            return this;
        }

        /** Whether {@link RedisLockProvider#close()} also shuts down the Redisson client. Default false. */
        public Builder shutdownClientOnClose(boolean shutdown) {
            this.shutdownClientOnClose = shutdown;
            return this;
        }

        /**
         * Builds the provider; it connects lazily, on first use.
         *
         * @throws IllegalArgumentException if the client's resend window, {@code retryAttempts × (timeout +
         *                                  retry delay)} (with {@link #replicaAcks}: {@code retryAttempts ×
         *                                  (timeout + replicaAcks timeout + retry delay)}, as Redisson gives the
         *                                  acknowledged batch a response timeout of timeout + replicaAcks
         *                                  timeout), is not below the 60 s for which Redis remembers an
         *                                  owner id that gave a lock up (see {@link RedisLockProvider})
         */
        public RedisLockProvider build() {
            RedissonTimings timings = RedissonTimings.of(client);
            if (timings != null && replicaAcks > 0) {
                // acquire and renew go out as a batch with sync(n, t): Redisson waits timeout + t before a resend
                timings = timings.withAckTimeout(replicaAckTimeout);
            }
            if (timings == null) {
                log.info("cannot read the resend settings of {} (not an org.redisson.Redisson): every busy answer "
                        + "is followed by an asynchronous owner-checked cleanup, in case a resent copy grants later",
                        client.getClass().getName());
            } else if (timings.resendWindow().compareTo(GONE_MEMORY) >= 0) {
                throw new IllegalArgumentException("the Redisson client may resend a command for up to "
                        + timings.resendWindow().toMillis() + " ms (" + timings + "), which is not less than the "
                        + GONE_MEMORY.toMillis() + " ms for which Redis remembers a released or abandoned owner id: "
                        + "a late copy of an acquire could take the lock again for nobody. Lower the Redisson "
                        + "timeout, retryAttempts or retry delay (or the replicaAcks timeout) so that retryAttempts × "
                        + "(timeout + replicaAcks timeout + retry delay) stays below " + GONE_MEMORY.toMillis() + " ms");
            }
            return new RedisLockProvider(runtime(BACKEND), this, timings);
        }
    }

    @Override
    public String toString() {
        return "RedisLockProvider[" + runtime.instanceId() + ", prefix " + keys + "]";
    }
}
