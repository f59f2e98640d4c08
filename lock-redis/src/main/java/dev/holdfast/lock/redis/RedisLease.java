package dev.holdfast.lock.redis;

import dev.holdfast.lock.LockRequest;
import dev.holdfast.lock.spi.AbstractLease;
import dev.holdfast.lock.spi.LockRuntime;
import java.time.Duration;

/**
 * A lease on a Redis lock: owned by this object (owner id + token), not by a thread. Renewal and release
 * are owner-and-token-checked scripts; the lease itself lives in the key's TTL on the server, so a lost
 * connection does not end it — a renewal that cannot reach the server is retried until the local deadline.
 * The scripts check the token Redis stored ({@link #backendToken()}), not the one callers see, which
 * carries the provider's {@code tokensAbove} offset.
 */
final class RedisLease extends AbstractLease {

    private final RedisLockProvider provider;
    private final RedisKeys.Names keys;

    RedisLease(LockRuntime runtime, RedisLockProvider provider, RedisKeys.Names keys, LockRequest request,
               long token, String ownerId, long requestStartNanos) {
        super(runtime, request, token, ownerId, requestStartNanos);
        this.provider = provider;
        this.keys = keys;
    }

    @Override
    protected boolean renewOnBackend(Duration leaseTime) {
        return provider.extend(keys, ownerId(), backendToken(), leaseTime);
    }

    @Override
    protected void releaseOnBackend(Duration keepFor) {
        provider.release(keys, ownerId(), backendToken(), keepFor);
    }

    @Override
    protected boolean releaseIfOwned(Duration keepFor) {
        return provider.release(keys, ownerId(), backendToken(), keepFor);
    }

    @Override
    public String toString() {
        return "RedisLease[" + name() + ", token " + token() + ", " + ownerId() + "]";
    }
}
