// Over 500 lines since conditional saves (issue 13): the store is already split by job (see the
// class comment); what stays is one save path under the session's lock (plain, conditional, rename)
// and the handler of the other nodes' requests, which share that lock and the view.
package dev.satchel.cluster;

import static dev.satchel.cluster.PrimaryBackupWire.COPIES;
import static dev.satchel.cluster.PrimaryBackupWire.DECIDE;
import static dev.satchel.cluster.PrimaryBackupWire.EXPIRED;
import static dev.satchel.cluster.PrimaryBackupWire.FETCH;
import static dev.satchel.cluster.PrimaryBackupWire.FIND;
import static dev.satchel.cluster.PrimaryBackupWire.GET;
import static dev.satchel.cluster.PrimaryBackupWire.HELD;
import static dev.satchel.cluster.PrimaryBackupWire.REFUSED;
import static dev.satchel.cluster.PrimaryBackupWire.REPAIR;
import static dev.satchel.cluster.PrimaryBackupWire.SAVE;
import static dev.satchel.cluster.PrimaryBackupWire.TAKE;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ClusterView;
import dev.satchel.core.ConditionalSaveStore;
import dev.satchel.core.ObservableSessionStore;
import dev.satchel.core.PrincipalIndexedStore;
import dev.satchel.core.ReportingStore;
import dev.satchel.core.SessionEvent;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionListener;
import dev.satchel.core.SessionListeners;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.memory.MemorySessionStore;
import java.io.DataInputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.View;
import org.jgroups.blocks.RequestOptions;
import org.jgroups.blocks.ResponseMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Session clustering with an owner and backups: the {@code primary-backup} strategy, as Tomcat's
 * BackupManager. Each session lives on {@code 1 + backups} nodes, chosen by rendezvous hashing of
 * its id over the current view ({@link ReplicaSet}): the same ranking as the balancer's {@code
 * session-hash} policy, so a request the balancer routed lands on the owner and reads locally. A
 * request elsewhere fetches from the owner, one counted hop. Memory per node stays flat as nodes
 * are added.
 *
 * <p>When the view changes, each node walks the sessions it holds ({@link Rebalancer}): it sends
 * each one to the nodes that newly rank among its replicas (a dead owner's first backup is the new
 * owner, and re-creates the missing copy), then hands over the ones it no longer ranks for,
 * keeping them a while for saves and pulls still on their way. After a partition heals, every
 * node sends every copy and tombstone to the session's replicas; copies carry stamps ({@link
 * VersionedCopies}), so the newest wins wherever copies meet, whatever order they arrive in, and a
 * deletion is never undone. A joining node pulls its sessions first ({@link JoinPull}).
 *
 * <p>Saves are synchronous by default: a save returns once every replica applied it. With {@link
 * Replication#ASYNC} a save made on a replica returns once applied there. A node's saves of one
 * session reach every replica in the order it applied them. Events: CREATED and DELETED on the
 * node whose request caused them; EXPIRED on every node, announced by the owner when its copy
 * expires (by a read or its sweep).
 *
 * <p><b>Conditional saves</b> ({@link ConditionalSaveStore}: an atomic update of an attribute) are
 * decided by the session's owner: under the session's lock, the same one that stamps, applies and
 * sends every save, it checks its own copy against the expected values; if they hold, the save
 * goes to the backups as any save (without its expectations: the backups take the owner's
 * decision), and otherwise nothing is written anywhere and the answer is CONFLICT. A node that is
 * not the owner forwards the save to it and waits for the outcome ({@link PrimaryBackupWire#DECIDE}).
 * A node that is no longer the owner in its view (a view change in between), or is still receiving
 * its sessions, refuses with nothing applied, and the sender asks once more with its own current
 * view, then gives up ({@link SessionStoreUnavailableException}). A forward that gets no answer is
 * not retried: the owner may have applied it, and a retry would meet that write as a conflict and
 * have the caller apply its change twice. Conditional saves are atomic with respect to each other;
 * a plain save of the same attribute still races them (last writer wins), as plain saves always
 * did. An owner that holds no live copy answers GONE.
 *
 * <p>This class coordinates: it serves reads, saves and renames, and answers the other nodes'
 * requests ({@link PrimaryBackupWire}); the pieces above do the rest.
 */
public final class PrimaryBackupSessionStore
        implements PrincipalIndexedStore, ObservableSessionStore, ReportingStore, ConditionalSaveStore {
    private static final Logger LOG = LoggerFactory.getLogger(PrimaryBackupSessionStore.class);
    /** How often a joiner asks again for a page of its sessions that did not come. */
    private static final int PULL_ATTEMPTS = 3;

    private final VersionedCopies copies;
    private final MemorySessionStore local;
    private final ClusterChannel cluster;
    private final ReplicaSet replicaSet;
    private final Rebalancer rebalancer;
    private final PrimaryBackupReplica replica;
    private final PrimaryBackupReads reads;
    private final Replication mode;
    private final Duration timeout;
    /** Sessions with a save here not yet acknowledged by every replica, which reads must not show. */
    private final SaveDoubts doubts;
    /** Present when saves may go on links: one synchronous save of a session in flight at a time. */
    private final Optional<SaveGate> gate;
    /** The view and its id, set together, so a save's targets and its view stamp always match. */
    private volatile CurrentView view = CurrentView.NONE;

    private final SessionListeners listeners = new SessionListeners();

    private PrimaryBackupSessionStore(Builder b) throws Exception {
        this.replicaSet = new ReplicaSet(1 + b.backups);
        this.mode = b.mode;
        this.timeout = b.timeout;
        this.copies = new VersionedCopies(b.clock, b.maxSessions);
        this.doubts = new SaveDoubts(b.timeout);
        this.local = copies.local();
        this.cluster = new ClusterChannel(b, this::handle, DECIDE, Set.of(SAVE), this::viewAccepted);
        this.gate = cluster.savesOnLinks() ? Optional.of(new SaveGate(b.timeout)) : Optional.empty();
        copies.trackOrigins(cluster.savesOnLinks());
        this.rebalancer = new Rebalancer(copies, cluster, replicaSet, () -> view);
        this.reads = new PrimaryBackupReads(copies, doubts, cluster, replicaSet, () -> view, timeout);
        this.replica = new PrimaryBackupReplica(copies, cluster, replicaSet, rebalancer, () -> view);
        // A session expires on its owner (by read or sweep); the owner tells every node, so each
        // node's listeners hear of it exactly once. Backups' copies expiring are not news.
        local.subscribe(event -> {
            if (event.type() == SessionEvent.Type.EXPIRED && isOwner(event.id())) {
                rebalancer.announceExpiry(event);
            }
        });
        cluster.join(b, this::pullMySessions, otherSide -> pullAfterMerge(), this::close);
        doubts.startRepairs(SaveDoubts.sendingCopies(
                cluster,
                () -> view.members(),
                copies::copyOf,
                part -> PrimaryBackupWire.copies(REPAIR, view.id(), part),
                timeout));
    }

    private void viewAccepted(View installed) {
        List<Address> before = view.members();
        view = new CurrentView(installed.getViewId().getId(), installed.getMembers());
        reads.viewChanged();
        rebalancer.viewChanged(before, installed);
    }

    /**
     * A joining (or restarting) node takes the sessions that now rank to it before it serves any
     * request, so it never answers "no such session" for one it owns but has not received yet. A
     * page no node could answer is asked again, and a join that still misses one fails.
     */
    private void pullMySessions() throws Exception {
        View joined = cluster.channel().getView();
        view = new CurrentView(joined.getViewId().getId(), joined.getMembers());
        if (view.members().size() <= 1) {
            return;
        }
        List<Address> others = new ArrayList<>(view.members());
        others.remove(cluster.self());
        int received = new JoinPull(cluster.dispatcher(), FETCH, timeout, PULL_ATTEMPTS, false)
                .pull(cluster.self(), view.members(), others, copies::apply);
        LOG.info("joined with {} session copies from {} nodes", received, others.size());
    }

    /**
     * Back from the smaller side of a partition, this node takes the sessions that rank to it in
     * the view it now has, as a joiner does, before it serves again. Each copy is kept only if newer
     * than its own, so what this side ended while apart stays ended.
     */
    private void pullAfterMerge() throws Exception {
        CurrentView now = view;
        List<Address> others = new ArrayList<>(now.members());
        others.remove(cluster.self());
        if (others.isEmpty()) {
            return;
        }
        int received = new JoinPull(cluster.dispatcher(), FETCH, timeout, PULL_ATTEMPTS, false)
                .pull(cluster.self(), now.members(), others, PullPage.AFTER_MERGE, copies::apply);
        LOG.info("received {} session copies after the merge, from {} nodes", received, others.size());
    }

    /** Starts a configuration for a cluster named {@code clusterName}. */
    public static Builder builder(String clusterName) {
        return new Builder(clusterName);
    }

    @Override
    public Optional<SessionRecord> load(SessionId id) {
        cluster.requireServing(); // cut off, or back and not caught up: its copies may be behind
        return reads.load(id);
    }

    @Override
    public SaveOutcome save(ChangeSet changes) {
        Objects.requireNonNull(changes, "changes");
        return cluster.takeSave(changes, () -> saveInView(changes));
    }

    /** {@link #save}, once this node may take saves. */
    private SaveOutcome saveInView(ChangeSet changes) {
        if (changes.previousId().isPresent() && !changes.invalidated()) {
            return rename(changes);
        }
        SaveOutcome outcome = changes.expectations().isEmpty() ? replicate(changes, mode) : decide(changes);
        if (outcome == SaveOutcome.CREATED) {
            publish(new SessionEvent(SessionEvent.Type.CREATED, changes.id(), Optional.empty()));
        } else if (outcome == SaveOutcome.INVALIDATED) {
            publish(new SessionEvent(SessionEvent.Type.DELETED, changes.id(), Optional.empty()));
        }
        return outcome;
    }

    /** A conditional save, decided by the session's owner ({@link Decisions}). */
    private SaveOutcome decide(ChangeSet changes) {
        return Decisions.decide(
                () -> {
                    List<Address> replicas = replicaSet.of(changes.id(), view.members());
                    if (replicas.isEmpty()) {
                        throw new SessionStoreUnavailableException("no cluster view yet", null);
                    }
                    return replicas.get(0);
                },
                cluster.self(),
                () -> replicate(changes, mode, true),
                owner -> Decisions.forward(cluster.dispatcher(), owner, PrimaryBackupWire.decide(changes), timeout));
    }

    /**
     * An id change, decided by the old id's owner: it ends the old session and hands back its last
     * state in one step, so of two logins racing on one session only one gets it, and a save to
     * the old id after that is refused (GONE) rather than acknowledged and lost. The renamed
     * session is then created on its own replicas, and the old id's other copies are ended.
     */
    private SaveOutcome rename(ChangeSet changes) {
        SessionId previous = changes.previousId().orElseThrow();
        List<Address> oldReplicas = replicaSet.of(previous, view.members());
        if (oldReplicas.isEmpty()) {
            throw new SessionStoreUnavailableException("no cluster view yet", null);
        }
        Optional<SessionRecord> taken = oldReplicas.get(0).equals(cluster.self())
                ? replica.take(previous)
                : takeFrom(oldReplicas.get(0), previous);
        if (taken.isEmpty()) {
            return SaveOutcome.GONE;
        }
        // The old id's end goes first: from the take on it is over, and a backup must not keep it
        // alive because the creation below failed (it would serve it again if the owner died).
        replicate(invalidation(previous), Replication.SYNC);
        replicate(ChangeSetWire.recreate(taken.get().apply(changes)), Replication.SYNC);
        return SaveOutcome.UPDATED;
    }

    private Optional<SessionRecord> takeFrom(Address owner, SessionId id) {
        try {
            byte[] answer = cluster.dispatcher()
                    .sendMessage(
                            new BytesMessage(owner, PrimaryBackupWire.about(TAKE, id)),
                            RequestOptions.SYNC().timeout(timeout.toMillis()));
            return CopyWire.readAnswer(answer).flatMap(Copy::record);
        } catch (Exception e) {
            throw new SessionStoreUnavailableException(
                    "the session's owner did not answer a rename: " + e.getMessage(), e);
        }
    }

    /**
     * Applies a save on its replicas: here first when this node is one, then on the others. Under
     * the session's lock the save is stamped, applied here and handed to the network, so every
     * replica applies this node's saves of it in one order; the answers are awaited after.
     * Sessions travel without JGroups' retransmission layers ({@code NO_RELIABILITY}): TCP delivers
     * in order between live nodes; {@link Membership} covers the nodes that join mid-save.
     */
    private SaveOutcome replicate(ChangeSet changes, Replication replication) {
        return replicate(changes, replication, false).orElseThrow();
    }

    /**
     * As above; with {@code decide}, this node decides a conditional save as the session's owner.
     * Under the lock, before anything is stamped, it checks that it is the owner in its view (else
     * the answer is empty and nothing was applied) and that its copy holds the expected values
     * (else CONFLICT, or GONE without a copy, and nothing is written anywhere). The save then
     * goes on as any other, without its expectations: the backups take the owner's decision.
     */
    private Optional<SaveOutcome> replicate(ChangeSet conditional, Replication replication, boolean decide) {
        long[] doubt = new long[2]; // the save's number, and 1 once it was handed to the network
        boolean taken = false;
        try (SaveGate.Passage one = gate.map(g -> g.enter(conditional)).orElse(() -> {})) {
            Optional<SaveOutcome> outcome = replicate(conditional, replication, decide, doubt);
            taken = true;
            return outcome;
        } finally {
            doubts.settle(conditional.id(), doubt[0], taken, doubt[1] != 0);
        }
    }

    /** As above; a synchronous save applied here and sent to others gets its number in {@code doubt}. */
    private Optional<SaveOutcome> replicate(
            ChangeSet conditional, Replication replication, boolean decide, long[] doubt) {
        Address self = cluster.self();
        ChangeSet changes = ChangeSetWire.withoutExpectations(conditional);
        SaveOutcome[] here = new SaveOutcome[1];
        SaveOutcome[] decided = new SaveOutcome[1];
        boolean[] notOwner = new boolean[1];
        List<Address> targets = new ArrayList<>();
        PendingSave pending = copies.locked(changes, () -> {
            CurrentView v = view;
            if (decide) {
                if (!replicaSet.isOwner(changes.id(), v.members(), self)) {
                    notOwner[0] = true;
                    return PendingSave.done();
                }
                decided[0] = copies.check(conditional);
                if (decided[0] != SaveOutcome.UPDATED) {
                    return PendingSave.done();
                }
            }
            Set<Address> chosen = new LinkedHashSet<>(replicaSet.of(changes.id(), v.members()));
            changes.previousId().ifPresent(previous -> chosen.addAll(replicaSet.of(previous, v.members())));
            targets.addAll(chosen);
            long base = copies.heldStampOf(changes.id());
            long stamp = copies.stampAfter(base);
            if (chosen.contains(self)) {
                if (replication == Replication.SYNC && chosen.size() > 1) {
                    doubt[0] = doubts.begin(changes.id()); // before the copy changes: reads wait for the answers
                }
                here[0] = replica.applyHere(changes, stamp);
            }
            List<Address> others = new ArrayList<>(chosen);
            others.remove(self);
            doubt[1] = 1;
            return send(
                    others, v.id(), stamp, base, changes, replication == Replication.ASYNC && chosen.contains(self));
        });
        if (notOwner[0]) {
            return Optional.empty();
        }
        if (decided[0] != null && decided[0] != SaveOutcome.UPDATED) {
            return Optional.of(decided[0]);
        }
        Map<Address, Optional<Object>> answers = pending.await();
        repairStale(changes.id(), answers);
        if (here[0] != null && replication == Replication.ASYNC) {
            return Optional.of(here[0]);
        }
        if (!PendingSave.answering(answers, REFUSED).isEmpty()) {
            // A replica that ended the session (a logout, a login's rename) decides; its tombstone
            // wins wherever it goes, so the other replicas end it now rather than keep the copy.
            if (!changes.invalidated()) {
                endRefused(changes.id());
            }
            return Optional.of(SaveOutcome.GONE);
        }
        // The owner's answer decides, unless a replica that has the session says so while the
        // owner's copy is on the way.
        Optional<SaveOutcome> outcome = Optional.empty();
        for (Address target : targets) {
            Optional<SaveOutcome> answer = target.equals(self)
                    ? Optional.ofNullable(here[0])
                    : answers.getOrDefault(target, Optional.empty()).flatMap(v -> PendingSave.outcome(v, HELD));
            if (answer.isPresent() && (outcome.isEmpty() || outcome.get() == SaveOutcome.GONE)) {
                outcome = answer;
            }
        }
        if (here[0] == null && answers.isEmpty()) {
            throw new SessionStoreUnavailableException("no replica of the session answered", null);
        }
        return Optional.of(outcome.orElse(SaveOutcome.UPDATED)); // every replica is still receiving its copies
    }

    /**
     * Replicas whose copy was behind this node's (back from a partition, or new and still waiting
     * for their copy) applied nothing: they get this node's whole copy, read and sent under the
     * session's lock so no later save of this node overtakes it, and the save waits for them.
     */
    private void repairStale(SessionId id, Map<Address, Optional<Object>> answers) {
        List<Address> stale = PendingSave.answering(answers, PrimaryBackupWire.STALE);
        if (stale.isEmpty()) {
            return;
        }
        copies.locked(id, () -> copies.copyOf(id).map(copy -> sendRepair(stale, copy)))
                .ifPresent(PendingSave::await);
    }

    /** A whole copy to replicas whose copy was behind, on the save's path: its wait fails the save. */
    private PendingSave sendRepair(List<Address> targets, Copy copy) {
        try {
            return PendingSave.awaiting(
                    cluster.dispatcher()
                            .castMessageWithFuture(
                                    targets,
                                    new BytesMessage(null, PrimaryBackupWire.copies(view.id(), List.of(copy))),
                                    new RequestOptions(ResponseMode.GET_ALL, timeout.toMillis())
                                            .anycasting(true)
                                            .flags(Message.Flag.NO_RELIABILITY)),
                    timeout,
                    cluster);
        } catch (Exception e) {
            throw new SessionStoreUnavailableException("could not repair a replica's copy: " + e.getMessage(), e);
        }
    }

    private PendingSave send(
            List<Address> others, long viewId, long stamp, long base, ChangeSet changes, boolean async) {
        if (others.isEmpty()) {
            return PendingSave.done();
        }
        byte[] payload = PrimaryBackupWire.save(new StampedSave(viewId, stamp, base, changes));
        if (!async) {
            return PendingSave.send(cluster, others, payload, timeout);
        }
        try {
            cluster.dispatcher()
                    .castMessage(
                            others,
                            new BytesMessage(null, payload),
                            RequestOptions.ASYNC().anycasting(true).flags(Message.Flag.NO_RELIABILITY));
        } catch (Exception e) {
            LOG.warn("could not send a save to the backups of {}: {}", changes.id(), e.getMessage());
        }
        return PendingSave.done();
    }

    @Override
    public boolean delete(SessionId id) {
        if (load(id).isEmpty()) {
            return false;
        }
        boolean deleted = replicate(invalidation(id), Replication.SYNC) == SaveOutcome.INVALIDATED;
        if (deleted) {
            publish(new SessionEvent(SessionEvent.Type.DELETED, id, Optional.empty()));
        }
        return deleted;
    }

    @Override
    public AutoCloseable subscribe(SessionListener listener) {
        return listeners.add(listener);
    }

    private void publish(SessionEvent event) {
        if (!listeners.isEmpty()) {
            listeners.publish(event);
        }
    }

    private boolean isOwner(SessionId id) {
        return replicaSet.isOwner(id, view.members(), cluster.self());
    }

    /** A node still receiving its sessions has no answer yet; "none" would be wrong. */
    private void requireGateOpen() throws IOException {
        if (!cluster.membership().gateOpen()) {
            throw new IOException("this node is still receiving its sessions");
        }
    }

    @Override
    public List<SessionRecord> findByPrincipal(String principal) {
        cluster.requireServing(); // cut off, or back and not caught up: it would miss what it owns now
        return reads.findByPrincipal(principal);
    }

    /** Reclaims expired sessions on this node now (the sweeper does it in the background). */
    public int expireDue() {
        return local.expireDue();
    }

    /** This node's own copy of a session, if it holds one (for tests: no hop, no hand-over pull). */
    Optional<SessionRecord> heldCopy(SessionId id) {
        return local.load(id);
    }

    /** Sessions this node holds, as owner or backup. */
    public int size() {
        return local.size();
    }

    /**
     * This node's counters, in this order: {@code remote_reads} (reads fetched from another node:
     * zero while the balancer routes each session to its owner), {@code sessions_moved} (copies
     * sent to new replicas on view changes), {@code sessions_held} (copies held here, as owner or
     * backup), {@code tombstones} (deletions remembered so no late copy undoes them) and {@code
     * members} (nodes in this node's view).
     */
    @Override
    public Map<String, Long> counters() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("remote_reads", reads.remoteReads());
        counters.put("sessions_moved", rebalancer.moved());
        counters.put("sessions_held", (long) local.size());
        counters.put("tombstones", (long) copies.tombstones());
        counters.put("answers_on_links", cluster.answersOnLinks());
        counters.put("members", (long) view.members().size());
        return Collections.unmodifiableMap(counters);
    }

    /** The channel, for tests that install views of their own (a partition, a merge). */
    JChannel channel() {
        return cluster.channel();
    }

    /** The nodes in the cluster now, this one included. */
    public List<String> members() {
        return view.members().stream().map(Address::toString).toList();
    }

    /** The view JGroups installed on this node: its id and its members, as {@link #members()} names them. */
    public ClusterView view() {
        return cluster.view();
    }

    @Override
    public void close() {
        doubts.close();
        rebalancer.close();
        cluster.close();
        copies.close();
    }

    private Object handle(Message message) throws IOException {
        DataInputStream in = ClusterChannel.in(message);
        byte kind = in.readByte();
        if (kind == SAVE || kind == GET || kind == DECIDE || kind == TAKE) {
            cluster.requireMember(message.getSrc()); // answered across two views, copies would part
        }
        return switch (kind) {
            case SAVE -> replica.applySave(StampedSave.read(in, copies), message.getSrc());
            case COPIES -> {
                replica.applyCopies(in, message.getSrc());
                yield null;
            }
            case REPAIR -> {
                replica.applyCopies(in, false, message.getSrc());
                yield null;
            }
            case GET -> {
                requireGateOpen();
                cluster.requireNotExcluded(); // behind after a merge: the reader asks the next replica
                SessionId id = ChangeSetWire.readId(in);
                doubts.requireSettled(id); // not acknowledged by every replica: the reader asks the next one
                // A tombstone answers too: "ended" is an answer, where "no copy" is not.
                yield CopyWire.answer(replica.copyOf(id));
            }
            case DECIDE -> {
                ChangeSet changes = ChangeSetWire.read(in);
                if (!cluster.membership().gateOpen() || cluster.behind()) {
                    yield Decisions
                            .NOT_DECIDER; // nothing to decide on yet (joining, or catching up after a merge); the
                    // sender asks again
                }
                cluster.requireEnoughPeers(); // a node cut off must not decide as the owner in a view of its own
                yield Decisions.answer(replicate(changes, mode, true));
            }
            case TAKE -> {
                requireGateOpen();
                cluster.requireEnoughPeers();
                SessionId id = ChangeSetWire.readId(in);
                if (!isOwner(id)) { // two nodes with different views must not each decide a rename
                    throw new IOException("not the owner of the session in view " + view.id());
                }
                yield CopyWire.answer(replica.take(id).map(r -> Copy.live(r, 0)));
            }
            case EXPIRED -> {
                publish(PrimaryBackupWire.readExpired(in));
                yield null;
            }
            case FETCH -> JoinPull.answer(in, cluster.membership(), timeout, replica::joinersSessions);
            case FIND -> {
                cluster.requireNotExcluded(); // behind: it would leave out sessions it owns but lacks
                String principal = in.readUTF();
                List<Copy> owned = new ArrayList<>();
                for (SessionRecord r : local.findByPrincipal(principal)) {
                    if (isOwner(r.id())) {
                        owned.add(Copy.live(r, 0)); // each session answered once, by its owner
                    }
                }
                yield PrimaryBackupWire.answer(owned);
            }
            default -> throw new IOException("unknown request");
        };
    }

    /** Ends a session a replica holds a tombstone of: the save that found it is answered GONE either way. */
    private void endRefused(SessionId id) {
        try {
            replicate(invalidation(id), Replication.SYNC);
        } catch (SessionStoreUnavailableException e) {
            LOG.debug("could not end {} on every replica after a refusal: {}", id, e.getMessage());
        }
    }

    private static ChangeSet invalidation(SessionId id) {
        return ChangeSet.builder(id, Instant.EPOCH, Instant.EPOCH).invalidated().build();
    }

    /** Copies besides the owner's unless told otherwise. */
    public static final int DEFAULT_BACKUPS = 1;

    /** Configures a {@link PrimaryBackupSessionStore}: see {@link ClusterStoreBuilder}, and the backups. */
    public static final class Builder extends ClusterStoreBuilder<Builder, PrimaryBackupSessionStore> {
        private int backups = DEFAULT_BACKUPS;

        private Builder(String clusterName) {
            super(clusterName);
        }

        /** Copies besides the owner's, 0 to 4 (default {@link #DEFAULT_BACKUPS}). */
        public Builder backups(int backups) {
            if (backups < 0 || backups > 4) {
                throw new IllegalArgumentException("backups must be 0 to 4: " + backups);
            }
            this.backups = backups;
            return this;
        }

        @Override
        PrimaryBackupSessionStore create() throws Exception {
            return new PrimaryBackupSessionStore(this);
        }
    }
}
