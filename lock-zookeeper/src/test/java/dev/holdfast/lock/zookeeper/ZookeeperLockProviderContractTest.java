package dev.holdfast.lock.zookeeper;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import dev.holdfast.lock.testkit.LockProviderContract;
import dev.holdfast.lock.testkit.fixtures.ZookeeperFixture;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

/** The provider contract on a ZooKeeper server (explicit settings, else an in-process TestingServer). */
class ZookeeperLockProviderContractTest extends LockProviderContract {

    private static final String BASE = "/holdfast-contract/locks";
    private static ZookeeperFixture zk;
    private static ZkClients clients;
    private static CuratorFramework admin;
    private final Map<LockProvider, CuratorFramework> providers = new ConcurrentHashMap<>();
    /** Per provider: how many of its next creates lose their reply (see {@link FaultyClients}). */
    private final Map<LockProvider, AtomicInteger> replyLosses = new ConcurrentHashMap<>();
    /** Per provider: the creates armed to lose their reply (see {@link FaultyClients#repliesLost}). */
    private final Map<LockProvider, List<Object>> armedCreates = new ConcurrentHashMap<>();

    @BeforeAll
    static void startServer() {
        zk = ZookeeperFixture.open();
        clients = new ZkClients();
        admin = clients.open(zk.connectString());
    }

    @AfterAll
    static void stopServer() {
        clients.close();
        zk.close();
    }

    @AfterEach
    void closeClients() {
        providers.forEach((provider, client) -> {
            provider.close(); // before its client (the kit closing it again does nothing)
            client.close();
        });
        providers.clear();
        replyLosses.clear();
        armedCreates.clear();
    }

    private LockProvider track(CuratorFramework client) {
        return track(client, 0);
    }

    /** A provider on {@code client} whose creates can be made to lose their reply; tokens above {@code floor}. */
    private LockProvider track(CuratorFramework client, long floor) {
        AtomicInteger losses = new AtomicInteger();
        List<Object> armed = new CopyOnWriteArrayList<>();
        ZookeeperLockProvider provider = ZookeeperLockProvider.builder(FaultyClients.losingCreateReplies(client, losses, armed))
                .basePath(BASE).tokensAbove(floor).build();
        providers.put(provider, client);
        replyLosses.put(provider, losses);
        armedCreates.put(provider, armed);
        return provider;
    }

    @Override
    protected LockProvider createProvider() {
        return track(clients.open(zk.connectString()));
    }

    @Override
    protected LockProvider createProvider(long tokensAbove) {
        return track(clients.open(zk.connectString()), tokensAbove);
    }

    @Override
    protected Faults faults() {
        return new ZookeeperFaults(zk, admin, BASE, providers::get, () -> track(clients.unreachable()),
                () -> List.copyOf(providers.values()),
                provider -> {
                    List<Object> armed = armedCreates.get(provider);
                    int lostBefore = FaultyClients.repliesLost(armed);
                    replyLosses.get(provider).incrementAndGet();
                    return () -> FaultyClients.repliesLost(armed) > lostBefore;
                });
    }
}
