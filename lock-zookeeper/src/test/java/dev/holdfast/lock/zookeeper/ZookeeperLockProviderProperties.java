package dev.holdfast.lock.zookeeper;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import dev.holdfast.lock.testkit.LockProviderProperties;
import dev.holdfast.lock.testkit.fixtures.ZookeeperFixture;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.apache.curator.framework.CuratorFramework;

/** The kit's model-checked random schedules, on a ZooKeeper server. */
class ZookeeperLockProviderProperties extends LockProviderProperties {

    private static final String BASE = "/holdfast-properties/locks";
    private static ZookeeperFixture zk;
    private static ZkClients clients;
    private static CuratorFramework admin;
    private static final Map<LockProvider, CuratorFramework> providers = new ConcurrentHashMap<>();
    private static final Map<LockProvider, AtomicInteger> replyLosses = new ConcurrentHashMap<>();
    private static final Map<LockProvider, List<Object>> armedCreates = new ConcurrentHashMap<>();

    @BeforeContainer
    static void startServer() {
        zk = ZookeeperFixture.open();
        clients = new ZkClients();
        admin = clients.open(zk.connectString());
    }

    @AfterContainer
    static void stopServer() {
        clients.close();
        zk.close();
    }

    @AfterTry
    void closeClients() {
        providers.forEach((provider, client) -> {
            provider.close();
            client.close();
        });
        providers.clear();
        replyLosses.clear();
        armedCreates.clear();
    }

    private static LockProvider track(CuratorFramework client) {
        AtomicInteger losses = new AtomicInteger();
        List<Object> armed = new CopyOnWriteArrayList<>();
        ZookeeperLockProvider provider = ZookeeperLockProvider
                .builder(FaultyClients.losingCreateReplies(client, losses, armed)).basePath(BASE).build();
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
