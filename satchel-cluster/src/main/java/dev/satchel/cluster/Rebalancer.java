package dev.satchel.cluster;

import dev.satchel.core.SessionEvent;
import dev.satchel.core.SessionId;
import dev.satchel.core.support.DaemonThreads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.MergeView;
import org.jgroups.View;
import org.jgroups.blocks.RequestOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a primary-backup node sends of its own accord, all on one thread: copies for the new
 * replicas after a view change (every copy to its replicas after a merge), the hand-over of the
 * sessions it no longer ranks for, sessions passed on after a save that arrived late, and the
 * news of expiries. A copy sent later was read later, so the last copy a node receives from this
 * one is this one's newest; and no copy waits behind a slow node's acknowledgement.
 *
 * <p>It also keeps, a while, the copies this node handed over ({@link #leaving()}): a save sent to
 * it in the older view may still arrive and must reach the new replicas, and a joiner that pulls
 * after the hand-over must still find them.
 */
final class Rebalancer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Rebalancer.class);
    /** How long a handed-over copy is kept for saves sent before the view change. */
    private static final Duration LEAVING_KEPT = Duration.ofSeconds(30);

    private final ScheduledExecutorService thread =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("satchel-rebalance"));
    private final Map<SessionId, Copy> leaving = new ConcurrentHashMap<>();
    private final LongAdder moved = new LongAdder();
    private final VersionedCopies copies;
    private final ClusterChannel cluster;
    private final ReplicaSet replicaSet;
    private final Supplier<CurrentView> view;

    Rebalancer(VersionedCopies copies, ClusterChannel cluster, ReplicaSet replicaSet, Supplier<CurrentView> view) {
        this.copies = copies;
        this.cluster = cluster;
        this.replicaSet = replicaSet;
        this.view = view;
    }

    /** Copies handed over lately, by session: taken by saves, pulls, reads and renames. */
    Map<SessionId, Copy> leaving() {
        return leaving;
    }

    /** Sessions sent to new replicas on view changes, since start. */
    long moved() {
        return moved.sum();
    }

    /**
     * A view replaced {@code before}. Nodes that joined pull their sessions themselves, behind
     * their gate. After a merge nobody pulls: every node sends every copy to its replicas, and the
     * newest wins.
     */
    void viewChanged(List<Address> before, View installed) {
        if (before.isEmpty() || thread.isShutdown()) { // the first view, or one installed while closing
            return;
        }
        List<Address> after = List.copyOf(installed.getMembers());
        boolean merge = installed instanceof MergeView;
        Set<Address> pulling = new HashSet<>(after);
        before.forEach(pulling::remove);
        if (merge) {
            pulling.clear();
            cluster.mergeWatch().merged();
        }
        execute(() -> {
            rebalance(before, after, pulling, merge);
            if (merge) {
                cluster.mergeWatch().sent();
            }
        });
    }

    /**
     * A save reached this node although it is not one of the session's replicas in its view (sent
     * in an older one): the replicas get this node's copy, and this node keeps it only as handed
     * over, so it is never served as the truth.
     */
    void handOverIfNotReplica(SessionId id) {
        CurrentView v = view.get();
        if (v.members().isEmpty()
                || replicaSet.isReplica(id, v.members(), cluster.self())
                || copies.load(id).isEmpty()) {
            return;
        }
        execute(() -> {
            List<Address> targets = replicaSet.of(id, view.get().members());
            copies.handOver(id, copy -> {
                leaving.put(id, copy);
                send(targets, List.of(copy));
            });
            thread.schedule(() -> leaving.remove(id), LEAVING_KEPT.toMillis(), TimeUnit.MILLISECONDS);
        });
    }

    /**
     * A save sent in an older view went to the replicas of that view. Replicas of the current view
     * that were not among them (a node that joined, or one that moved up when another left) get
     * this node's copy, as it is now that the save is in.
     */
    void passOnAfterViewChange(SessionId id, long sentIn) {
        List<Address> missed = new ArrayList<>(replicaSet.of(id, view.get().members()));
        cluster.membership().membersOf(sentIn).ifPresent(then -> missed.removeAll(replicaSet.of(id, then)));
        missed.remove(cluster.self());
        if (!missed.isEmpty()) {
            execute(() -> passOn(id, missed));
        }
    }

    /**
     * Tells every node that a session expired on its owner, off the caller's thread: an expiry
     * found by a read can fire under a session's lock, on a cluster reader thread, which must not
     * wait on a send.
     */
    void announceExpiry(SessionEvent event) {
        execute(() -> {
            try {
                cluster.dispatcher()
                        .castMessage(
                                null, new BytesMessage(null, PrimaryBackupWire.expired(event)), RequestOptions.ASYNC());
            } catch (Exception e) {
                LOG.warn("could not announce the expiry of {}: {}", event.id(), e.getMessage());
            }
        });
    }

    @Override
    public void close() {
        thread.shutdownNow();
    }

    private void execute(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException closing) {
            LOG.debug("closing: background work dropped");
        }
    }

    /** Sends this node's copy of a session as it is now (or its tombstone) to the targets. */
    private void passOn(SessionId id, List<Address> targets) {
        copies.copyOf(id)
                .or(() -> Optional.ofNullable(leaving.get(id)))
                .ifPresent(copy -> send(targets, List.of(copy)));
        LOG.debug("passed session {} on to {} new replicas", id, targets.size());
    }

    /**
     * Sends copies without waiting for an answer, from this thread only. With JGroups'
     * retransmission (no NO_RELIABILITY): nobody waits on these, so a connection replaced during a
     * merge or join must not drop them unseen; UNICAST3 also keeps them in order. Arriving after a
     * newer save is safe: the receiver keeps a copy only if its stamp is newer than its own.
     */
    private void send(List<Address> targets, List<Copy> batch) {
        try {
            cluster.dispatcher()
                    .castMessage(
                            targets,
                            new BytesMessage(
                                    null, PrimaryBackupWire.copies(view.get().id(), batch)),
                            RequestOptions.ASYNC().anycasting(true));
        } catch (Exception e) {
            LOG.warn("could not send {} session copies to {}: {}", batch.size(), targets, e.getMessage());
        }
    }

    /**
     * After a view change: sends each held session (and tombstone) to the nodes that now rank
     * among its replicas and did not before, or after a merge to all of its replicas; then hands
     * over those this node no longer ranks for.
     */
    private void rebalance(List<Address> before, List<Address> after, Collection<Address> pulling, boolean merge) {
        Address self = cluster.self();
        Map<List<Address>, List<Copy>> outgoing = new HashMap<>();
        List<SessionId> handedOver = new ArrayList<>();
        int sent = 0;
        for (Copy copy : copies.copies(id -> true)) {
            SessionId id = copy.id();
            List<Address> targets = replicaSet.newReplicas(id, before, after, pulling, merge, self);
            if (!targets.isEmpty()) {
                List<Copy> batch = outgoing.computeIfAbsent(targets, t -> new ArrayList<>());
                batch.add(copy);
                sent++;
                if (batch.size() >= CopyWire.BATCH) {
                    send(targets, List.copyOf(batch));
                    batch.clear();
                }
            }
            if (!copy.isTombstone() && !replicaSet.isReplica(id, after, self)) {
                handedOver.add(id);
            }
        }
        outgoing.forEach((targets, batch) -> {
            if (!batch.isEmpty()) {
                send(targets, batch);
            }
        });
        for (SessionId id : handedOver) {
            // Read again, under the lock it is dropped in: a save may have landed since the walk,
            // and the joiners' pulls and late saves find the copy here.
            copies.handOver(id, copy -> leaving.put(id, copy));
        }
        if (!handedOver.isEmpty()) {
            thread.schedule(() -> handedOver.forEach(leaving::remove), LEAVING_KEPT.toMillis(), TimeUnit.MILLISECONDS);
        }
        moved.add(sent);
        LOG.info(
                "view change{}: sent {} copies to their replicas, handed over {}",
                merge ? " (merge)" : "",
                sent,
                handedOver.size());
    }
}
