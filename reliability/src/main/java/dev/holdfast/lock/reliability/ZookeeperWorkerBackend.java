package dev.holdfast.lock.reliability;

import dev.holdfast.lock.LockProvider;
import dev.holdfast.lock.testkit.fixtures.ZookeeperFixture;
import dev.holdfast.lock.testkit.harness.WorkerBackend;
import dev.holdfast.lock.zookeeper.ZookeeperLockProvider;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.jspecify.annotations.Nullable;

/**
 * Harness worker side of the ZooKeeper provider: a Curator client of the worker's proxy with session
 * timeout {@code harness.zk.sessionMillis}. In-worker fault {@code expire-session}: a second handle attaches
 * to this client's session straight at the server ({@code harness.zk.direct}) and closes it, so the server
 * deletes the session's nodes while this client has not heard yet.
 */
public final class ZookeeperWorkerBackend implements WorkerBackend {

    /** The in-worker fault that expires the worker's session on the server. */
    public static final String EXPIRE_SESSION = "expire-session";

    private @Nullable CuratorFramework client;
    private String direct = "";

    @Override
    public LockProvider open(Map<String, String> settings) {
        int session = Integer.parseInt(settings.get("harness.zk.sessionMillis"));
        direct = settings.get("harness.zk.direct");
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString("127.0.0.1:" + settings.get("harness.proxy.port"))
                .sessionTimeoutMs(session)
                .connectionTimeoutMs(Math.min(2_000, session))
                .retryPolicy(new ExponentialBackoffRetry(50, 10, 500))
                .build();
        c.start();
        client = c;
        return ZookeeperLockProvider.builder(c).basePath("/harness-" + settings.get("harness.run")).build();
    }

    @Override
    public void inject(String command) {
        if (!command.equals(EXPIRE_SESSION) || client == null) {
            WorkerBackend.super.inject(command);
            return;
        }
        try {
            ZookeeperFixture.closeOnServer(client.getZookeeperClient().getZooKeeper(), direct);
        } catch (Exception e) {
            throw new IllegalStateException("expire session", e);
        }
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
        }
    }
}
