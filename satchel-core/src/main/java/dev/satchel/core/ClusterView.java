package dev.satchel.core;

import java.util.List;
import java.util.Objects;

/**
 * The membership a clustered store's node is in now, for health output: nodes that agree on
 * {@code id} see the same members.
 *
 * @param id the view's id, as {@code creator|number} ({@code node-1|3}); it changes with every view
 * @param members the nodes' names, oldest first, this node included
 * @param ready whether this node should take requests: it holds its sessions, its view holds at
 *     least half of the nodes it was told of, and it is not still exchanging copies after a
 *     partition healed. A node cut off from most of the cluster, or back from a partition but not
 *     yet merged, answers "not ready", so a balancer sends its users elsewhere.
 */
public record ClusterView(String id, List<String> members, boolean ready) {

    /** Validates the view and copies its members. */
    public ClusterView {
        Objects.requireNonNull(id, "id");
        members = List.copyOf(members);
    }
}
