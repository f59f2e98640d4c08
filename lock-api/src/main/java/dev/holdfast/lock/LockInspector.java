package dev.holdfast.lock;

import java.util.Optional;

/** Implemented by providers that can tell who holds a lock. */
public interface LockInspector {

    /**
     * Reads the current holder of {@code name} from the backend.
     *
     * @return the holder, or empty if nobody holds the lock
     * @throws LockBackendException if the backend cannot be reached
     * @throws IllegalArgumentException if the name is invalid
     */
    Optional<LockInfo> inspect(String name);
}
