package dev.satchel.cli;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The lab's added delay between the nodes of a cluster store (this kernel has no {@code netem}):
 * for each node, three {@link TcpRelay}s in the lab in front of its cluster port, its failure
 * detection and its answer port, each holding every byte for the delay each way. The node announces the first
 * relay's address, so every other node's connections to it pass through the relays, and every
 * message between two nodes is held once on its way. Closed after the nodes.
 *
 * <p>JGroups' failure detection (FD_SOCK2) takes its port from the announced one: a node that
 * announces port P listens for it on P + 100 of its own address, and its peers connect to P + 100
 * of the announced address. So the second relay listens on P + 100 and forwards to P + 100 of the
 * node, which is why the relays need an address of their own. (They forwarded to the cluster port
 * + 100 at first, where nothing listened: every node's failure detection failed to connect, the
 * nodes suspected each other as soon as three were in a view, and the replicated store's joins
 * failed.) The answer port, on which the answers to synchronous saves travel, follows the same
 * rule at P + 200.
 */
final class DelayedClusterRoute implements ClusterRoute, AutoCloseable {
    /** Tries for a free port whose + 100 and + 200 are free too before giving up. */
    private static final int ATTEMPTS = 20;

    /** Where failure detection and the answer port are, from the announced cluster port. */
    private static final List<Integer> OFFSETS = List.of(100, 200);

    private final String bindAddress;
    private final Duration delay;
    private final List<TcpRelay> relays = new ArrayList<>();

    /** Relays on {@code bindAddress} (an address every node reaches), each holding {@code delay}. */
    DelayedClusterRoute(String bindAddress, Duration delay) {
        if (delay.isNegative() || delay.isZero()) {
            throw new IllegalArgumentException("a delayed route needs a delay above zero, got " + delay);
        }
        this.bindAddress = bindAddress;
        this.delay = delay;
    }

    @Override
    public synchronized InetSocketAddress announce(InetSocketAddress listening) throws IOException {
        if (listening.getAddress().equals(InetAddress.getByName(bindAddress))) {
            throw new IOException("the relays need an address of their own: the node at " + listening
                    + " listens for failure detection on the same port number as its relay");
        }
        BindException last = new BindException("no port");
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            TcpRelay cluster = TcpRelay.start(bindAddress, listening, delay);
            int port = cluster.address().getPort();
            List<TcpRelay> started = new ArrayList<>(List.of(cluster));
            try {
                for (int offset : OFFSETS) {
                    if (port + offset > 65_535) {
                        throw new BindException("port " + (port + offset) + " is out of range");
                    }
                    InetSocketAddress node = new InetSocketAddress(listening.getAddress(), port + offset);
                    started.add(TcpRelay.start(bindAddress, port + offset, node, delay));
                }
                relays.addAll(started);
                return cluster.address();
            } catch (BindException e) {
                started.forEach(TcpRelay::close);
                last = e;
            }
        }
        throw new IOException(
                "found no free port on " + bindAddress + " whose port + 100 and + 200 were free too, for a relay to "
                        + listening,
                last);
    }

    /** The delay each relay holds each way. */
    Duration delay() {
        return delay;
    }

    @Override
    public synchronized void close() {
        relays.forEach(TcpRelay::close);
        relays.clear();
    }
}
