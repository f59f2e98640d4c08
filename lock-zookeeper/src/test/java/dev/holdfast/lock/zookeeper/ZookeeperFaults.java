package dev.holdfast.lock.zookeeper;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.Faults;
import dev.holdfast.lock.testkit.fixtures.ZookeeperFixture;
import java.util.List;
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

    /**
     * @param zk          the ensemble
     * @param admin       a client of its own, for expiring holders
     * @param basePath    the providers' base path
     * @param clientOf    the Curator client behind a provider of the test
     * @param unreachable makes a provider whose client points at a port where nothing listens
     */
    ZookeeperFaults(ZookeeperFixture zk, CuratorFramework admin, String basePath,
                    Function<LockProvider, CuratorFramework> clientOf, Supplier<LockProvider> unreachable) {
        this.zk = zk;
        this.admin = admin;
        this.basePath = basePath;
        this.clientOf = clientOf;
        this.unreachable = unreachable;
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

    /** Restarts the in-process server: every connection drops, sessions and nodes survive. */
    @Override
    public void restartBackend() {
        zk.restart();
    }
}
