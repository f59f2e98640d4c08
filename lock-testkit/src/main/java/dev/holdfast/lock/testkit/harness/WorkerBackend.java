package dev.holdfast.lock.testkit.harness;

import dev.holdfast.lock.LockProvider;
import java.util.Map;

/**
 * Builds the provider a {@link HarnessWorker} process uses. An implementation is a public class with a
 * public no-argument constructor, named to the worker by its class name; it runs inside the worker JVM.
 */
public interface WorkerBackend extends AutoCloseable {

    /**
     * Builds the provider (and whatever client it needs) from the worker's settings.
     *
     * @param settings the settings the harness run passed to this worker (addresses already pointing at
     *                 the worker's own {@link TcpProxy})
     */
    LockProvider open(Map<String, String> settings);

    /**
     * Runs a fault that only the worker itself can cause (for example expiring its ZooKeeper session on
     * the server, which needs the session's id and password).
     *
     * @param command the fault's name, as given to {@link HarnessRun.Builder#inWorkerFault}
     * @throws IllegalArgumentException if this backend knows no such fault
     */
    default void inject(String command) {
        throw new IllegalArgumentException("no in-worker fault " + command);
    }

    /** Closes what {@link #open} built (the worker closes the provider first). */
    @Override
    void close();
}
