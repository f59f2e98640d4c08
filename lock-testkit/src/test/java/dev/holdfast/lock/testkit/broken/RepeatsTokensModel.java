package dev.holdfast.lock.testkit.broken;

import dev.holdfast.lock.InMemoryLockProvider;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import dev.holdfast.lock.testkit.LockProviderProperties;

/** The model-based properties run against a provider with bug {@code REPEATS_TOKENS}; they must fail. */
public class RepeatsTokensModel extends LockProviderProperties {

    private final InMemoryLockProvider.Store store = new InMemoryLockProvider.Store();

    @Override
    protected LockProvider createProvider() {
        return new BrokenProvider(BrokenProvider.Bug.REPEATS_TOKENS, store);
    }

    @Override
    protected Faults faults() {
        return new BrokenFaults(store, BrokenProvider.Bug.REPEATS_TOKENS);
    }
}
