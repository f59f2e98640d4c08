package dev.holdfast.lock.testkit.harness;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.holdfast.lock.testkit.Await;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TcpProxyTest {

    private ServerSocket echo;

    @BeforeEach
    void startEchoServer() throws IOException {
        echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket s = echo.accept();
                    Thread c = new Thread(() -> {
                        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                            int b;
                            while ((b = in.read()) >= 0) {
                                out.write(b);
                                out.flush();
                            }
                        } catch (IOException e) {
                            // dropped
                        }
                    });
                    c.setDaemon(true);
                    c.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
    }

    @AfterEach
    void stopEchoServer() throws IOException {
        echo.close();
    }

    private static int roundTrip(Socket s, int b) throws IOException {
        s.getOutputStream().write(b);
        s.getOutputStream().flush();
        return s.getInputStream().read();
    }

    @Test
    void forwardsBothWays() throws IOException {
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", echo.getLocalPort());
             Socket s = new Socket("127.0.0.1", proxy.port())) {
            assertThat(roundTrip(s, 42)).isEqualTo(42);
            assertThat(proxy.openConnections()).isEqualTo(1);
            assertThat(proxy.upstreamLocalPorts()).hasSize(1);
        }
    }

    @Test
    void dropAllResetsOpenConnectionsAndAcceptsNewOnes() throws IOException {
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", echo.getLocalPort());
             Socket s = new Socket("127.0.0.1", proxy.port())) {
            assertThat(roundTrip(s, 1)).isEqualTo(1);
            proxy.dropAll();
            s.setSoTimeout(5_000);
            assertThatThrownBy(() -> {
                for (int i = 0; i < 100; i++) { // the reset shows up on the next read or write
                    if (roundTrip(s, 2) < 0) {
                        throw new IOException("closed");
                    }
                }
            }).isInstanceOf(IOException.class);
            try (Socket again = new Socket("127.0.0.1", proxy.port())) {
                assertThat(roundTrip(again, 3)).isEqualTo(3);
            }
        }
    }

    @Test
    void stallHoldsTrafficBackThenDeliversIt() throws IOException {
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", echo.getLocalPort());
             Socket s = new Socket("127.0.0.1", proxy.port())) {
            assertThat(roundTrip(s, 1)).isEqualTo(1);
            proxy.stall(Duration.ofMillis(700));
            long start = System.nanoTime();
            assertThat(roundTrip(s, 5)).isEqualTo(5);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(600));
            Await.until(Duration.ofSeconds(5), "the stalled connection stays open", () -> proxy.openConnections() == 1);
        }
    }
}
