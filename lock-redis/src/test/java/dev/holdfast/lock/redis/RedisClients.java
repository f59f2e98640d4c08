package dev.holdfast.lock.redis;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.client.NettyHook;
import org.redisson.config.Config;
import org.redisson.config.SingleServerConfig;

/**
 * Redisson clients for tests: small pools, short timeouts, a client name (so CLIENT KILL can target
 * exactly these connections) and one shared event loop, so creating and closing many clients is cheap.
 */
final class RedisClients implements AutoCloseable {

    private final EventLoopGroup loop = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "redisson-test-executor");
        t.setDaemon(true);
        return t;
    });
    private final List<RedissonClient> clients = new CopyOnWriteArrayList<>();

    /** A unique client name with {@code prefix}. */
    static String uniqueName(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A client of {@code address} whose connections are all named {@code clientName}. */
    RedissonClient create(String address, String clientName) {
        return create(address, clientName, false);
    }

    /** A client; {@code lazy} = connect on first command (for unreachable addresses). */
    RedissonClient create(String address, String clientName, boolean lazy) {
        return create(address, clientName, lazy, 1000, 2, 100);
    }

    /**
     * A client with its own command timeout and retries: Redisson resends a command that got no reply
     * within {@code timeoutMs}, up to {@code retryAttempts} times, {@code retryIntervalMs} apart.
     */
    RedissonClient create(String address, String clientName, boolean lazy, int timeoutMs, int retryAttempts,
                          int retryIntervalMs) {
        return create(address, clientName, lazy, timeoutMs, retryAttempts, retryIntervalMs, null);
    }

    /** {@link #create(String, String, boolean, int, int, int)} with a hook on every channel (null: none). */
    RedissonClient create(String address, String clientName, boolean lazy, int timeoutMs, int retryAttempts,
                          int retryIntervalMs, @Nullable NettyHook hook) {
        Config config = new Config();
        if (hook != null) {
            config.setNettyHook(hook);
        }
        config.setEventLoopGroup(loop);
        config.setExecutor(executor);
        config.setLazyInitialization(lazy);
        SingleServerConfig single = config.useSingleServer()
                .setAddress(address)
                .setClientName(clientName)
                .setConnectionMinimumIdleSize(1)
                .setConnectionPoolSize(8)
                .setSubscriptionConnectionMinimumIdleSize(1)
                .setSubscriptionConnectionPoolSize(2)
                .setConnectTimeout(1000)
                .setTimeout(timeoutMs)
                .setRetryAttempts(retryAttempts)
                .setPingConnectionInterval(1000);
        single.setRetryInterval(retryIntervalMs);
        RedissonClient client = Redisson.create(config);
        clients.add(client);
        return client;
    }

    /** A client that finds the primary of {@code masterName} through the Sentinel at {@code sentinelAddress}. */
    RedissonClient createSentinel(String sentinelAddress, String masterName, String clientName) {
        Config config = new Config();
        config.setEventLoopGroup(loop);
        config.setExecutor(executor);
        config.useSentinelServers()
                .addSentinelAddress(sentinelAddress)
                .setMasterName(masterName)
                .setCheckSentinelsList(false)
                .setClientName(clientName)
                .setMasterConnectionMinimumIdleSize(1)
                .setMasterConnectionPoolSize(8)
                .setSlaveConnectionMinimumIdleSize(1)
                .setSlaveConnectionPoolSize(2)
                .setSubscriptionConnectionMinimumIdleSize(1)
                .setSubscriptionConnectionPoolSize(2)
                .setScanInterval(200)
                .setConnectTimeout(1000)
                .setTimeout(1000)
                .setRetryAttempts(2);
        RedissonClient client = Redisson.create(config);
        clients.add(client);
        return client;
    }

    /** A Cluster client that starts from {@code nodeAddresses}. */
    RedissonClient createCluster(List<String> nodeAddresses, String clientName) {
        Config config = new Config();
        config.setEventLoopGroup(loop);
        config.setExecutor(executor);
        config.useClusterServers()
                .addNodeAddress(nodeAddresses.toArray(String[]::new))
                .setClientName(clientName)
                .setMasterConnectionMinimumIdleSize(1)
                .setMasterConnectionPoolSize(8)
                .setSlaveConnectionMinimumIdleSize(1)
                .setSlaveConnectionPoolSize(2)
                .setSubscriptionConnectionMinimumIdleSize(1)
                .setSubscriptionConnectionPoolSize(2)
                .setConnectTimeout(1000)
                .setTimeout(1000)
                .setRetryAttempts(2);
        RedissonClient client = Redisson.create(config);
        clients.add(client);
        return client;
    }

    /** Shuts down one client now. */
    static void shutdown(RedissonClient client) {
        if (!client.isShutdown()) {
            client.shutdown(0, 2, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        clients.forEach(RedisClients::shutdown);
        clients.clear();
        executor.shutdownNow();
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
