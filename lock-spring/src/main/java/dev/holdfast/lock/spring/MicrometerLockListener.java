package dev.holdfast.lock.spring;

import static java.util.Objects.requireNonNull;

import dev.holdfast.lock.LockEvent;
import dev.holdfast.lock.LockListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.LongTaskTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Records a provider's lock events as Micrometer meters (pass it to the provider's builder with {@code
 * listener(...)}; Spring Boot does that when a {@code MeterRegistry} bean exists):
 * <ul>
 *   <li>{@code holdfast.lock.acquire} timer, tags {@code backend} and {@code result} = {@code acquired},
 *       {@code busy} or {@code error}: time spent acquiring;</li>
 *   <li>{@code holdfast.lock.held} long-task timer, tag {@code backend}: leases open now and how long;</li>
 *   <li>{@code holdfast.lock.renewals} counter, tag {@code backend}: renewals and extensions;</li>
 *   <li>{@code holdfast.lock.lost} counter, tag {@code backend}: leases lost.</li>
 * </ul>
 * Lock names are not a tag unless asked for ({@code lockNameTag}), as their number is usually unbounded
 * ({@code "payout:" + sellerId}); with it, every meter also gets a {@code lock} tag.
 */
public final class MicrometerLockListener implements LockListener {

    /** Meter name prefix. */
    public static final String PREFIX = "holdfast.lock.";

    private final MeterRegistry registry;
    private final boolean lockNameTag;
    private final Map<HeldKey, LongTaskTimer.Sample> held = new ConcurrentHashMap<>();

    /**
     * @param registry    where the meters go
     * @param lockNameTag whether meters get a {@code lock} tag with the lock name (unbounded cardinality)
     */
    public MicrometerLockListener(MeterRegistry registry, boolean lockNameTag) {
        this.registry = requireNonNull(registry, "registry");
        this.lockNameTag = lockNameTag;
    }

    private record HeldKey(String backend, String name, long token) {
    }

    private Tags tags(LockEvent e) {
        Tags t = Tags.of("backend", e.backend());
        return lockNameTag ? t.and("lock", e.lockName()) : t;
    }

    @Override
    public void onEvent(LockEvent e) {
        switch (e.type()) {
            case ACQUIRED -> {
                acquireTimer(e, "acquired").record(e.duration());
                LongTaskTimer ltt = LongTaskTimer.builder(PREFIX + "held")
                        .description("Leases held now, and for how long")
                        .tags(tags(e)).register(registry);
                held.put(new HeldKey(e.backend(), e.lockName(), e.token()), ltt.start());
            }
            case BUSY -> acquireTimer(e, "busy").record(e.duration());
            case FAILED -> acquireTimer(e, "error").record(e.duration());
            case RENEWED -> Counter.builder(PREFIX + "renewals").description("Lease renewals and extensions")
                    .tags(tags(e)).register(registry).increment();
            case RELEASED -> stopHeld(e);
            case LOST -> {
                stopHeld(e);
                Counter.builder(PREFIX + "lost").description("Leases lost before their owner released them")
                        .tags(tags(e)).register(registry).increment();
            }
        }
    }

    private Timer acquireTimer(LockEvent e, String result) {
        return Timer.builder(PREFIX + "acquire").description("Time spent acquiring locks, by result")
                .tags(tags(e).and("result", result)).register(registry);
    }

    private void stopHeld(LockEvent e) {
        LongTaskTimer.Sample s = held.remove(new HeldKey(e.backend(), e.lockName(), e.token()));
        if (s != null) {
            s.stop();
        }
    }

    @Override
    public String toString() {
        return "MicrometerLockListener[lockNameTag=" + lockNameTag + "]";
    }
}
