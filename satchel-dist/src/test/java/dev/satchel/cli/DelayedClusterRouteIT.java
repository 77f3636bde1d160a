package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.testkit.Await;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jgroups.JChannel;
import org.jgroups.View;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TCPPING;
import org.junit.jupiter.api.Test;

/**
 * Three JGroups channels on Satchel's own stack ({@code tcp.xml}), each announcing its relay as
 * the lab does for {@code --delay} between the nodes: the view forms, every node's failure
 * detection connects to its neighbour through the relays, and nobody is suspected. Before, the
 * failure-detection relay forwarded to the cluster port + 100 while JGroups listened on the
 * announced port + 100: no failure detection ever connected, a node was suspected as soon as
 * three were in a view, and the lab's replicated nodes failed to join.
 */
class DelayedClusterRouteIT {

    @Test
    void nodesBehindTheRelays_formOneViewAndWatchEachOther() throws Exception {
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        List<JChannel> channels = new ArrayList<>();
        try (DelayedClusterRoute route = new DelayedClusterRoute("127.0.0.2", Duration.ofMillis(5))) {
            List<Integer> ports = new ArrayList<>();
            List<InetSocketAddress> announced = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int port = freePort();
                ports.add(port);
                announced.add(route.announce(new InetSocketAddress(loopback, port)));
            }
            for (int i = 0; i < 3; i++) {
                JChannel channel = new JChannel("dev/satchel/cluster/tcp.xml").name("node-" + (i + 1));
                TCP tcp = channel.getProtocolStack().findProtocol(TCP.class);
                tcp.setValue("bind_addr", loopback);
                tcp.setValue("bind_port", ports.get(i));
                tcp.setValue("external_addr", announced.get(i).getAddress());
                tcp.setValue("external_port", announced.get(i).getPort());
                channel.getProtocolStack().<TCPPING>findProtocol(TCPPING.class).setInitialHosts(announced);
                channel.getProtocolStack()
                        .<FD_SOCK2>findProtocol(FD_SOCK2.class)
                        .setBindAddress(loopback);
                channels.add(channel);
            }
            for (JChannel channel : channels) {
                channel.connect("satchel-relay-it");
            }
            for (JChannel channel : channels) {
                Await.until(
                        Duration.ofSeconds(20),
                        () -> channel.getView().size(),
                        size -> size == 3,
                        channel.getName() + " to see all three");
            }
            for (JChannel channel : channels) {
                FD_SOCK2 fd = channel.getProtocolStack().findProtocol(FD_SOCK2.class);
                Await.until(
                        Duration.ofSeconds(10),
                        fd::getClientState,
                        "CONNECTED"::equals,
                        channel.getName() + "'s failure detection to reach its neighbour through the relays");
            }
            View settled = channels.get(0).getView();
            Thread.sleep(3000); // a failed failure detection suspects within a second
            for (JChannel channel : channels) {
                assertThat(channel.getView().getViewId().toString())
                        .as(channel.getName() + ": nobody suspected")
                        .isEqualTo(settled.getViewId().toString());
            }
        } finally {
            for (JChannel channel : channels) {
                channel.close();
            }
        }
    }

    private static int next = 20000 + (int) (ProcessHandle.current().pid() % 9000);

    /**
     * A free port below the kernel's ephemeral range: a port the kernel handed out and took back
     * can be taken again by the next outgoing connection (the first channels' connections to the
     * relays took a later channel's port in CI).
     */
    private static int freePort() {
        for (int tries = 0; tries < 2000; tries++) {
            int port = next;
            next = next >= 31000 ? 20000 : next + 7;
            try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
                return port;
            } catch (Exception taken) {
                // the next one
            }
        }
        throw new IllegalStateException("no free port between 20000 and 31000");
    }
}
