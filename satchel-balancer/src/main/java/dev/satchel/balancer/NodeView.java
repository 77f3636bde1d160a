package dev.satchel.balancer;

/**
 * A node as the admin API shows it.
 *
 * @param name the node's name
 * @param address {@code host:port}
 * @param state up, down or draining
 * @param requests responses it returned through the balancer
 * @param active requests in flight to it now
 * @param redispatches requests that could not be served by it and went to another node
 * @param failures passive failures seen: connect errors, timeouts, malformed answers (and 5xx
 *     answers if observed)
 */
public record NodeView(
        String name, String address, NodeState state, long requests, int active, long redispatches, long failures) {

    static NodeView of(Node n) {
        return new NodeView(
                n.name(),
                n.address.authority(),
                n.state(),
                n.requests.sum(),
                n.active.get(),
                n.redispatches.sum(),
                n.failures.sum());
    }
}
