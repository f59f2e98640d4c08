package dev.holdfast.lock.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP proxy in front of a real database server that can hold back the server's replies to a request (a
 * network path that dies after the request went through): the server runs and commits the statement, the
 * client never hears of it. Other connections work normally.
 */
final class ReplyStallingProxy implements AutoCloseable {

    private static final Pattern HOST_PORT = Pattern.compile("//([^/:?]+):(\\d+)");

    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private final List<Pipe> pipes = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean closed;
    private volatile String marker;

    ReplyStallingProxy(String jdbcUrl) throws IOException {
        Matcher m = HOST_PORT.matcher(jdbcUrl);
        if (!m.find()) {
            throw new IllegalArgumentException("no host:port in " + jdbcUrl);
        }
        this.targetHost = m.group(1);
        this.targetPort = Integer.parseInt(m.group(2));
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "reply-stalling-proxy");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** {@code jdbcUrl} with its host and port replaced by this proxy's. */
    String url(String jdbcUrl) {
        return HOST_PORT.matcher(jdbcUrl).replaceFirst("//127.0.0.1:" + server.getLocalPort());
    }

    /**
     * The next request whose bytes contain {@code marker} (an SQL text) goes through to the server, and its
     * connection then gets no more bytes from the server.
     */
    void stallTheReplyToTheNextRequestWith(String marker) {
        this.marker = marker;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                Socket target = new Socket(targetHost, targetPort);
                sockets.add(client);
                sockets.add(target);
                Pipe replies = new Pipe();
                pipes.add(replies);
                pump(client, target, replies, true);
                pump(target, client, replies, false);
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private static final class Pipe {
        volatile boolean stalled;
    }

    private void pump(Socket from, Socket to, Pipe pipe, boolean requests) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[8192];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    String m = marker;
                    if (requests && m != null
                            && new String(buffer, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1).contains(m)) {
                        marker = null;
                        pipe.stalled = true; // before the request is forwarded: no byte of its reply gets through
                    }
                    while (!requests && pipe.stalled && !closed && !to.isClosed()) {
                        Thread.sleep(20); // the bytes are held back for good
                    }
                    if (!requests && pipe.stalled) {
                        return;
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                // one side closed
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "reply-stalling-proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        sockets.forEach(ReplyStallingProxy::closeQuietly);
    }
}
