package dev.holdfast.lock.zookeeper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.retry.RetryNTimes;

/** Curator clients for tests, each like another process's; closes them all at the end. */
final class ZkClients implements AutoCloseable {

    private final List<CuratorFramework> clients = new CopyOnWriteArrayList<>();

    /** A started client of {@code connect} with the given session timeout. */
    CuratorFramework open(String connect, Duration sessionTimeout) {
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString(connect)
                .sessionTimeoutMs((int) sessionTimeout.toMillis())
                .connectionTimeoutMs((int) Math.min(5_000, sessionTimeout.toMillis()))
                .retryPolicy(new ExponentialBackoffRetry(50, 3, 500))
                .build();
        c.start();
        clients.add(c);
        return c;
    }

    /** A started client of {@code connect} with a 10 s session timeout. */
    CuratorFramework open(String connect) {
        return open(connect, Duration.ofSeconds(10));
    }

    /** A started client pointed at a loopback port where nothing listens, giving up after ~0.5 s. */
    CuratorFramework unreachable() {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        CuratorFramework c = CuratorFrameworkFactory.builder()
                .connectString("127.0.0.1:" + port)
                .sessionTimeoutMs(2_000)
                .connectionTimeoutMs(500)
                .retryPolicy(new RetryNTimes(0, 0))
                .build();
        c.start();
        clients.add(c);
        return c;
    }

    @Override
    public void close() {
        for (CuratorFramework c : clients) {
            try {
                c.close();
            } catch (RuntimeException e) {
                // closing a test client
            }
        }
        clients.clear();
    }
}
