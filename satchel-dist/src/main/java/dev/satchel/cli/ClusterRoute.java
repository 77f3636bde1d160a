package dev.satchel.cli;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * How a cluster store's nodes reach each other's cluster port: directly, or through something in
 * between (the lab's delaying relays). Failure detection listens on the cluster port + 100 and the
 * answer port on + 200, and whatever stands in front of a node must forward those ports too, since
 * each node works out the others' from the cluster port it was given.
 */
@FunctionalInterface
interface ClusterRoute {
    /** Nodes reach each other at the addresses they listen on. */
    ClusterRoute DIRECT = listening -> listening;

    /**
     * Where the other nodes should connect to reach the node whose cluster port listens at {@code
     * listening}; {@code listening} itself when nothing stands between them.
     */
    InetSocketAddress announce(InetSocketAddress listening) throws IOException;
}
