package dev.holdfast.examples;

import dev.holdfast.lock.LockProvider;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * What one thread of one replica gets for a run.
 *
 * @param data      the application's database (a pool per replica)
 * @param locks     the Holdfast lock provider of this replica (one per process, shared by its threads)
 * @param guarded   whether this is the fixed run
 * @param replica   this process's number, 0..replicas-1
 * @param thread    this thread's number in the process, 0..threads-1
 * @param threads   threads per replica
 * @param size      how much work the story has (invoices, records, tickets...)
 * @param runId     unique per demo run, for lock names
 * @param settings  the demo's settings (the Spring Boot story builds its own application from them)
 */
record Job(DataSource data, LockProvider locks, boolean guarded, int replica, int thread, int threads, int size,
           String runId, Settings settings, AtomicLong progress) {

    /** A lock name unique to this demo run. */
    String lockName(String name) {
        return "demo-" + runId + ":" + name;
    }

    /** Counts one item done, for the progress line. */
    void done() {
        progress.incrementAndGet();
    }

    /** This thread's share of items 1..size (every replica walks the same shares: the overlap). */
    boolean mine(int item) {
        return item % threads == thread;
    }
}
