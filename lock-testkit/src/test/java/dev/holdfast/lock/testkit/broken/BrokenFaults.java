package dev.holdfast.lock.testkit.broken;

import dev.holdfast.lock.InMemoryLockProvider;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/** The in-memory store's faults, for broken providers built on it. */
final class BrokenFaults implements Faults {
    private final InMemoryLockProvider.Store store;
    private final BrokenProvider.Bug bug;

    BrokenFaults(InMemoryLockProvider.Store store, BrokenProvider.Bug bug) {
        this.store = store;
        this.bug = bug;
    }

    @Override
    public void expire(String name) {
        store.expire(name);
    }

    @Override
    public LockProvider createUnreachableProvider() {
        InMemoryLockProvider.Store down = new InMemoryLockProvider.Store();
        down.setAvailable(false);
        return new BrokenProvider(bug, down);
    }

    @Override
    public void cutConnections(LockProvider provider) {
        // no connection in memory
    }

    @Override
    public void restartBackend() {
        store.restart();
    }

    @Override
    public Optional<BooleanSupplier> loseNextAcquireReply(LockProvider provider) {
        return Optional.empty(); // in-process: an acquire has no reply that could be lost
    }
}
