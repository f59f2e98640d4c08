package dev.holdfast.lock.testkit.broken;

import dev.holdfast.lock.InMemoryLockProvider;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import dev.holdfast.lock.testkit.LockProviderContract;

/** The contract run against a provider with bug {@code STALE_LEASE_RELEASES}; it must fail. Not run directly by Surefire. */
public class StaleLeaseReleasesContract extends LockProviderContract {

    private final InMemoryLockProvider.Store store = new InMemoryLockProvider.Store();

    @Override
    protected LockProvider createProvider() {
        return new BrokenProvider(BrokenProvider.Bug.STALE_LEASE_RELEASES, store);
    }

    @Override
    protected Faults faults() {
        return new BrokenFaults(store, BrokenProvider.Bug.STALE_LEASE_RELEASES);
    }
}
