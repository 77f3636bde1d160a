package dev.satchel.cluster;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore.SaveOutcome;
import java.io.DataInput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A primary-backup node as one of a session's replicas: how it applies saves and whole copies
 * from other nodes (and its own saves, when it is a replica), including to the copies it handed
 * over lately ({@link Rebalancer#leaving()}), so that a save still on its way after a view change
 * reaches the new replicas; and which copies a joiner's pull gets.
 */
final class PrimaryBackupReplica {
    private final VersionedCopies copies;
    private final ClusterChannel cluster;
    private final ReplicaSet replicaSet;
    private final Rebalancer rebalancer;
    private final Supplier<CurrentView> view;

    PrimaryBackupReplica(
            VersionedCopies copies,
            ClusterChannel cluster,
            ReplicaSet replicaSet,
            Rebalancer rebalancer,
            Supplier<CurrentView> view) {
        this.copies = copies;
        this.cluster = cluster;
        this.replicaSet = replicaSet;
        this.rebalancer = rebalancer;
        this.view = view;
    }

    /**
     * Another node's save, and this node's answer to it. Held while this node is still receiving
     * its sessions; STALE when this node's copy is behind the one it was made on, or when the save
     * was overtaken by a later one from its node ({@link VersionedCopies#overtaken}); passed on to
     * replicas that a save sent in an older view missed; handed over when this node is no longer
     * a replica.
     */
    byte applySave(StampedSave save, org.jgroups.Address from) {
        ChangeSet changes = save.changes();
        Membership membership = cluster.membership();
        long origin = ClusterChannel.origin(from);
        AtomicReference<Optional<SaveOutcome>> outcome = new AtomicReference<>(Optional.empty());
        // Replayed after a join's pull, a held save merges as it always did: the pulled copy
        // was read before the save reached the node that answered (see Membership).
        // The check and the apply under one lock: a save checked between them would slip past.
        if (!membership.applyOrHold(() -> outcome.set(copies.locked(
                changes,
                () -> copies.overtaken(changes, origin, save.stamp())
                        ? Optional.empty()
                        : applyHere(changes, save.stamp(), membership.gateOpen() ? save.base() : 0))))) {
            return PrimaryBackupWire.HELD;
        }
        if (outcome.get().isEmpty()) {
            return PrimaryBackupWire.STALE;
        }
        SaveOutcome applied = outcome.get().get();
        if (applied != SaveOutcome.GONE && membership.isOlderThanCurrent(save.sentIn())) {
            rebalancer.passOnAfterViewChange(changes.id(), save.sentIn());
        }
        if (!membership.isNewerThanCurrent(save.sentIn())) {
            rebalancer.handOverIfNotReplica(changes.id());
        }
        return PrimaryBackupWire.saveAnswer(applied, copies.buried(changes.id()));
    }

    /** Whole copies from another node (a view change, a merge, a pass-on), after their kind. */
    void applyCopies(DataInput in, org.jgroups.Address from) throws IOException {
        applyCopies(in, true, from);
    }

    /**
     * As above; {@code afterMerge} false for copies sent again to repair a failed save, which must
     * not keep this node counting as still merging (the repair runs every half second while any
     * session is in doubt, and held every node "not ready" in the lab).
     */
    void applyCopies(DataInput in, boolean afterMerge, org.jgroups.Address from) throws IOException {
        long origin = ClusterChannel.origin(from);
        long sentIn = ChangeSetWire.readVarLong(in);
        CurrentView v = view.get();
        boolean judge =
                !cluster.membership().isNewerThanCurrent(sentIn) && !v.members().isEmpty();
        for (Copy copy : CopyWire.readAll(in)) {
            if (copies.plausible(copy.stamp())) {
                applyCopy(copy, judge && !replicaSet.isReplica(copy.id(), v.members(), cluster.self()), origin);
            }
        }
        if (afterMerge) {
            cluster.mergeWatch().copiesArrived();
        }
    }

    /**
     * A save, applied to this node's copy; or, when this node handed its copy over on a view change
     * moments ago, to that copy, so it can still be passed on.
     */
    SaveOutcome applyHere(ChangeSet changes, long stamp) {
        return applyHere(changes, stamp, 0).orElseThrow();
    }

    /** As above, for another node's save made on a copy stamped {@code base}; empty if behind it. */
    private Optional<SaveOutcome> applyHere(ChangeSet changes, long stamp, long base) {
        Map<SessionId, Copy> leaving = rebalancer.leaving();
        return copies.locked(changes, () -> {
            Optional<SaveOutcome> outcome = copies.applyIfCurrent(changes, stamp, base);
            if (changes.invalidated()) {
                boolean handedOver = leaving.remove(changes.id()) != null;
                return Optional.of(handedOver ? SaveOutcome.INVALIDATED : outcome.orElseThrow());
            }
            if (outcome.isPresent()
                    && outcome.get() == SaveOutcome.GONE
                    && changes.previousId().isEmpty()
                    && !copies.buried(changes.id())) {
                Copy updated = leaving.computeIfPresent(
                        changes.id(),
                        (id, copy) -> Copy.live(
                                copy.record().orElseThrow().apply(changes), Math.max(copy.stamp() + 1, stamp)));
                return Optional.of(updated == null ? SaveOutcome.GONE : SaveOutcome.UPDATED);
            }
            if (outcome.isEmpty() && leaving.containsKey(changes.id())) {
                return applyHere(changes, stamp, 0); // behind, but handed over: the kept copy takes it
            }
            return outcome;
        });
    }

    /**
     * A whole copy from another node. A node that is not one of the session's replicas keeps no
     * copy of it (one it kept would be served, and miss the saves that go to the replicas), unless
     * it is holding the session's handed-over copy a while, which then takes the newer one.
     */
    private void applyCopy(Copy copy, boolean notAReplica, long origin) {
        Map<SessionId, Copy> leaving = rebalancer.leaving();
        if (copy.isTombstone()) {
            copies.locked(copy.id(), () -> {
                copies.apply(copy);
                return leaving.remove(copy.id());
            });
            return;
        }
        if (!notAReplica) {
            copies.apply(copy, origin);
            return;
        }
        leaving.computeIfPresent(copy.id(), (id, held) -> copy.stamp() > held.stamp() ? copy : held);
    }

    /** This node's copy or tombstone of a session, or the copy it handed over lately. */
    Optional<Copy> copyOf(SessionId id) {
        return copies.copyOf(id)
                .or(() -> Optional.ofNullable(rebalancer.leaving().get(id)));
    }

    /** Ends the session here and returns it as it was (the source of a rename). */
    Optional<SessionRecord> take(SessionId id) {
        Optional<SessionRecord> held = copies.take(id);
        return held.isPresent()
                ? held
                : Optional.ofNullable(rebalancer.leaving().remove(id)).flatMap(Copy::record);
    }

    /** The joiner's sessions, ranked by the joiner's view: held copies, handed-over ones, tombstones. */
    List<Copy> joinersSessions(JoinPull.Ask ask) {
        Predicate<SessionId> theirs =
                id -> ask.page().holds(id) && replicaSet.isReplica(id, ask.joinersView(), ask.joiner());
        List<Copy> answer = new ArrayList<>(copies.copies(theirs));
        for (Copy handedOver : rebalancer.leaving().values()) {
            if (theirs.test(handedOver.id())) {
                answer.add(handedOver);
            }
        }
        return answer;
    }
}
