package dev.holdfast.lock.redis;

import dev.holdfast.lock.spi.WaitSignals;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.redisson.api.RTopic;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Redis pub/sub subscriptions to the release channels of the names this provider's threads wait for,
 * forwarded to {@link WaitSignals#signal}. A subscription is made when an attempt finds a lock busy and
 * the request may still wait, and dropped by {@link #sweep()} once no thread of this process waits for
 * that name. Redisson re-subscribes after reconnecting; a message missed meanwhile costs one backoff pause.
 */
final class ReleaseNotifications {

    private static final Logger log = LoggerFactory.getLogger(ReleaseNotifications.class);

    private final RedissonClient client;
    private final WaitSignals signals;
    private final ConcurrentHashMap<String, Subscription> byName = new ConcurrentHashMap<>();

    private static final class Subscription {
        final RTopic topic;
        final CompletableFuture<Integer> listenerId;

        Subscription(RTopic topic, CompletableFuture<Integer> listenerId) {
            this.topic = topic;
            this.listenerId = listenerId;
        }
    }

    ReleaseNotifications(RedissonClient client, WaitSignals signals) {
        this.client = client;
        this.signals = signals;
    }

    /**
     * Makes sure releases of {@code name} wake this process's waiters, waiting at most {@code maxWaitNanos}
     * for a new subscription to be confirmed.
     *
     * @return true if a subscription was confirmed just now (the caller should retry at once, since a
     *         release before it took effect was not announced to this process); false if one already
     *         existed or it could not be confirmed in time (the backoff covers it)
     */
    boolean ensureSubscribed(String name, String channel, long maxWaitNanos) throws InterruptedException {
        boolean[] created = new boolean[1];
        Subscription sub = byName.computeIfAbsent(name, n -> {
            created[0] = true;
            RTopic topic = client.getTopic(channel, StringCodec.INSTANCE);
            CompletableFuture<Integer> id = topic
                    .addListenerAsync(String.class, (ch, msg) -> signals.signal(n))
                    .toCompletableFuture();
            return new Subscription(topic, id);
        });
        if (!created[0]) {
            return false;
        }
        // a subscription that fails later (after this caller stopped waiting for it) must not stay cached
        sub.listenerId.whenComplete((id, error) -> {
            if (error != null) {
                byName.remove(name, sub);
            }
        });
        try {
            sub.listenerId.get(Math.max(0, maxWaitNanos), TimeUnit.NANOSECONDS);
            return true;
        } catch (ExecutionException e) {
            log.debug("subscribing to {} failed; waiters of '{}' fall back to backoff", channel, name, e.getCause());
            byName.remove(name, sub);
            return false;
        } catch (TimeoutException e) {
            return false; // it may still complete; the backoff covers the gap
        }
    }

    /** Drops subscriptions of names no thread of this process waits for. */
    void sweep() {
        for (String name : byName.keySet()) {
            byName.computeIfPresent(name, (n, sub) -> {
                if (signals.hasSubscribers(n)) {
                    return sub;
                }
                unsubscribe(sub);
                return null;
            });
        }
    }

    /** How many channels this provider subscribes to now. */
    int size() {
        return byName.size();
    }

    void close() {
        byName.forEach((n, sub) -> unsubscribe(sub));
        byName.clear();
    }

    private static void unsubscribe(Subscription sub) {
        sub.listenerId.whenComplete((id, error) -> {
            if (id != null) {
                sub.topic.removeListenerAsync(id);
            }
        });
    }
}
