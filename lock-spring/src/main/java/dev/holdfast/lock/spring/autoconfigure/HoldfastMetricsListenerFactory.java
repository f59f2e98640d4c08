package dev.holdfast.lock.spring.autoconfigure;

import dev.holdfast.lock.LockListener;
import org.jspecify.annotations.Nullable;

/** Makes the meters listener once the provider is built, if a meter registry exists by then. */
@FunctionalInterface
interface HoldfastMetricsListenerFactory {
    @Nullable LockListener listener();
}
