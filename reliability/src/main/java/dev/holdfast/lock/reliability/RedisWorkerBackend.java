package dev.holdfast.lock.reliability;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.redis.RedisLockProvider;
import dev.holdfast.lock.testkit.harness.WorkerBackend;
import java.util.Map;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/** Harness worker side of the Redis provider: a Redisson client of the worker's proxy, short timeouts. */
public final class RedisWorkerBackend implements WorkerBackend {

    @Override
    public LockProvider open(Map<String, String> settings) {
        Config config = new Config();
        config.useSingleServer()
                .setAddress("redis://127.0.0.1:" + settings.get("harness.proxy.port"))
                .setClientName("hf-harness-" + settings.get("harness.run") + "-" + settings.get("harness.worker"))
                .setConnectionMinimumIdleSize(1)
                .setConnectionPoolSize(8)
                .setSubscriptionConnectionMinimumIdleSize(1)
                .setSubscriptionConnectionPoolSize(2)
                .setConnectTimeout(1_000)
                .setTimeout(1_000)
                .setRetryAttempts(2)
                .setRetryInterval(100)
                .setPingConnectionInterval(1_000);
        RedissonClient client = Redisson.create(config);
        return RedisLockProvider.builder(client).keyPrefix("harness:" + settings.get("harness.run") + ":")
                .shutdownClientOnClose(true).build();
    }

    @Override
    public void close() {
        // the provider shuts its client down
    }
}
