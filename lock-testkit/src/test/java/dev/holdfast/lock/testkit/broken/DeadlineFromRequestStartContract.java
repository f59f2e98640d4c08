package dev.holdfast.lock.testkit.broken;

import dev.holdfast.lock.InMemoryLockProvider;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import dev.holdfast.lock.testkit.LockProviderContract;

/** The contract run against a provider with bug {@code DEADLINE_FROM_REQUEST_START}; it must fail. Not run directly by Surefire. */
public class DeadlineFromRequestStartContract extends LockProviderContract {

    private final InMemoryLockProvider.Store store = new InMemoryLockProvider.Store();

    @Override
    protected LockProvider createProvider() {
        return new BrokenProvider(BrokenProvider.Bug.DEADLINE_FROM_REQUEST_START, store);
    }

    @Override
    protected Faults faults() {
        return new BrokenFaults(store, BrokenProvider.Bug.DEADLINE_FROM_REQUEST_START);
    }
}
