package dev.cqrs.embedded.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The proxy against a real TCP echo server on loopback: each fault as a client and the server see it. */
class FaultProxyTest {

    private EchoServer echo;
    private FaultProxy proxy;

    @BeforeEach
    void start() throws IOException {
        echo = new EchoServer();
        proxy = FaultProxy.start("test->echo", echo.port());
    }

    @AfterEach
    void stop() throws IOException {
        proxy.close();
        echo.close();
    }

    @Test
    void withoutAFaultBytesGoBothWaysAndAreCounted() throws IOException {
        try (Socket client = connect()) {
            assertThat(roundTrip(client, "hello")).isEqualTo("hello");
        }
        assertThat(proxy.bytesToServer()).isEqualTo(5);
        assertThat(proxy.bytesToClient()).isEqualTo(5);
        assertThat(proxy.connectionsAccepted()).isEqualTo(1);
    }

    @Test
    void latencyHoldsEveryChunkEachWayAndKeepsTheirOrder() throws IOException {
        try (Socket client = connect()) {
            roundTrip(client, "warm");
            proxy.inject(NetworkFault.latency(Duration.ofMillis(150), Duration.ofMillis(50)));
            long started = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                client.getOutputStream().write(("" + (char) ('a' + i)).getBytes(StandardCharsets.US_ASCII));
            }
            String echoed = read(client, 20);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            assertThat(echoed).as("order kept").isEqualTo("abcdefghijklmnopqrst");
            assertThat(millis).as("a round trip holds at least (150 - 50) ms each way").isGreaterThanOrEqualTo(200);
            proxy.heal();
            assertThat(roundTrip(client, "after")).isEqualTo("after");
        }
    }

    @Test
    void aBlackholeKeepsConnectionsOpenAndSilentAndDeliversWhatWaitedOnceHealed() throws IOException {
        try (Socket client = connect()) {
            roundTrip(client, "before");
            proxy.inject(NetworkFault.blackhole());
            client.getOutputStream().write("lost?".getBytes(StandardCharsets.US_ASCII));
            client.setSoTimeout(700);
            assertThatThrownBy(() -> client.getInputStream().read()).as("no answer, no close")
                    .isInstanceOf(SocketTimeoutException.class);
            try (Socket late = connect()) {
                late.getOutputStream().write("new".getBytes(StandardCharsets.US_ASCII));
                late.setSoTimeout(500);
                assertThatThrownBy(() -> late.getInputStream().read()).as("a new connection hangs too")
                        .isInstanceOf(SocketTimeoutException.class);
            }
            assertThat(echo.received()).as("what the server got meanwhile").isEmpty();
            proxy.heal();
            client.setSoTimeout(5_000);
            assertThat(read(client, 5)).as("retransmitted, as TCP would").isEqualTo("lost?");
        }
    }

    @Test
    void aResetBreaksOpenConnectionsAndRefusesNewOnesUntilHealed() throws Exception {
        try (Socket client = connect()) {
            roundTrip(client, "before");
            proxy.inject(NetworkFault.reset());
            client.setSoTimeout(5_000);
            assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(SocketException.class)
                    .hasMessageContaining("reset");
            assertThat(echo.awaitEnd()).as("the server's end is reset too").isEqualTo("reset");
        }
        try (Socket refused = connect()) {
            refused.setSoTimeout(5_000);
            assertThatThrownBy(() -> refused.getInputStream().read()).isInstanceOf(SocketException.class);
        }
        proxy.heal();
        try (Socket client = connect()) {
            assertThat(roundTrip(client, "again")).isEqualTo("again");
        }
    }

    @Test
    void halfOpenClosesTheServersEndWhileTheClientHangsAndResetsTheClientOnHealing() throws Exception {
        try (Socket client = connect()) {
            roundTrip(client, "before");
            proxy.inject(NetworkFault.halfOpen());
            assertThat(echo.awaitEnd()).as("the server sees its client leave").isEqualTo("end of stream");
            client.getOutputStream().write("anyone?".getBytes(StandardCharsets.US_ASCII));
            client.setSoTimeout(700);
            assertThatThrownBy(() -> client.getInputStream().read()).as("the client's end stays open and silent")
                    .isInstanceOf(SocketTimeoutException.class);
            proxy.heal();
            client.setSoTimeout(5_000);
            assertThatThrownBy(() -> client.getInputStream().read()).as("reset once the peer is back")
                    .isInstanceOf(SocketException.class);
        }
        try (Socket client = connect()) {
            assertThat(roundTrip(client, "again")).isEqualTo("again");
        }
    }

    @Test
    void aClientOfAServerThatIsDownIsReset() throws Exception {
        echo.close();
        try (Socket client = connect()) {
            client.setSoTimeout(5_000);
            InputStream in = client.getInputStream();
            assertThatThrownBy(in::read).isInstanceOf(SocketException.class);
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket(InetAddress.getByName("127.0.0.1"), proxy.port());
        socket.setSoTimeout(5_000);
        return socket;
    }

    private static String roundTrip(Socket client, String text) throws IOException {
        client.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
        return read(client, text.length());
    }

    private static String read(Socket client, int length) throws IOException {
        byte[] bytes = client.getInputStream().readNBytes(length);
        return new String(bytes, StandardCharsets.US_ASCII);
    }

    /** Echoes what each connection sends; notes how each connection ended and what it received. */
    private static final class EchoServer implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
        private final LinkedBlockingQueue<String> ends = new LinkedBlockingQueue<>();
        private final StringBuffer received = new StringBuffer();

        EchoServer() throws IOException {
            Thread.ofVirtual().start(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket socket = server.accept();
                        Thread.ofVirtual().start(() -> echo(socket));
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        int port() {
            return server.getLocalPort();
        }

        String received() {
            return received.toString().replace("before", "");
        }

        /** How the next connection ended: "end of stream" or "reset" (within 5 s). */
        String awaitEnd() throws InterruptedException {
            String end = ends.poll(5, TimeUnit.SECONDS);
            assertThat(end).as("a server connection ended within 5 s").isNotNull();
            return end;
        }

        private void echo(Socket socket) {
            try (socket) {
                byte[] buffer = new byte[1024];
                int read;
                while ((read = socket.getInputStream().read(buffer)) >= 0) {
                    received.append(new String(buffer, 0, read, StandardCharsets.US_ASCII));
                    socket.getOutputStream().write(buffer, 0, read);
                }
                ends.add("end of stream");
            } catch (IOException e) {
                ends.add(e.getMessage() != null && e.getMessage().contains("reset") ? "reset" : e.toString());
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
