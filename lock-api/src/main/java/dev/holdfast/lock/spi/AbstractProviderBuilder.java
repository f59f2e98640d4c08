package dev.holdfast.lock.spi;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.LockListener;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Options every provider builder shares: listeners, clocks, the instance name recorded in owner ids and
 * the fencing-token floor ({@link #tokensAbove(long)}).
 *
 * @param <B> the concrete builder, returned by each setter
 */
public abstract class AbstractProviderBuilder<B extends AbstractProviderBuilder<B>> {

    private final List<LockListener> listeners = new ArrayList<>();
    private Ticker ticker = Ticker.system();
    private Clock clock = Clock.systemUTC();
    private @Nullable String instanceName;
    private long tokensAbove;

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

    /**
     * Makes every fencing token of this provider greater than {@code highWaterMark}: callers see the
     * backend's token plus {@code highWaterMark} (default 0, tokens as the backend assigns them).
     *
     * <p>Tokens of different backends are different ranges (a table lease counts 1, 2, 3…; Redis starts
     * near 1.8e15 from the server's time; ZooKeeper uses creation zxids), so moving a lock name to another
     * backend can make the new tokens <em>smaller</em> than those a fenced resource has already seen, and
     * every fenced write is refused. To migrate: read the highest token the resources recorded (or the old
     * backend's current counter), and build <em>every</em> client of the new backend with {@code
     * tokensAbove(thatValue)}. Tokens then keep increasing across the switch. Never lower the value later
     * (tokens would go backwards); raising it is safe.
     *
     * @param highWaterMark zero or positive
     * @throws IllegalArgumentException if negative
     */
    public B tokensAbove(long highWaterMark) {
        if (highWaterMark < 0) {
            throw new IllegalArgumentException("tokensAbove must be zero or positive, was " + highWaterMark);
        }
        this.tokensAbove = highWaterMark;
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
        return new LockRuntime(backend, ticker, clock, listeners, instanceName, tokensAbove);
    }
}
