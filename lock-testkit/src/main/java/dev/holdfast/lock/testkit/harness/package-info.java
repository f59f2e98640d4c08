/**
 * The cross-process fault harness: {@link dev.holdfast.lock.testkit.harness.HarnessRun} starts several
 * {@link dev.holdfast.lock.testkit.harness.HarnessWorker} JVMs against one backend (each behind its own
 * {@link dev.holdfast.lock.testkit.harness.TcpProxy}), lets them contend for a few lock names and write to
 * a fenced PostgreSQL ledger, injects faults ({@link dev.holdfast.lock.testkit.harness.FaultKind}: SIGKILL,
 * SIGSTOP past the lease, connection cut, stall, backend restart, in-worker faults such as session expiry)
 * and checks the merged history ({@link dev.holdfast.lock.testkit.harness.HarnessReport}): no overlap of
 * valid leases, the ledger accepted tokens only in increasing order, every lease outliving its validity was
 * reported lost (and how long after the fault), and every crashed worker's locks came free within the
 * backend's bound. A backend's module supplies a {@link dev.holdfast.lock.testkit.harness.WorkerBackend}.
 */
@NullMarked
package dev.holdfast.lock.testkit.harness;

import org.jspecify.annotations.NullMarked;
