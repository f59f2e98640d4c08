package dev.holdfast.lock.testkit;

import dev.holdfast.lock.InMemoryLockProvider;
import dev.holdfast.lock.LockProvider;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/** The whole contract against the reference provider: providers sharing one store act as processes. */
class InMemoryLockProviderContractTest extends LockProviderContract {

    private final InMemoryLockProvider.Store store = new InMemoryLockProvider.Store();

    @Override
    protected LockProvider createProvider() {
        return InMemoryLockProvider.builder().store(store).build();
    }

    @Override
    protected LockProvider createProvider(long tokensAbove) {
        return InMemoryLockProvider.builder().store(store).tokensAbove(tokensAbove).build();
    }

    @Override
    protected Faults faults() {
        return new InMemoryFaults(store);
    }

    /** Faults of the in-memory store. */
    static final class InMemoryFaults implements Faults {
        private final InMemoryLockProvider.Store store;

        InMemoryFaults(InMemoryLockProvider.Store store) {
            this.store = store;
        }

        @Override
        public void expire(String name) {
            store.expire(name);
        }

        @Override
        public LockProvider createUnreachableProvider() {
            InMemoryLockProvider.Store down = new InMemoryLockProvider.Store();
            down.setAvailable(false);
            return InMemoryLockProvider.builder().store(down).build();
        }

        @Override
        public void cutConnections(LockProvider provider) {
            // An in-memory client has no connection to cut: the store lives in the same JVM. The contract's
            // "lease survived the cut" branch then checks that the lease is still held and renewing.
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
}
