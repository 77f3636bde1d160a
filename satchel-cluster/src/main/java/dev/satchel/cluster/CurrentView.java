package dev.satchel.cluster;

import java.util.List;
import org.jgroups.Address;

/**
 * A primary-backup node's view: its id and members, set together, so a save's targets and its
 * view stamp always match.
 */
record CurrentView(long id, List<Address> members) {
    CurrentView {
        members = List.copyOf(members);
    }

    static final CurrentView NONE = new CurrentView(0, List.of());
}
