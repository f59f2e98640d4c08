/**
 * Holdfast locks on ZooKeeper, through Apache Curator: {@link dev.holdfast.lock.zookeeper.ZookeeperLockProvider}.
 *
 * <h2>Algorithm</h2>
 * Each lock name has a folder {@code basePath/<segment>} (a container node the server removes once empty).
 * A try-once (no wait time) first lists the folder and reports the lock busy without creating anything
 * when a queue node is there. Otherwise a request creates an ephemeral-sequential node in it and lists the
 * folder; the lowest sequence holds the lock, and every other node watches only the node just before it
 * (no thundering herd) and waits for that watch, never polling. Every request that is not granted (busy,
 * wait time over, interrupted, failed) deletes its own node before it returns. A grant's local deadline
 * counts from the read that confirmed it, not from the start of the queue wait. Release
 * deletes the node; minHold delays that delete on the provider's scheduler. The fencing token is the
 * holder node's creation zxid. See the provider's class documentation for the numbered steps and round
 * trips.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Mutual exclusion by consensus.</b> Who holds a lock is decided by ZooKeeper's totally ordered,
 *       quorum-replicated writes, not by any clock: at most one node is the lowest in a folder, and it
 *       stays there until it is deleted or its session ends.</li>
 *   <li><b>Fair.</b> Requests from different clients are granted in the order their nodes were created.
 *       Requests of one provider for one name queue in the process first (one node per name per provider).</li>
 *   <li><b>Fencing tokens strictly increase per name</b>, across clients, sessions, leader elections and the
 *       folder being removed and re-created: a zxid orders every write of the ensemble, and each holder's
 *       node was created after its predecessor's. Not the sequence number, which is a per-folder counter
 *       that restarts when the folder is re-created. Tokens are as durable as ZooKeeper's log: a quorum
 *       acknowledged every node before its create returned.</li>
 *   <li><b>The session is the lease.</b> A holder that crashes or is partitioned away loses its node when its
 *       session times out on the server. The client ends its leases on SUSPENDED (default) or LOST, never
 *       lets a lease continue into a new session, and deletes a lost lease's node in the background if its
 *       session survives.</li>
 *   <li><b>Busy is not down.</b> A lock held by another client is an empty result; an ensemble that cannot
 *       be reached within Curator's connection timeout is a {@link dev.holdfast.lock.LockBackendException}.</li>
 *   <li><b>Names.</b> Any valid lock name (slashes, {@code .}/{@code ..}, any Unicode, 1024 characters) maps
 *       to one path segment of {@code [A-Za-z0-9_%-]}, and no two names share one (percent-encoding;
 *       names whose encoding exceeds 200 characters keep a readable prefix plus their SHA-256).</li>
 * </ul>
 *
 * <h2>Caveats</h2>
 * <ul>
 *   <li>The lease time is local. ZooKeeper frees a lock when the node is deleted or the session expires,
 *       not after the request's lease time: a process that freezes (long GC pause) keeps the lock on the
 *       server until its session times out, while its own lease has expired locally. Size the session
 *       timeout (Curator's {@code sessionTimeoutMs}) as the real "lease time" of a crashed holder.</li>
 *   <li>With the default {@code treatSuspendedAsLost(true)} a short network blip ends every lease of the
 *       provider, although the session (and the locks) may survive it; the nodes are then deleted when the
 *       connection returns. {@code treatSuspendedAsLost(false)} keeps leases through a blip, but a client
 *       may then believe it holds a lock for up to a session timeout after the server handed it on: use
 *       fencing tokens.</li>
 *   <li>A crashed waiter blocks the lock until its session expires. A request with a wait time keeps its
 *       node in the queue while it waits; if its process dies or freezes, the node stays until the ZooKeeper
 *       session times out, and the requests behind it wait that long once the lock frees (a crashed holder,
 *       likewise). The session timeout bounds it: set Curator's {@code sessionTimeoutMs} to the longest time
 *       a dead process may block a lock (the server clamps it to 2–20 of its {@code tickTime} by default). A
 *       try-once leaves no node when the lock is busy.</li>
 *   <li>Loss listeners run on Curator's connection-state thread when a connection event ends the lease;
 *       keep them short.</li>
 *   <li>A request that gives up waiting leaves its data watch on the predecessor until that node changes
 *       (ZooKeeper watches are one-shot; the client keeps a small entry).</li>
 *   <li>Sequence numbers are 32-bit per folder: a folder that is never empty for 2^31 requests overflows
 *       them (as for every ZooKeeper queue recipe).</li>
 *   <li>The provider does not own the {@code CuratorFramework}: close the provider, then the client. Leases
 *       released with a pending minHold keep their node until the delay passes even after the provider
 *       closes, as long as the client is open.</li>
 * </ul>
 */
@NullMarked
package dev.holdfast.lock.zookeeper;

import org.jspecify.annotations.NullMarked;
