package dev.satchel.cluster;

import dev.satchel.core.SessionId;
import dev.satchel.core.placement.Rendezvous;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which nodes hold a primary-backup session: the first {@code copies} of a view by rendezvous
 * ranking of the session id over the members' names, the owner first. The same ranking as the
 * balancer's {@code session-hash} policy, so a routed request lands on the owner. Pure: given a
 * view, the answer depends on nothing else.
 */
final class ReplicaSet {
    private final int copies;

    /** @param copies the owner and its backups: {@code 1 + backups} */
    ReplicaSet(int copies) {
        if (copies < 1) {
            throw new IllegalArgumentException("a session needs at least one copy: " + copies);
        }
        this.copies = copies;
    }

    /** The session's replicas among {@code members}, the owner first. */
    <A> List<A> of(SessionId id, List<A> members) {
        Map<String, A> byName = new HashMap<>();
        for (A a : members) {
            byName.put(a.toString(), a);
        }
        return Rendezvous.top(id.value(), byName.keySet(), copies).stream()
                .map(byName::get)
                .toList();
    }

    /** Whether {@code node} is one of the session's replicas among {@code members}. */
    <A> boolean isReplica(SessionId id, List<A> members, A node) {
        return of(id, members).contains(node);
    }

    /** Whether {@code node} is the session's owner among {@code members}. */
    <A> boolean isOwner(SessionId id, List<A> members, A node) {
        List<A> replicas = of(id, members);
        return !replicas.isEmpty() && replicas.get(0).equals(node);
    }

    /**
     * Where {@code self} sends its copy of a session after the view changed from {@code before} to
     * {@code after}: the replicas in {@code after} that were not replicas in {@code before} and do
     * not pull it themselves (joiners do), or, after a merge, every replica (either side may have
     * missed the other's saves); never itself.
     */
    <A> List<A> newReplicas(SessionId id, List<A> before, List<A> after, Collection<A> pulling, boolean merge, A self) {
        List<A> targets = new ArrayList<>(of(id, after));
        if (!merge) {
            targets.removeAll(of(id, before));
            targets.removeAll(pulling);
        }
        targets.remove(self);
        return targets;
    }
}
