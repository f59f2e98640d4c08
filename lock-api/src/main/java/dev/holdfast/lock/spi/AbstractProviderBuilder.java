package dev.holdfast.lock.spi;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.LockListener;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Options every provider builder shares: listeners, clocks and the instance name recorded in owner ids.
 *
 * @param <B> the concrete builder, returned by each setter
 */
public abstract class AbstractProviderBuilder<B extends AbstractProviderBuilder<B>> {

    private final List<LockListener> listeners = new ArrayList<>();
    private Ticker ticker = Ticker.system();
    private Clock clock = Clock.systemUTC();
    private @Nullable String instanceName;

    protected AbstractProviderBuilder() {
    }

    @SuppressWarnings("unchecked")
    protected final B self() {
        return (B) this;
    }

    /** Adds a listener for lock events (metrics, logs). */
    public B listener(LockListener listener) {
        listeners.add(requireNonNull(listener, "listener"));
        return self();
    }

    /**
     * A name for this process in owner ids (default: {@code $HOSTNAME:pid}); 1 to 100 printable characters.
     */
    public B instanceName(String instanceName) {
        requireNonNull(instanceName, "instanceName");
        if (instanceName.isBlank() || instanceName.length() > 100
                || instanceName.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException(
                    "instanceName must be 1 to 100 printable characters, was '" + instanceName + "'");
        }
        this.instanceName = instanceName;
        return self();
    }

    /** The monotonic clock for local deadlines (tests only). */
    public B ticker(Ticker ticker) {
        this.ticker = requireNonNull(ticker, "ticker");
        return self();
    }

    /** The wall clock for {@code acquiredAt} (tests only). */
    public B clock(Clock clock) {
        this.clock = requireNonNull(clock, "clock");
        return self();
    }

    /** The monotonic clock configured for this provider. */
    protected final Ticker configuredTicker() {
        return ticker;
    }

    /** Creates the runtime for a provider of {@code backend}. */
    protected final LockRuntime runtime(String backend) {
        return new LockRuntime(backend, ticker, clock, listeners, instanceName);
    }
}
