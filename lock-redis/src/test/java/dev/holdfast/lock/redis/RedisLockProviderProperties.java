package dev.holdfast.lock.redis;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import dev.holdfast.lock.testkit.LockProviderProperties;
import dev.holdfast.lock.testkit.fixtures.RedisFixture;
import dev.holdfast.lock.testkit.fixtures.RespClient;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** The kit's model-checked random schedules, on the shared Redis (keys under a prefix of their own). */
class RedisLockProviderProperties extends LockProviderProperties {

    private static final String PREFIX = RedisFixture.keyPrefix("properties");
    private static RedisClients clients;
    private static RedisFaults faults;

    @BeforeContainer
    static void start() {
        RedisFixture redis = RedisFixture.shared();
        clients = new RedisClients();
        faults = new RedisFaults(clients, redis.host(), redis.port(), PREFIX, null);
    }

    @AfterContainer
    static void stop() {
        try (RespClient admin = faults.admin()) {
            RedisFaults.deleteKeys(admin, PREFIX);
        } finally {
            clients.close();
        }
    }

    @Override
    protected LockProvider createProvider() {
        return faults.newProvider();
    }

    @Override
    protected Faults faults() {
        return faults;
    }
}
