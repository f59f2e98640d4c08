package dev.holdfast.lock.reliability;

import dev.holdfast.lock.InMemoryLockProvider;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.harness.WorkerBackend;
import java.util.Map;

/**
 * A deliberately wrong backend for the harness: each worker process gets its own in-memory provider, so
 * processes never exclude each other and their tokens are unrelated. The checker must catch it.
 */
public final class InMemoryWorkerBackend implements WorkerBackend {

    @Override
    public LockProvider open(Map<String, String> settings) {
        return InMemoryLockProvider.builder().build();
    }

    @Override
    public void close() {
    }
}
