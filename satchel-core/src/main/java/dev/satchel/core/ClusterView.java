package dev.satchel.core;

import java.util.List;
import java.util.Objects;

/**
 * The membership a clustered store's node is in now, for health output: nodes that agree on
 * {@code id} see the same members.
 *
 * @param id the view's id, as {@code creator|number} ({@code node-1|3}); it changes with every view
 * @param members the nodes' names, oldest first, this node included
 */
public record ClusterView(String id, List<String> members) {

    /** Validates the view and copies its members. */
    public ClusterView {
        Objects.requireNonNull(id, "id");
        members = List.copyOf(members);
    }
}
