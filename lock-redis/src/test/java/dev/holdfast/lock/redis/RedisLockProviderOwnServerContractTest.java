package dev.holdfast.lock.redis;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import dev.holdfast.lock.testkit.LockProviderContract;
import dev.holdfast.lock.testkit.fixtures.RedisFixture;
import dev.holdfast.lock.testkit.fixtures.RedisServerProcess;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The whole contract again on a throwaway {@code redis-server} of this class, which it really restarts. */
class RedisLockProviderOwnServerContractTest extends LockProviderContract {

    private static RedisServerProcess server;
    private static RedisClients clients;
    private static RedisFaults faults;

    @BeforeAll
    static void start() {
        server = RedisServerProcess.start();
        clients = new RedisClients();
        faults = new RedisFaults(clients, "127.0.0.1", server.port(), RedisFixture.keyPrefix("own-server"), server);
    }

    @AfterAll
    static void stop() {
        try {
            clients.close();
        } finally {
            server.close();
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
