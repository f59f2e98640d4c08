/**
 * Redis locks on Redisson: {@link dev.holdfast.lock.redis.RedisLockProvider}.
 *
 * <h2>Keys</h2>
 * For lock name {@code n} and prefix {@code p}: the lock hash {@code p{enc(n)}} (fields owner, token,
 * since; TTL = lease), the fence counter {@code p{enc(n)}:fence} (no TTL: one small key per name ever
 * locked), the channel {@code p{enc(n)}:released} and {@code p{enc(n)}:gone}, a sorted set of the owner
 * ids that released or abandoned the lock in the last 60 s (see "Resent commands and interrupts"). {@code enc} escapes every byte outside
 * {@code [A-Za-z0-9._:/-]} of the UTF-8 name as {@code %XX}, so braces, spaces and binary-looking names
 * stay inside one hash tag and two names never share keys; encodings over 200 characters become
 * {@code #} + base64url(SHA-256(name)).
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>At most one valid lease per name as the Redis primary judges it: the key's TTL is the lease,
 *       enforced by the server's clock. The client gives up earlier (local deadline = request start +
 *       lease − margin, on the monotonic clock).</li>
 *   <li>Release and renewal only touch the lock if owner id and token both match: never another's lock.</li>
 *   <li>Fencing tokens strictly increase per name while the counter key survives, across all clients.</li>
 *   <li>One round trip per acquire, renew and release (EVALSHA; with replica acks, the script and
 *       {@code WAIT} are pipelined in the same round trip). After NOSCRIPT (a restarted server) the
 *       script is sent once in full.</li>
 *   <li>"Busy" is an empty result; Redis unreachable is a {@link dev.holdfast.lock.LockBackendException}.</li>
 * </ul>
 *
 * <h2>What can make tokens go backwards — and what cannot</h2>
 * The acquire script issues {@code max(counter + 1, TIME in microseconds)}, so:
 * <ul>
 *   <li>While the counter key survives: never (it only grows; INCR is exact to 2<sup>63</sup>).</li>
 *   <li>Counter lost — restart without persistence, {@code FLUSHALL}, eviction under a
 *       {@code maxmemory-policy} that evicts keys without TTL ({@code allkeys-*}), failover to a replica
 *       that never received it: the next token is the server's current time in µs. That is above every
 *       earlier token <em>unless</em> (a) the clock of the server now serving is behind the clock that
 *       issued the earlier tokens (clock stepped back, or skew between primary and replica after a
 *       failover larger than the time the failover took), or (b) earlier grants of that name ran ahead of
 *       real time, which needs more than one grant per microsecond sustained.</li>
 *   <li>Cluster resharding moves the counter with its slot (MIGRATE keeps it), so it does not reset it.</li>
 *   <li>Someone writing the counter key by hand can do anything; a non-numeric counter makes acquire
 *       fail with a clear error rather than guess.</li>
 * </ul>
 *
 * <h2>Restart, connection loss, failover</h2>
 * <ul>
 *   <li>Restart without persistence: every lock is gone, so every open lease is lost: its next renewal
 *       is refused (or, while Redis is down, fails until the local deadline). New requests work once it
 *       is back; scripts are reloaded on NOSCRIPT. Until that next renewal (a third of the lease time after
 *       the restart, plus Redisson's reconnection: the reliability harness measured up to 1.2 s with 2 s
 *       leases) the old holder still believes it holds the lock while another client
 *       may already have been granted it: the new grant's token is larger (see above), so a resource
 *       that checks tokens rejects the old holder.</li>
 *   <li>Connection killed ({@code CLIENT KILL}): the lock lives in the key's TTL, not in the connection;
 *       Redisson reconnects and renewal carries on. A lease whose renewal could not happen before its
 *       local deadline is reported lost ({@code RENEWAL_FAILED}).</li>
 *   <li>Failover <b>without replica acks</b>: Redis replication is asynchronous. A grant or renewal the
 *       primary made just before it died may never reach the replica that is promoted, so the new primary
 *       can grant the same name to a second client while the first still believes it holds it: two
 *       holders. Their tokens still differ, and the second is normally larger (timestamp seeding), so a
 *       resource that checks the token rejects the first holder's writes once the second has written —
 *       which is exactly what fencing is for. Mutual exclusion alone is not guaranteed across a failover.</li>
 *   <li>Failover <b>with {@code replicaAcks(n, timeout)}</b>: a grant only counts once {@code n} replicas
 *       have it, so a promoted replica that was among them still knows the holder and its counter. It
 *       narrows the window; it is not consensus: Redis may still promote a replica that did not
 *       acknowledge, and WAIT does not make writes durable against a replica restarting without
 *       persistence. Fencing tokens remain the real protection.</li>
 * </ul>
 *
 * <h2>Resent commands and interrupts</h2>
 * Redisson resends a command whose reply does not come within its {@code timeout} (up to
 * {@code retryAttempts} times; with {@code replicaAcks(n, t)} acquire and renew go out as a batch whose
 * reply Redisson awaits for {@code timeout + t}), and the server runs every copy it receives; the caller sees the last
 * copy's reply (or, depending on timing, an earlier copy's). Every owner id is unique to one acquire attempt, and the scripts are written for that:
 * <ul>
 *   <li>Acquire is idempotent per owner: a copy that finds the lock held by its own owner id returns that
 *       grant's token, so a grant made by an earlier copy is returned, never reported busy and orphaned.</li>
 *   <li>Release and abandon add the owner id to the {@code :gone} set. A resent release that finds its
 *       own owner id there reports success, even if other owners took and released the lock in between; {@code release()} returns false (and the lease is reported lost
 *       with {@code REFUSED}) only when the lock expired or another owner holds it. A late copy of an
 *       acquire whose owner already gave the lock up is refused.</li>
 *   <li>An acquire interrupted while its script is in flight runs an owner-checked abandon script (it waits
 *       for it, bounded by the client's timeout) and then throws
 *       {@link dev.holdfast.lock.LockInterruptedException}, with the interrupt flag set. An acquire that
 *       failed without an answer (timeout, connection lost) sends the same script without waiting and
 *       throws {@link dev.holdfast.lock.LockBackendException}. If that script cannot reach Redis either,
 *       a grant made meanwhile stays until its lease time passes.</li>
 *   <li>A busy answer that took longer than the client's {@code timeout} ({@code timeout + t} with
 *       {@code replicaAcks(n, t)}) may come from one copy of a
 *       resent acquire while another copy is still on its way; if the holder releases in between, that copy
 *       would grant to an owner id nobody holds a lease for. Such an attempt therefore also sends the
 *       abandon script, without waiting for it (the busy answer is not delayed); a busy answer within the
 *       timeout stays one round trip.</li>
 *   <li>Release, renewal and extend wait for Redis even when the calling thread is interrupted (bounded by
 *       the client's timeout) and leave the interrupt flag set.</li>
 * </ul>
 * The {@code :gone} set holds an entry per release or abandon of the name in the last 60 s (every write
 * first trims the entries older than that, and the key expires 60 s after its last write), so its size is
 * the name's release rate times 60 s: about 130 bytes per entry with typical owner ids, e.g. ~1 MB for a
 * name released 130 times a second. The 60 s must outlast Redisson's whole resend window
 * ({@code retryAttempts × (timeout + retry delay)}, or {@code retryAttempts × (timeout + t + retry delay)}
 * with {@code replicaAcks(n, t)}): {@code build()} refuses a client where it does not.
 *
 * <h2>Waiting</h2>
 * Busy waiters subscribe to the name's release channel (one Redis subscription per name per provider,
 * dropped about a second after the last local waiter leaves) and are woken on release; a jittered backoff
 * is the fallback for missed messages, for locks that expire instead of being released, and for minHold.
 * Redis does not queue waiters: it is not fair.
 */
@NullMarked
package dev.holdfast.lock.redis;

import org.jspecify.annotations.NullMarked;
