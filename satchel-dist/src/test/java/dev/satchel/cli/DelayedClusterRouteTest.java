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
 * announced port + 100 and + 200 reach the same ports of the node (where JGroups' failure detection
 * and Satchel's answer port listen once a node announces), each held for the delay, and closing the
 * route closes them all.
 * {@code DelayedClusterRouteIT} checks the same with JGroups itself.
 */
class DelayedClusterRouteTest {
    private final List<ServerSocket> servers = new ArrayList<>();

    @AfterEach
    void closeServers() throws IOException {
        for (ServerSocket s : servers) {
            s.close();
        }
    }

    private ServerSocket listen(int port, char mark) throws IOException {
        ServerSocket server = new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
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
        return server;
    }

    private static int firstByte(InetSocketAddress at) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(at, 2000);
            s.setSoTimeout(5000);
            return s.getInputStream().read();
        }
    }

    @Test
    void theAnnouncedPortReachesTheClusterPort_andItsPortPlus100And200TheSamePortsOfTheNode() throws IOException {
        ServerSocket cluster = listen(0, 'C');
        InetSocketAddress node = (InetSocketAddress) cluster.getLocalSocketAddress();
        InetSocketAddress announced;
        Duration delay = Duration.ofMillis(50);
        Socket held = new Socket();
        try (held;
                DelayedClusterRoute route = new DelayedClusterRoute("127.0.0.2", delay)) {
            announced = route.announce(node);
            assertThat(announced.getAddress().getHostAddress()).isEqualTo("127.0.0.2");
            // As JGroups' FD_SOCK2 does: it listens on the announced port + 100 of the node's address.
            listen(announced.getPort() + 100, 'F');
            // As Satchel's answer port does, on + 200.
            listen(announced.getPort() + 200, 'S');
            long start = System.nanoTime();
            assertThat(firstByte(announced)).isEqualTo('C');
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(delay);
            assertThat(firstByte(new InetSocketAddress(announced.getAddress(), announced.getPort() + 100)))
                    .isEqualTo('F');
            assertThat(firstByte(new InetSocketAddress(announced.getAddress(), announced.getPort() + 200)))
                    .isEqualTo('S');
            held.connect(announced, 2000);
            held.setSoTimeout(5000);
            assertThat(held.getInputStream().read()).isEqualTo('C');
            route.close();
            // A relayed connection ends with the route. (Not "a new connection is refused", nor
            // "the port can be bound again": after the close the port is anyone's, and its closed
            // connections linger in the kernel; CI saw both fail.)
            assertThat(endOf(held)).isTrue();
        }
    }

    /** Whether the other side ended the connection: end of stream, or a reset. */
    private static boolean endOf(Socket s) {
        try {
            return s.getInputStream().read() == -1;
        } catch (java.net.SocketTimeoutException stillOpen) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    @Test
    void relaysOnTheNodesOwnAddress_areRefused() throws IOException {
        ServerSocket cluster = listen(0, 'C');
        try (DelayedClusterRoute route = new DelayedClusterRoute("127.0.0.1", Duration.ofMillis(1))) {
            assertThatThrownBy(() -> route.announce((InetSocketAddress) cluster.getLocalSocketAddress()))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("an address of their own");
        }
    }

    @Test
    void noDelayIsNoRoute() {
        assertThatThrownBy(() -> new DelayedClusterRoute("127.0.0.1", Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
