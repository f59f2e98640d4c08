package dev.holdfast.lock.testkit.broken;

import dev.holdfast.lock.InMemoryLockProvider;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import dev.holdfast.lock.testkit.LockProviderProperties;

/** The model-based properties run against a provider with bug {@code NEVER_REPORTS_LOSS}; they must fail. */
public class NeverReportsLossModel extends LockProviderProperties {

    private final InMemoryLockProvider.Store store = new InMemoryLockProvider.Store();

    @Override
    protected LockProvider createProvider() {
        return new BrokenProvider(BrokenProvider.Bug.NEVER_REPORTS_LOSS, store);
    }

    @Override
    protected Faults faults() {
        return new BrokenFaults(store, BrokenProvider.Bug.NEVER_REPORTS_LOSS);
    }
}
