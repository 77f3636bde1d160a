package dev.satchel.balancer;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** The current set of nodes. Reads are lock-free (copy on write); changes are rare. Thread-safe. */
final class NodeRegistry {
    private final BalancerConfig config;
    private final Clock clock;
    private final CopyOnWriteArrayList<Node> nodes = new CopyOnWriteArrayList<>();

    NodeRegistry(BalancerConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        config.nodes.forEach(this::add);
    }

    List<Node> all() {
        return nodes;
    }

    Optional<Node> find(String name) {
        for (Node n : nodes) {
            if (n.name().equals(name)) {
                return Optional.of(n);
            }
        }
        return Optional.empty();
    }

    /**
     * Adds a node.
     *
     * @throws IllegalStateException if a node of that name exists
     */
    synchronized Node add(NodeAddress address) {
        if (find(address.name()).isPresent()) {
            throw new IllegalStateException("a node named " + address.name() + " already exists");
        }
        Node node = new Node(
                address, clock, config.drainDeadline, config.passiveFailures, config.healthRise, config.healthFall);
        nodes.add(node);
        return node;
    }

    synchronized boolean remove(String name) {
        return nodes.removeIf(n -> n.name().equals(name));
    }

    List<String> names() {
        List<String> names = new ArrayList<>(nodes.size());
        nodes.forEach(n -> names.add(n.name()));
        return names;
    }
}
