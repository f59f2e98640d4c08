package dev.holdfast.lock.testkit.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP proxy between one client process and a backend, to cut or stall that client's
 * connections without touching anyone else's: {@link #dropAll()} resets every open connection (both sides
 * see the socket die at once, as after a network cut or a NAT timeout), {@link #stall(Duration)} stops
 * forwarding bytes in both directions for a while (connections stay open, as in a network partition or
 * a frozen switch) and then delivers what piled up. It listens on 127.0.0.1 only.
 */
public final class TcpProxy implements AutoCloseable {

    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private final Set<Pair> pairs = ConcurrentHashMap.newKeySet();
    private final AtomicLong stallUntil = new AtomicLong(System.nanoTime());
    private volatile boolean closed;

    private TcpProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::acceptLoop, "tcp-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Starts a proxy on a free loopback port that forwards to {@code targetHost:targetPort}. */
    public static TcpProxy start(String targetHost, int targetPort) {
        try {
            return new TcpProxy(targetHost, targetPort);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The port clients connect to. */
    public int port() {
        return server.getLocalPort();
    }

    /** How many client connections are open now. */
    public int openConnections() {
        return pairs.size();
    }

    /** The local ports of the proxy's own connections to the backend (how the backend sees these clients). */
    public List<Integer> upstreamLocalPorts() {
        return pairs.stream().map(p -> p.upstream.getLocalPort()).toList();
    }

    /** Resets every open connection (RST on both sides); new connections are accepted as before. */
    public void dropAll() {
        for (Pair p : List.copyOf(pairs)) {
            p.close(true);
        }
    }

    /** Stops forwarding bytes, in both directions and on new connections too, for {@code duration}. */
    public void stall(Duration duration) {
        long until = System.nanoTime() + duration.toNanos();
        stallUntil.accumulateAndGet(until, (a, b) -> a - b >= 0 ? a : b);
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            try {
                Socket upstream = new Socket();
                upstream.connect(new InetSocketAddress(targetHost, targetPort), 5_000);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                Pair p = new Pair(client, upstream);
                pairs.add(p);
                p.start();
            } catch (IOException e) {
                closeQuietly(client, true); // backend down: the client sees the connection die
            }
        }
    }

    private void awaitNoStall() throws InterruptedException {
        long until;
        while ((until = stallUntil.get()) - System.nanoTime() > 0) {
            Thread.sleep(Math.max(1, Math.min(50, (until - System.nanoTime()) / 1_000_000)));
        }
    }

    private final class Pair {
        final Socket client;
        final Socket upstream;
        private volatile boolean done;

        Pair(Socket client, Socket upstream) {
            this.client = client;
            this.upstream = upstream;
        }

        void start() {
            pump(client, upstream, "up");
            pump(upstream, client, "down");
        }

        private void pump(Socket from, Socket to, String dir) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[16 * 1024];
                try {
                    InputStream in = from.getInputStream();
                    OutputStream out = to.getOutputStream();
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        awaitNoStall();
                        out.write(buf, 0, n);
                        out.flush();
                    }
                } catch (IOException | InterruptedException e) {
                    // the other side died or we were dropped
                }
                close(false);
            }, "tcp-proxy-" + port() + "-" + dir);
            t.setDaemon(true);
            t.start();
        }

        void close(boolean reset) {
            if (done) {
                return;
            }
            done = true;
            pairs.remove(this);
            closeQuietly(client, reset);
            closeQuietly(upstream, reset);
        }
    }

    private static void closeQuietly(Socket s, boolean reset) {
        try {
            if (reset) {
                s.setSoLinger(true, 0); // RST rather than FIN
            }
        } catch (SocketException e) {
            // already closed
        }
        try {
            s.close();
        } catch (IOException e) {
            // closing
        }
    }

    /** Stops listening and drops every connection. */
    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException e) {
            // closing
        }
        dropAll();
    }

    @Override
    public String toString() {
        return "TcpProxy[127.0.0.1:" + port() + " -> " + targetHost + ":" + targetPort + ", " + pairs.size() + " open]";
    }
}
