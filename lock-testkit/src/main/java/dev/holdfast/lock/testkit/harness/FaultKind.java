package dev.holdfast.lock.testkit.harness;

/** The faults a {@link HarnessRun} can inject. */
public enum FaultKind {
    /** SIGKILL of a worker process (holding leases, most likely); a fresh worker takes its place. */
    KILL,
    /** SIGSTOP of a worker for longer than its lease, then SIGCONT: the stale holder wakes and writes. */
    STOP,
    /** Every connection between one worker and the backend reset at once (through its {@link TcpProxy}). */
    CUT,
    /** All traffic between one worker and the backend held back for a while (through its {@link TcpProxy}). */
    STALL,
    /** The backend restarted, or all the run's sessions ended on the server (the run supplies the action). */
    RESTART,
    /** A fault the worker causes on itself ({@link WorkerBackend#inject}), such as a ZooKeeper session expiry. */
    IN_WORKER
}
