package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The lab's relay on real loopback sockets: bytes pass intact both ways, half-closes pass, delays hold. */
class TcpRelayTest {
    private ServerSocket server;
    private CompletableFuture<Void> serving;

    /** A server that answers each connection with what it read, upper-cased, once the client has finished sending. */
    @BeforeEach
    void startServer() throws IOException {
        server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        serving = CompletableFuture.runAsync(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    byte[] all = s.getInputStream().readAllBytes();
                    s.getOutputStream()
                            .write(new String(all, StandardCharsets.UTF_8)
                                    .toUpperCase(java.util.Locale.ROOT)
                                    .getBytes(StandardCharsets.UTF_8));
                } catch (IOException closed) {
                    return;
                }
            }
        });
    }

    @AfterEach
    void stopServer() throws IOException {
        server.close();
    }

    private String roundTrip(TcpRelay relay, String message) throws IOException {
        try (Socket client = new Socket()) {
            client.connect(relay.address(), 2000);
            client.setSoTimeout(10_000);
            OutputStream out = client.getOutputStream();
            out.write(message.getBytes(StandardCharsets.UTF_8));
            client.shutdownOutput(); // the server answers at end of input: the half-close must pass
            InputStream in = client.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void bytesPassIntactBothWays_andEndOfInputPassesToo() throws IOException {
        try (TcpRelay relay =
                TcpRelay.start("127.0.0.1", (InetSocketAddress) server.getLocalSocketAddress(), Duration.ZERO)) {
            String big = "session-".repeat(20_000); // 160 kB: several chunks each way
            assertThat(roundTrip(relay, big)).isEqualTo(big.toUpperCase(java.util.Locale.ROOT));
            assertThat(roundTrip(relay, "again")).isEqualTo("AGAIN");
        }
    }

    @Test
    void eachDirectionIsHeldForTheDelay() throws IOException {
        Duration delay = Duration.ofMillis(100);
        try (TcpRelay relay = TcpRelay.start("127.0.0.1", (InetSocketAddress) server.getLocalSocketAddress(), delay)) {
            long start = System.nanoTime();
            assertThat(roundTrip(relay, "late")).isEqualTo("LATE");
            // a lower bound only: held on the way in and on the way back
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(delay.multipliedBy(2));
        }
    }

    @Test
    void aClosedRelayRefusesConnections_andANegativeDelayIsRefused() throws IOException {
        TcpRelay relay = TcpRelay.start("127.0.0.1", (InetSocketAddress) server.getLocalSocketAddress(), Duration.ZERO);
        InetSocketAddress where = relay.address();
        relay.close();
        assertThatThrownBy(() -> {
                    try (Socket s = new Socket()) {
                        s.connect(where, 2000);
                    }
                })
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> TcpRelay.start(
                        "127.0.0.1", (InetSocketAddress) server.getLocalSocketAddress(), Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
