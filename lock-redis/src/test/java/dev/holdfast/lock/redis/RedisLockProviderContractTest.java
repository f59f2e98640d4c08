package dev.holdfast.lock.redis;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import dev.holdfast.lock.testkit.LockProviderContract;
import dev.holdfast.lock.testkit.fixtures.RedisFixture;
import dev.holdfast.lock.testkit.fixtures.RespClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The whole contract against the shared Redis the fixture finds (local 6379 here). That server must not
 * be restarted, so {@code restartBackend} kills this class's connections and deletes its keys (what a
 * restart without persistence does to them); {@link RedisLockProviderOwnServerContractTest} runs the
 * contract again with a real restart.
 */
class RedisLockProviderContractTest extends LockProviderContract {

    private static final String PREFIX = RedisFixture.keyPrefix("contract");
    private static RedisClients clients;
    private static RedisFaults faults;

    @BeforeAll
    static void start() {
        RedisFixture redis = RedisFixture.shared();
        clients = new RedisClients();
        faults = new RedisFaults(clients, redis.host(), redis.port(), PREFIX, null);
    }

    @AfterAll
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
    protected LockProvider createProvider(long tokensAbove) {
        return faults.newProvider(tokensAbove);
    }

    @Override
    protected Faults faults() {
        return faults;
    }
}
