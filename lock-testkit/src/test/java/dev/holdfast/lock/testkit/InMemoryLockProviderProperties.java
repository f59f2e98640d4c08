package dev.holdfast.lock.testkit;

import dev.holdfast.lock.InMemoryLockProvider;
import dev.holdfast.lock.LockProvider;

/** Random schedules against the reference provider. */
class InMemoryLockProviderProperties extends LockProviderProperties {

    private final InMemoryLockProvider.Store store = new InMemoryLockProvider.Store();

    @Override
    protected LockProvider createProvider() {
        return InMemoryLockProvider.builder().store(store).build();
    }

    @Override
    protected Faults faults() {
        return new InMemoryLockProviderContractTest.InMemoryFaults(store);
    }
}
