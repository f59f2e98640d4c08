/**
 * Fault-harness runs for every backend (see {@code dev.holdfast.lock.testkit.harness}): the worker side of
 * each provider ({@link dev.holdfast.lock.reliability.TableLeaseWorkerBackend},
 * {@link dev.holdfast.lock.reliability.AdvisoryWorkerBackend}, {@link dev.holdfast.lock.reliability.GetLockWorkerBackend},
 * {@link dev.holdfast.lock.reliability.RedisWorkerBackend}, {@link dev.holdfast.lock.reliability.ZookeeperWorkerBackend})
 * here, and one test per backend that runs 3 worker JVMs x 3 threads on 4 lock names under faults and prints
 * a table (faults by kind, grants, violations, stale writes rejected, loss-detection delay p50/max, re-grant
 * delay after SIGKILL). {@code ./mvnw -B verify} runs each for 40 s; a longer run of one backend:
 *
 * <pre>
 * ./mvnw -B -pl reliability verify -Dtest=RedisHarnessTest -Dharness.seconds=300
 * </pre>
 * (tests: {@code TableLeaseHarnessTest}, {@code AdvisoryHarnessTest}, {@code GetLockHarnessTest},
 * {@code RedisHarnessTest}, {@code ZookeeperHarnessTest}; the backends' modules must be installed, or add
 * {@code -am -Dsurefire.failIfNoSpecifiedTests=false}). The same from a fixed classpath, without Maven
 * (so that jars re-installed meanwhile cannot pull classes from under a long run): the test classpath and
 * {@code java -Dharness.seconds=300 -cp ... dev.holdfast.lock.reliability.HarnessMain table-lease advisory
 * get-lock redis zookeeper}. The table is printed and written to {@code reliability/target/harness/<backend>.txt};
 * the workers' journals, logs and a {@code faults.txt} (each fault and what became of the leases it hit)
 * stay in a {@code holdfast-harness-*} temporary folder. {@code HarnessCatchesBrokenBackendTest} shows the
 * checker is not vacuous (processes that do not exclude each other are caught).
 *
 * <h2>Faults per backend</h2>
 * <ul>
 *   <li>All: SIGKILL of a worker (a fresh one takes its place), SIGSTOP past the lease then SIGCONT (the
 *       stale holder wakes and writes), every connection of one worker reset (CUT) or stalled (STALL)
 *       through its loopback proxy.</li>
 *   <li>Table lease and advisory (PostgreSQL): RESTART = {@code pg_terminate_backend} of every session of the
 *       run's pools (by {@code application_name}); the shared server is never restarted.</li>
 *   <li>GET_LOCK (MariaDB): RESTART = {@code KILL CONNECTION} of every session that came through the run's
 *       proxies.</li>
 *   <li>Redis: RESTART = restart of a throwaway {@code redis-server} without persistence.</li>
 *   <li>ZooKeeper: RESTART = restart of the in-process server (sessions survive); IN_WORKER = the worker's
 *       session closed on the server by a second handle (the server deletes its nodes at once).</li>
 * </ul>
 *
 * <h2>Where a backend cannot keep a promise</h2>
 * Overlapping valid leases are counted as "tolerated" only after faults a backend documents as opening a
 * window before the old holder learns of its loss; fencing must then hold (the ledger rejects the old
 * holder's late writes). Advisory and GET_LOCK: the server frees a session's locks the instant the
 * session ends (CUT, RESTART), the holder learns at its next heartbeat. Redis: a restart without
 * persistence forgets every lock, the holder learns at its next renewal. ZooKeeper: a session closed on
 * the server deletes the holder's nodes before its client hears.
 */
@NullMarked
package dev.holdfast.lock.reliability;

import org.jspecify.annotations.NullMarked;
