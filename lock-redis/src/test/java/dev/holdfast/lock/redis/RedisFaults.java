package dev.holdfast.lock.redis;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import dev.holdfast.lock.testkit.fixtures.RedisServerProcess;
import dev.holdfast.lock.testkit.fixtures.RespClient;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.redisson.api.RedissonClient;

/**
 * Real Redis faults for the contract: {@code expire} deletes the lock key, {@code cutConnections} CLIENT
 * KILLs the provider's own named connections, the unreachable provider points at a closed port (lazy
 * Redisson initialization, so the failure comes at acquire time), {@code loseNextAcquireReply} discards
 * the server's reply to the next acquire script at the client's socket and closes that connection, and
 * {@code restartBackend} either
 * restarts a throwaway server or — on a shared server that must not be restarted — does to this test's
 * clients what a restart does: kills all their connections and deletes every key under their prefix.
 */
final class RedisFaults implements Faults {

    private final RedisClients clients;
    private final String host;
    private final int port;
    private final String keyPrefix;
    private final RedisServerProcess ownServer; // null when the server is shared
    private final Map<LockProvider, String> clientNames = new ConcurrentHashMap<>();
    private final Map<LockProvider, AcquireReplyDropper> replyDroppers = new ConcurrentHashMap<>();

    RedisFaults(RedisClients clients, String host, int port, String keyPrefix, RedisServerProcess ownServer) {
        this.clients = clients;
        this.host = host;
        this.port = port;
        this.keyPrefix = keyPrefix;
        this.ownServer = ownServer;
    }

    /** A new provider on its own Redisson client (like another process), remembered for cutConnections. */
    RedisLockProvider newProvider() {
        return newProvider(0);
    }

    /** {@link #newProvider()} built with {@code tokensAbove(tokensAbove)}. */
    RedisLockProvider newProvider(long tokensAbove) {
        String clientName = RedisClients.uniqueName("holdfast-test");
        AcquireReplyDropper dropper = new AcquireReplyDropper();
        RedissonClient client = clients.create("redis://" + host + ":" + port, clientName, false, 1000, 2, 100, dropper);
        RedisLockProvider provider = RedisLockProvider.builder(client).keyPrefix(keyPrefix)
                .tokensAbove(tokensAbove).shutdownClientOnClose(true).build();
        clientNames.put(provider, clientName);
        replyDroppers.put(provider, dropper);
        return provider;
    }

    RespClient admin() {
        return RespClient.connect(host, port);
    }

    @Override
    public void expire(String name) {
        try (RespClient admin = admin()) {
            admin.call("DEL", new RedisKeys(keyPrefix).of(name).lock());
        }
    }

    @Override
    public LockProvider createUnreachableProvider() {
        String address = "redis://127.0.0.1:" + RedisServerProcess.freePort();
        RedissonClient client = clients.create(address, RedisClients.uniqueName("holdfast-down"), true);
        return RedisLockProvider.builder(client).keyPrefix(keyPrefix).shutdownClientOnClose(true).build();
    }

    @Override
    public void cutConnections(LockProvider provider) {
        String clientName = clientNames.get(provider);
        if (clientName == null) {
            throw new IllegalArgumentException("not a provider of this test: " + provider);
        }
        try (RespClient admin = admin()) {
            admin.killClientsNamed(clientName);
        }
    }

    /**
     * The provider's next acquire script reaches the server and runs; its reply is discarded at the
     * client's socket and that connection closed (see {@link AcquireReplyDropper}). Fired once the dropper
     * has lost a reply of a command that ran the script (never a NOSCRIPT error).
     */
    @Override
    public Optional<BooleanSupplier> loseNextAcquireReply(LockProvider provider) {
        AcquireReplyDropper dropper = replyDroppers.get(provider);
        if (dropper == null) {
            throw new IllegalArgumentException("not a provider of this test: " + provider);
        }
        int before = dropper.dropped();
        dropper.arm();
        return Optional.of(() -> dropper.dropped() > before);
    }

    @Override
    public void restartBackend() {
        if (ownServer != null) {
            ownServer.restart();
            return;
        }
        try (RespClient admin = admin()) {
            for (String clientName : clientNames.values()) {
                admin.killClientsNamed(clientName);
            }
            deleteKeys(admin, keyPrefix);
        }
    }

    /** Deletes every key starting with {@code prefix} (SCAN + DEL), never anything else. */
    static void deleteKeys(RespClient admin, String prefix) {
        String cursor = "0";
        do {
            List<?> reply = (List<?>) admin.call("SCAN", cursor, "MATCH", prefix + "*", "COUNT", "1000");
            cursor = String.valueOf(reply.get(0));
            for (Object key : (List<?>) reply.get(1)) {
                admin.call("DEL", String.valueOf(key));
            }
        } while (!"0".equals(cursor));
    }

}
