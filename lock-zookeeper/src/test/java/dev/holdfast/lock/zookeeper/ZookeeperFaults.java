package dev.holdfast.lock.zookeeper;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import dev.holdfast.lock.testkit.fixtures.ZookeeperFixture;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.utils.ZKPaths;
import org.apache.zookeeper.KeeperException;

/** The kit's faults, done to a ZooKeeper ensemble from the server's side. */
final class ZookeeperFaults implements Faults {

    private final ZookeeperFixture zk;
    private final CuratorFramework admin;
    private final String basePath;
    private final Function<LockProvider, CuratorFramework> clientOf;
    private final Supplier<LockProvider> unreachable;
    private final Supplier<Collection<CuratorFramework>> allClients;
    private final Function<LockProvider, BooleanSupplier> loseNextCreateReply;

    /**
     * @param zk          the ensemble
     * @param admin       a client of its own, for expiring holders
     * @param basePath    the providers' base path
     * @param clientOf    the Curator client behind a provider of the test
     * @param unreachable makes a provider whose client points at a port where nothing listens
     * @param allClients  the clients of the test's providers (for a restart of an ensemble not run here)
     * @param loseNextCreateReply makes the next create of a provider of the test lose its reply (the server
     *                    creates the node, the client hears a connection loss; see {@link FaultyClients}) and
     *                    returns whether that loss has happened
     */
    ZookeeperFaults(ZookeeperFixture zk, CuratorFramework admin, String basePath,
                    Function<LockProvider, CuratorFramework> clientOf, Supplier<LockProvider> unreachable,
                    Supplier<Collection<CuratorFramework>> allClients,
                    Function<LockProvider, BooleanSupplier> loseNextCreateReply) {
        this.zk = zk;
        this.admin = admin;
        this.basePath = basePath;
        this.clientOf = clientOf;
        this.unreachable = unreachable;
        this.allClients = allClients;
        this.loseNextCreateReply = loseNextCreateReply;
    }

    /**
     * The provider's next acquire creates its queue node on the server but the create's reply is lost (a
     * connection loss right after the server ran it); Curator's protected-mode retry then looks for the node.
     */
    @Override
    public Optional<BooleanSupplier> loseNextAcquireReply(LockProvider provider) {
        return Optional.of(loseNextCreateReply.apply(provider));
    }

    /** Deletes the holder's node, as its session timing out would; its client is not told. */
    @Override
    public void expire(String name) {
        String folder = ZKPaths.makePath(basePath, LockPaths.segment(name));
        try {
            List<String> queue = LockPaths.queue(admin.getChildren().forPath(folder));
            if (!queue.isEmpty()) {
                admin.delete().quietly().forPath(ZKPaths.makePath(folder, queue.get(0)));
            }
        } catch (KeeperException.NoNodeException e) {
            // nobody holds it
        } catch (Exception e) {
            throw new IllegalStateException("expire " + name, e);
        }
    }

    @Override
    public LockProvider createUnreachableProvider() {
        return unreachable.get();
    }

    /** Expires the provider's session on the server (its nodes go) and tells its client at once. */
    @Override
    public void cutConnections(LockProvider provider) {
        try {
            zk.expireSession(clientOf.apply(provider).getZookeeperClient().getZooKeeper());
        } catch (Exception e) {
            throw new IllegalStateException("expire session", e);
        }
    }

    /**
     * Restarts an in-process server (every connection drops, sessions and nodes survive). An ensemble named
     * by explicit settings cannot be restarted from here: every session of the test's providers is ended
     * instead, which is what a restart that outlasts the session timeout does to its clients.
     */
    @Override
    public void restartBackend() {
        if (zk.isInProcess()) {
            zk.restart();
            return;
        }
        for (CuratorFramework client : allClients.get()) {
            try {
                zk.expireSession(client.getZookeeperClient().getZooKeeper());
            } catch (Exception e) {
                throw new IllegalStateException("expire session", e);
            }
        }
    }
}
