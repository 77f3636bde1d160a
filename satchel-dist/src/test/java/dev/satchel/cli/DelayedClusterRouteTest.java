package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The relays the lab puts between the nodes: the announced port reaches the cluster port, the
 * announced port + 100 reaches failure detection's, each held for the delay, and closing the route
 * closes both.
 */
class DelayedClusterRouteTest {
    private final List<ServerSocket> servers = new ArrayList<>();

    @AfterEach
    void closeServers() throws IOException {
        for (ServerSocket s : servers) {
            s.close();
        }
    }

    /** A node's cluster port and its failure-detection port (+ 100), each answering one byte: its own mark. */
    private InetSocketAddress nodeListening() throws IOException {
        for (int attempt = 0; attempt < 50; attempt++) {
            ServerSocket cluster = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            ServerSocket detection;
            try {
                detection = new ServerSocket(cluster.getLocalPort() + 100, 50, InetAddress.getLoopbackAddress());
            } catch (IOException taken) {
                cluster.close();
                continue;
            }
            answer(cluster, 'C');
            answer(detection, 'F');
            return (InetSocketAddress) cluster.getLocalSocketAddress();
        }
        throw new IOException("no free pair of ports");
    }

    private void answer(ServerSocket server, char mark) {
        servers.add(server);
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.getOutputStream().write(mark);
                    s.getInputStream().read(); // until the client is done
                } catch (IOException closed) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
    }

    private static int firstByte(InetSocketAddress at) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(at, 2000);
            s.setSoTimeout(5000);
            return s.getInputStream().read();
        }
    }

    @Test
    void theAnnouncedPortReachesTheClusterPort_andItsPortPlus100FailureDetection() throws IOException {
        InetSocketAddress node = nodeListening();
        InetSocketAddress announced;
        Duration delay = Duration.ofMillis(50);
        try (DelayedClusterRoute route = new DelayedClusterRoute("127.0.0.1", delay)) {
            announced = route.announce(node);
            assertThat(announced.getPort()).isNotEqualTo(node.getPort());
            long start = System.nanoTime();
            assertThat(firstByte(announced)).isEqualTo('C');
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(delay);
            assertThat(firstByte(new InetSocketAddress(announced.getAddress(), announced.getPort() + 100)))
                    .isEqualTo('F');
        }
        assertThatThrownBy(() -> firstByte(announced)).isInstanceOf(IOException.class);
    }

    @Test
    void noDelayIsNoRoute() {
        assertThatThrownBy(() -> new DelayedClusterRoute("127.0.0.1", Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
