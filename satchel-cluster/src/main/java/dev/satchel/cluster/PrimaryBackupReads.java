package dev.satchel.cluster;

import static dev.satchel.cluster.PrimaryBackupWire.GET;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.memory.MemorySessionStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.blocks.RequestOptions;
import org.jgroups.blocks.ResponseMode;
import org.jgroups.util.Rsp;
import org.jgroups.util.RspList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads on a primary-backup node: local on a replica; from the replicas, owner first, on any other
 * node (a counted hop); and, on a replica missing a session just after a view change, from every
 * node, keeping the newest copy, since its own may still be on the way.
 */
final class PrimaryBackupReads {
    private static final Logger LOG = LoggerFactory.getLogger(PrimaryBackupReads.class);
    /** How long after a view change a replica missing a session asks the others for it. */
    private static final Duration HANDOVER_WINDOW = Duration.ofSeconds(60);
    /** The longest pause between two rounds of asking replicas that refused. */
    private static final long MAX_PAUSE_MILLIS = 20;

    private final VersionedCopies copies;
    private final SaveDoubts doubts;
    private final MemorySessionStore local;
    private final ReplicaSet replicaSet;
    private final Supplier<CurrentView> view;
    private final Duration timeout;
    private final LongAdder remoteReads = new LongAdder();
    private volatile long lastViewChange = System.nanoTime();
    private final ClusterChannel cluster;

    PrimaryBackupReads(
            VersionedCopies copies,
            SaveDoubts doubts,
            ClusterChannel cluster,
            ReplicaSet replicaSet,
            Supplier<CurrentView> view,
            Duration timeout) {
        this.copies = copies;
        this.doubts = doubts;
        this.cluster = cluster;
        this.local = copies.local();
        this.replicaSet = replicaSet;
        this.view = view;
        this.timeout = timeout;
    }

    void viewChanged() {
        lastViewChange = System.nanoTime();
    }

    /** Reads this node had to fetch from another node. */
    long remoteReads() {
        return remoteReads.sum();
    }

    /**
     * A session as the cluster holds it: this node's copy when it is a replica; otherwise the
     * replicas' answer, owner first.
     */
    Optional<SessionRecord> load(SessionId id) {
        List<Address> replicas = replicaSet.of(id, view.get().members());
        if (replicas.contains(cluster.self())) {
            Optional<SessionRecord> here = doubts.read(id, () -> local.load(id));
            if (here.isPresent()) {
                return here;
            }
            // A replica without the session: there is none, unless the view changed moments ago and
            // its copy is still on the way; then it asks the others and keeps what they have.
            return System.nanoTime() - lastViewChange < HANDOVER_WINDOW.toNanos() ? pullOnMiss(id) : Optional.empty();
        }
        // Not a replica: a copy held here is one the rebalance has not handed over yet, and may
        // miss saves made since; the replicas decide, and this copy serves only if none has one.
        Optional<SessionRecord> here = local.load(id);
        remoteReads.increment();
        long deadline = System.nanoTime() + timeout.toNanos();
        for (long pauseMillis = 1; ; pauseMillis = Math.min(pauseMillis * 2, MAX_PAUSE_MILLIS)) {
            Optional<Optional<SessionRecord>> answer = askReplicas(id, replicas, here, deadline);
            replicas = replicaSet.of(id, view.get().members()); // for the next round: the view may change
            if (answer.isPresent()) {
                return answer.get();
            }
            // Every replica refused or was silent. A refusal is brief as a rule: a save of the
            // session still waiting for the other replica (both replicas saving at once under
            // load), a joiner's gate, a merge catching up; so the read asks again until the
            // timeout rather than fail at the first (seen in CI: owner and backup each had a save
            // in flight, and a cart read failed at once).
            long leftMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (leftMillis <= 0) {
                break;
            }
            pause(Math.min(pauseMillis, leftMillis));
        }
        if (here.isPresent()) {
            return here;
        }
        throw new SessionStoreUnavailableException("no replica of the session answered within " + timeout, null);
    }

    /**
     * One round of asking the replicas, owner first, each within what is left of the deadline: the
     * first copy one holds (empty for a tombstone: ended); {@code here} if they answered but hold
     * none; empty if none answered.
     */
    private Optional<Optional<SessionRecord>> askReplicas(
            SessionId id, List<Address> replicas, Optional<SessionRecord> here, long deadline) {
        boolean answered = false;
        // The owner first; a backup if the owner is gone or has not received its copy yet.
        for (Address replica : replicas) {
            long leftMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (leftMillis <= 0) {
                break;
            }
            try {
                byte[] answer = cluster.dispatcher()
                        .sendMessage(
                                new BytesMessage(replica, PrimaryBackupWire.about(GET, id)),
                                RequestOptions.SYNC().timeout(leftMillis));
                answered = true;
                Optional<Copy> copy = CopyWire.readAnswer(answer);
                if (copy.isPresent()) {
                    return Optional.of(copy.get().record()); // empty for a tombstone: ended
                }
            } catch (Exception e) {
                LOG.debug("{} did not answer a read: {}", replica, e.getMessage());
                cluster.noteIfExcluded(e);
            }
        }
        return answered ? Optional.of(here) : Optional.empty();
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SessionStoreUnavailableException("interrupted while asking the replicas again", e);
        }
    }

    private Optional<SessionRecord> pullOnMiss(SessionId id) {
        List<Address> others = new ArrayList<>(view.get().members());
        others.remove(cluster.self());
        if (others.isEmpty()) {
            return Optional.empty();
        }
        try {
            RspList<byte[]> answers = cluster.dispatcher()
                    .castMessage(
                            others,
                            new BytesMessage(null, PrimaryBackupWire.about(GET, id)),
                            new RequestOptions(ResponseMode.GET_ALL, timeout.toMillis()).anycasting(true));
            boolean found = false;
            for (Rsp<byte[]> rsp : answers.values()) {
                if (rsp.wasReceived()) {
                    Optional<Copy> copy = CopyWire.readAnswer(rsp.getValue());
                    if (copy.isPresent()) {
                        found |= copies.apply(copy.get()); // the newest of them stays
                    }
                }
            }
            if (found) {
                remoteReads.increment();
            }
            return local.load(id);
        } catch (Exception e) {
            throw new SessionStoreUnavailableException("the cluster did not answer a read: " + e.getMessage(), e);
        }
    }

    /** Every owner's sessions of a principal, each answered once, by its owner. */
    List<SessionRecord> findByPrincipal(String principal) {
        try {
            RspList<byte[]> answers = cluster.dispatcher()
                    .castMessage(
                            null,
                            new BytesMessage(null, PrimaryBackupWire.find(principal)),
                            new RequestOptions(ResponseMode.GET_ALL, timeout.toMillis()));
            Map<SessionId, SessionRecord> found = new HashMap<>();
            for (Rsp<byte[]> rsp : answers.values()) {
                if (rsp.wasReceived() && rsp.getValue() != null) {
                    for (Copy copy : CopyWire.readAll(ClusterChannel.in(rsp.getValue()))) {
                        copy.record().ifPresent(r -> found.putIfAbsent(r.id(), r));
                    }
                }
            }
            return List.copyOf(found.values());
        } catch (Exception e) {
            throw new SessionStoreUnavailableException("the cluster did not answer a search: " + e.getMessage(), e);
        }
    }
}
