package dev.holdfast.lock.testkit.broken;

import dev.holdfast.lock.InMemoryLockProvider;
import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import dev.holdfast.lock.testkit.LockProviderContract;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * A correct provider whose fixture claims it can lose an acquire's reply, but whose hook does nothing (a
 * forgotten or broken fault): the lost-reply case must fail instead of passing without a fault. Not run
 * directly by Surefire.
 */
public class SilentReplyLossContract extends LockProviderContract {

    private final InMemoryLockProvider.Store store = new InMemoryLockProvider.Store();

    @Override
    protected LockProvider createProvider() {
        return InMemoryLockProvider.builder().store(store).build();
    }

    @Override
    protected Faults faults() {
        return new Faults() {
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
                // no connection in memory
            }

            @Override
            public void restartBackend() {
                store.restart();
            }

            @Override
            public Optional<BooleanSupplier> loseNextAcquireReply(LockProvider provider) {
                return Optional.of(() -> false); // claims the fault is armed, arms nothing: no reply is lost
            }
        };
    }
}
