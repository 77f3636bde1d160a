// Over 500 lines since conditional saves (issue 13): the save path under the session's lock (plain,
// conditional, rename), the request handler and the copies sent after merges share that lock, the
// view and the channel. Splitting it by job, as primary-backup was, is left for later.
package dev.satchel.cluster;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ConditionalSaveStore;
import dev.satchel.core.ObservableSessionStore;
import dev.satchel.core.PrincipalIndexedStore;
import dev.satchel.core.ReportingStore;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionListener;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.core.support.DaemonThreads;
import java.io.DataInputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.MergeView;
import org.jgroups.Message;
import org.jgroups.View;
import org.jgroups.blocks.RequestOptions;
import org.jgroups.blocks.ResponseMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Session clustering, all to all: the {@code replicated} strategy. Every node holds every session
 * in memory, and every save is sent to every node as its change set only, as Tomcat's DeltaManager
 * does. No external server: membership and failure detection come from JGroups, delivery in order
 * from TCP; a node that joins pulls every session, in pages, while the others go on.
 *
 * <p><b>Modes.</b> A save applies to this node's copy first, then goes to the others. {@link
 * Replication#SYNC} (default): it returns once every other node applied it, so no acknowledged
 * write is lost when a node dies. {@link Replication#ASYNC}: it returns at once; the others apply
 * it shortly after, and the last writes of a node that dies may be lost. Each node's saves apply
 * everywhere in the order it made them; two nodes changing the same attribute of one session at
 * the same instant can leave copies that differ until its next write, which sticky routing avoids.
 *
 * <p><b>Reads</b> are local: no hop. Expiry runs on each node against its own copy; the copies
 * agree because every save carries the times. Last-access times travel only with the throttled
 * touches the servlet filter makes, so there are no access-time storms. The cost: memory that
 * grows with the number of sessions on every node, and one multicast per save.
 *
 * <p><b>Conditional saves</b> ({@link ConditionalSaveStore}: an atomic update of an attribute).
 * Every node holds the session, but one must decide: the first node of the session's rendezvous
 * ranking over the current view (the ranking the balancer's {@code session-hash} and the
 * primary-backup store use), which also decides the session's id changes. A node that is not it
 * forwards the save there and waits for the outcome. The decider, under the session's lock (the
 * one that stamps, applies and sends every save), checks its own copy against the expected values;
 * if they hold, the save is applied and sent to every node as any save (without its expectations:
 * the others take the decision), otherwise nothing is written anywhere and the answer is CONFLICT.
 * While the decider is leaving, a forward to it fails (no answer: the save may have been applied,
 * so it is not retried, and the caller gets {@link SessionStoreUnavailableException}) or is refused
 * by a node whose view already ranks another node first (nothing applied; the sender asks once
 * more by its own view, then gives up the same way). Conditional saves are atomic with respect to
 * each other only: a plain save of the same attribute still races them, last writer wins, as
 * plain saves always did.
 *
 * <p>The channel, the start and readiness are {@link ClusterChannel}'s; a joiner's paged pull is
 * {@link JoinPull}, as in the primary-backup store.
 */
public final class ReplicatedSessionStore
        implements PrincipalIndexedStore, ObservableSessionStore, ReportingStore, ConditionalSaveStore {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicatedSessionStore.class);
    private static final byte SAVE = 1;
    private static final byte COPIES = 2;
    private static final byte PULL = 3;
    private static final byte TAKE = 4;
    /** A conditional save forwarded to the node that decides it (see {@link Decisions}). */
    private static final byte DECIDE = 5;
    /**
     * Whole copies of sessions whose save failed on the sender, sent again ({@link SaveDoubts}):
     * applied as {@link #COPIES}, but they say nothing of a merge still going on (counted as merge
     * copies, the repair's rounds every half second held every node "not ready" in the lab).
     */
    private static final byte REPAIR = 6;
    /** A save's answer from a node that holds it until its own copies arrive: it decides nothing. */
    private static final byte HELD = 100;
    /** A save's answer from a node that holds a tombstone for the session: it was ended there. */
    private static final byte REFUSED = 101;
    /** A save's answer from a node whose copy is behind the sender's: it wants the whole copy. */
    private static final byte STALE = 102;

    private final VersionedCopies copies;
    private final MemorySessionStore local;
    private final ClusterChannel cluster;
    private final Replication mode;
    private final Duration timeout;
    private final LongAdder bytesSent = new LongAdder();
    private final LongAdder messagesSent = new LongAdder();
    private final Membership membership;
    private final MergeWatch mergeWatch;

    /** Sessions with a save here not yet acknowledged by every node, which reads must not show. */
    private final SaveDoubts doubts;
    /** Present when saves may go on links: one synchronous save of a session in flight at a time. */
    private final Optional<SaveGate> gate;

    private final ExecutorService handover = Executors.newSingleThreadExecutor(DaemonThreads.named("satchel-handover"));

    private ReplicatedSessionStore(Builder b) throws Exception {
        this.mode = b.mode;
        this.timeout = b.timeout;
        this.copies = new VersionedCopies(b.clock, b.maxSessions);
        this.doubts = new SaveDoubts(b.timeout);
        this.local = copies.local();
        this.cluster = new ClusterChannel(b, this::apply, DECIDE, java.util.Set.of(SAVE), this::viewAccepted);
        this.gate = cluster.savesOnLinks() ? Optional.of(new SaveGate(b.timeout)) : Optional.empty();
        copies.trackOrigins(cluster.savesOnLinks());
        this.membership = cluster.membership();
        this.mergeWatch = cluster.mergeWatch();
        cluster.join(b, this::pullEverySession, this::pullAfterMerge, this::close);
        doubts.startRepairs(SaveDoubts.sendingCopies(
                cluster, cluster::members, copies::copyOf, part -> copiesMessage(REPAIR, part), timeout));
    }

    private void viewAccepted(View view) {
        if (view instanceof MergeView merge && !handover.isShutdown()) {
            mergeWatch.merged();
            List<Address> before = membership.previousMembers();
            handover.execute(() -> {
                exchangeAfterMerge(merge, before);
                mergeWatch.sent();
            });
        }
    }

    /** Starts a configuration for a cluster named {@code clusterName} (every node uses the same). */
    public static Builder builder(String clusterName) {
        return new Builder(clusterName);
    }

    @Override
    public Optional<SessionRecord> load(SessionId id) {
        cluster.requireServing(); // cut off, or back and not caught up: its copies may be behind
        return doubts.read(id, () -> {
            cluster.requireServing(); // again: a read that waited on a save may have waited through a merge
            return local.load(id);
        });
    }

    /**
     * Applies a save here, then sends it to the others. Under the session's lock it is stamped,
     * applied and handed to the network, so every node applies this node's saves of a session in
     * the order they were made here; the answers are awaited after the lock is released. A save
     * refused here (the session is gone) is not sent, but an invalidation always is.
     */
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
        if (!changes.expectations().isEmpty()) {
            return Decisions.decide(
                    () -> decider(changes.id()),
                    cluster.self(),
                    () -> saveHere(changes, true),
                    node -> Decisions.forward(
                            cluster.dispatcher(),
                            node,
                            ClusterChannel.request(DECIDE, out -> ChangeSetWire.write(changes, out)),
                            timeout));
        }
        return saveHere(changes, false).orElseThrow();
    }

    /**
     * The save itself, as above. With {@code decide}, this node decides a conditional save: under
     * the lock, before anything is stamped, it checks that it is the session's decider in its view
     * (else the answer is empty, nothing applied) and that its copy holds the expected values (else
     * CONFLICT, or GONE without a copy, and nothing is sent). The save then goes on as any other,
     * without its expectations.
     */
    private Optional<SaveOutcome> saveHere(ChangeSet conditional, boolean decide) {
        ChangeSet changes = ChangeSetWire.withoutExpectations(conditional);
        long[] doubt = new long[2]; // the save's number, and 1 once it was handed to the network
        boolean taken = false;
        try (SaveGate.Passage one = gate.map(g -> g.enter(changes)).orElse(() -> {})) {
            Optional<SaveOutcome> outcome = saveHere(conditional, changes, decide, doubt);
            taken = true;
            return outcome;
        } finally {
            doubts.settle(changes.id(), doubt[0], taken, doubt[1] != 0);
        }
    }

    /** {@link #saveHere(ChangeSet, boolean)}; a synchronous save sent to others gets its number in {@code doubt}. */
    private Optional<SaveOutcome> saveHere(ChangeSet conditional, ChangeSet changes, boolean decide, long[] doubt) {
        SaveOutcome[] here = new SaveOutcome[1];
        boolean[] notDecider = new boolean[1];
        PendingSave pending = copies.locked(changes, () -> {
            if (decide) {
                if (!decider(changes.id()).equals(cluster.self())) {
                    notDecider[0] = true;
                    return PendingSave.done();
                }
                here[0] = copies.check(conditional);
                if (here[0] != SaveOutcome.UPDATED) {
                    return PendingSave.done();
                }
            }
            long base = copies.heldStampOf(changes.id());
            long stamp = copies.stampAfter(base);
            if (mode == Replication.SYNC && cluster.members().size() > 1) {
                doubt[0] = doubts.begin(changes.id()); // before the copy changes: reads wait for the answers
            }
            here[0] = copies.apply(changes, stamp);
            if (here[0] == SaveOutcome.GONE && !changes.invalidated()) {
                return PendingSave.done();
            }
            doubt[1] = 1;
            return send(changes, stamp, base, mode == Replication.ASYNC ? Optional.empty() : Optional.of(timeout));
        });
        if (notDecider[0]) {
            return Optional.empty();
        }
        Map<Address, Optional<Object>> answers = pending.await();
        // Nodes whose copy was behind this one's (back from a partition) applied nothing: they get
        // the whole copy, read and sent under the session's lock, and the save waits for them.
        List<Address> stale = PendingSave.answering(answers, STALE);
        if (!stale.isEmpty()) {
            copies.locked(changes.id(), () -> copies.copyOf(changes.id()).map(copy -> sendCopies(stale, copy)))
                    .ifPresent(PendingSave::await);
        }
        // A node that refused the save (a tombstone there: the session was logged out, or renamed
        // by a login on another node) makes it refused here too. That tombstone wins wherever it
        // goes, so this node ends the session at once, here and on every node, rather than show
        // the refused change until the invalidation it came from arrives, which it may never do
        // (its sender died, or failed before sending it).
        boolean refused = !PendingSave.answering(answers, REFUSED).isEmpty();
        if (refused && !changes.invalidated()) {
            endRefused(changes.id());
        }
        return Optional.of(refused && here[0] == SaveOutcome.UPDATED ? SaveOutcome.GONE : here[0]);
    }

    /** Ends a session another node holds a tombstone of: the save that found it is answered GONE either way. */
    private void endRefused(SessionId id) {
        try {
            saveHere(invalidation(id), false);
        } catch (SessionStoreUnavailableException e) {
            // Ended here at least (applied before sending); the others learn it from the tombstone
            // itself at the next save or merge.
            LOG.debug("could not end {} on every node after a refusal: {}", id, e.getMessage());
        }
    }

    /**
     * An id change, decided by one node for the old id (the first by rendezvous ranking over the
     * view): it ends the old session and hands back its last state in one step, so of two logins
     * made on two nodes at once only one gets it, and a save to the old id after that finds a
     * tombstone. The old id is then ended everywhere, and the renamed session created everywhere.
     * The ending goes first: from the take on, the old session is over, and every node must say so
     * at once. Sent second, it never left when the creation failed (a node cut off did not answer):
     * the lab saw the old cart gone on the deciding node and shown on another, then gone for good
     * once the partition healed and the decider's tombstone won.
     */
    private SaveOutcome rename(ChangeSet changes) {
        SessionId previous = changes.previousId().orElseThrow();
        Address decider = decider(previous);
        Optional<SessionRecord> taken =
                decider.equals(cluster.self()) ? copies.take(previous) : takeFrom(decider, previous);
        if (taken.isEmpty()) {
            return SaveOutcome.GONE;
        }
        save(invalidation(previous));
        save(ChangeSetWire.recreate(taken.get().apply(changes)));
        return SaveOutcome.UPDATED;
    }

    private static ChangeSet invalidation(SessionId id) {
        return ChangeSet.builder(id, Instant.EPOCH, Instant.EPOCH).invalidated().build();
    }

    /**
     * The node that decides a session's id changes and conditional saves: the first by rendezvous
     * ranking over the view.
     */
    private Address decider(SessionId id) {
        Map<String, Address> byName = new java.util.HashMap<>();
        cluster.members().forEach(m -> byName.put(m.toString(), m));
        return byName.get(dev.satchel.core.placement.Rendezvous.owner(id.value(), byName.keySet())
                .orElseThrow(() -> new SessionStoreUnavailableException("no cluster view yet", null)));
    }

    private Optional<SessionRecord> takeFrom(Address decider, SessionId id) {
        try {
            byte[] answer = cluster.dispatcher()
                    .sendMessage(
                            new BytesMessage(
                                    decider, ClusterChannel.request(TAKE, out -> ChangeSetWire.writeId(out, id))),
                            RequestOptions.SYNC().timeout(timeout.toMillis()));
            return CopyWire.readAnswer(answer).flatMap(Copy::record);
        } catch (Exception e) {
            throw new SessionStoreUnavailableException("the cluster did not answer a rename: " + e.getMessage(), e);
        }
    }

    /** A COPIES message: whole copies, stamped with this node's current view. */
    private byte[] copiesMessage(List<Copy> copies) {
        return copiesMessage(COPIES, copies);
    }

    /** Whole copies as {@code kind} ({@link #COPIES} or {@link #REPAIR}), stamped with this node's view. */
    private byte[] copiesMessage(byte kind, List<Copy> copies) {
        return CopyWire.encode(
                out -> {
                    out.writeByte(kind);
                    ChangeSetWire.writeVarLong(out, membership.currentViewId());
                },
                copies);
    }

    /** Sends one whole copy to nodes whose copy was behind, and returns the wait for their answers. */
    private PendingSave sendCopies(List<Address> targets, Copy copy) {
        try {
            return PendingSave.awaiting(
                    cluster.dispatcher()
                            .castMessageWithFuture(
                                    targets,
                                    new BytesMessage(null, copiesMessage(List.of(copy))),
                                    new RequestOptions(ResponseMode.GET_ALL, timeout.toMillis())
                                            .anycasting(true)
                                            .flags(Message.Flag.NO_RELIABILITY)),
                    timeout,
                    cluster);
        } catch (Exception e) {
            throw new SessionStoreUnavailableException("could not repair a node's copy: " + e.getMessage(), e);
        }
    }

    /**
     * Sends a save applied here to the other nodes, stamped with this node's view. Sessions travel
     * without JGroups' retransmission layers (flag {@code NO_RELIABILITY}): between two live nodes
     * TCP already delivers every message once and in order, and each connection's messages are
     * applied on its reader thread, in that order. What those layers added, copies for a node
     * that joins mid-save, {@link Membership} provides. With a wait, the returned save completes
     * once every other node has applied it.
     */
    private PendingSave send(ChangeSet changes, long stamp, long base, Optional<Duration> wait) {
        byte[] payload = ClusterChannel.request(SAVE, out -> {
            new StampedSave(membership.currentViewId(), stamp, base, changes).write(out);
        });
        messagesSent.increment();
        bytesSent.add(payload.length);
        Message message = new BytesMessage(null, payload).setFlag(Message.TransientFlag.DONT_LOOPBACK);
        try {
            if (wait.isEmpty()) {
                cluster.dispatcher()
                        .castMessage(null, message, RequestOptions.ASYNC().flags(Message.Flag.NO_RELIABILITY));
                return PendingSave.done();
            }
            List<Address> others = new ArrayList<>(cluster.members());
            others.remove(cluster.self());
            if (others.isEmpty()) {
                return PendingSave.done();
            }
            if (cluster.links().isPresent()) {
                return PendingSave.send(cluster, others, payload, wait.get());
            }
            return PendingSave.awaiting(
                    cluster.dispatcher()
                            .castMessageWithFuture(
                                    others,
                                    message,
                                    new RequestOptions(
                                                    ResponseMode.GET_ALL,
                                                    wait.get().toMillis())
                                            .flags(Message.Flag.NO_RELIABILITY)),
                    wait.get(),
                    cluster);
        } catch (SessionStoreUnavailableException e) {
            throw e;
        } catch (Exception e) {
            if (wait.isEmpty()) {
                LOG.warn("could not send a save of {}: {}", changes.id(), e.getMessage());
                return PendingSave.done();
            }
            throw new SessionStoreUnavailableException("the cluster did not take the save: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean delete(SessionId id) {
        if (local.load(id).isEmpty()) {
            return false;
        }
        return save(invalidation(id)) == SaveOutcome.INVALIDATED;
    }

    @Override
    public List<SessionRecord> findByPrincipal(String principal) {
        cluster.requireServing();
        return local.findByPrincipal(principal);
    }

    @Override
    public AutoCloseable subscribe(SessionListener listener) {
        return local.subscribe(listener);
    }

    /** Reclaims expired sessions on this node now (the sweeper does it in the background). */
    public int expireDue() {
        return local.expireDue();
    }

    /**
     * This node's counters, in this order: {@code saves_sent} (saves sent to the other nodes),
     * {@code bytes_sent} (their change sets, before JGroups' framing), {@code sessions_held}, {@code
     * tombstones} (deletions remembered so no late copy undoes them) and {@code members} (nodes in
     * this node's view).
     */
    @Override
    public Map<String, Long> counters() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("saves_sent", messagesSent.sum());
        counters.put("bytes_sent", bytesSent.sum());
        counters.put("sessions_held", (long) local.size());
        counters.put("tombstones", (long) copies.tombstones());
        counters.put("answers_on_links", cluster.answersOnLinks());
        counters.put("members", (long) cluster.members().size());
        return Collections.unmodifiableMap(counters);
    }

    /** The channel, for tests that install views of their own (a partition, a merge). */
    JChannel channel() {
        return cluster.channel();
    }

    /** The nodes in the cluster now, this one included. */
    public List<String> members() {
        return cluster.members().stream().map(Address::toString).toList();
    }

    /** The view JGroups installed on this node: its id and its members, as {@link #members()} names them. */
    public dev.satchel.core.ClusterView view() {
        return cluster.view();
    }

    /** Sessions this node holds. */
    public int size() {
        return local.size();
    }

    @Override
    public void close() {
        doubts.close();
        handover.shutdownNow();
        cluster.close();
        copies.close();
    }

    /**
     * A save from another node, applied to this node's copy (or held, while this node is still
     * receiving its first copy). A save sent in an older view than this node's may not have
     * reached the nodes that joined since: this node passes the session on to them. Whole copies
     * (a merge, a pass-on) are kept only if newer than this node's.
     */
    private Object apply(Message message) throws IOException {
        DataInputStream in = ClusterChannel.in(message);
        byte kind = in.readByte();
        if (kind == SAVE || kind == DECIDE || kind == TAKE) {
            cluster.requireMember(message.getSrc()); // answered across two views, copies would part
        }
        switch (kind) {
            case SAVE -> {
                StampedSave save = StampedSave.read(in, copies);
                long sentIn = save.sentIn();
                long stamp = save.stamp();
                long base = save.base();
                ChangeSet changes = save.changes();
                java.util.concurrent.atomic.AtomicReference<Optional<SaveOutcome>> outcome =
                        new java.util.concurrent.atomic.AtomicReference<>(Optional.empty());
                // Replayed after a join's pull, a held save merges as it always did (see Membership).
                long origin = ClusterChannel.origin(message.getSrc());
                // The check and the apply under one lock: a save checked between them would slip past.
                if (!membership.applyOrHold(() -> outcome.set(copies.locked(
                        changes,
                        () -> copies.overtaken(changes, origin, stamp)
                                ? Optional.<SaveOutcome>empty() // STALE: a later save from its node came first
                                : copies.applyIfCurrent(changes, stamp, membership.gateOpen() ? base : 0))))) {
                    return HELD;
                }
                if (outcome.get().isEmpty()) {
                    return STALE;
                }
                List<Address> missed = membership.missedBy(sentIn, message.getSrc(), cluster.self());
                if (!missed.isEmpty()) {
                    handover.execute(() -> passOn(List.of(changes.id()), missed));
                }
                SaveOutcome applied = outcome.get().get();
                return applied == SaveOutcome.GONE && copies.buried(changes.id()) ? REFUSED : (byte) applied.ordinal();
            }
            case COPIES, REPAIR -> {
                ChangeSetWire.readVarLong(in); // the sender's view: every node keeps every session
                for (Copy copy : CopyWire.readAll(in)) {
                    if (copies.plausible(copy.stamp())) {
                        copies.apply(copy, ClusterChannel.origin(message.getSrc()));
                    }
                }
                if (kind == COPIES) {
                    mergeWatch.copiesArrived();
                }
                return null;
            }
            case PULL -> {
                return JoinPull.answer(in, membership, timeout, ask -> copies.copies(ask.page()::holds));
            }
            case DECIDE -> {
                ChangeSet changes = ChangeSetWire.read(in);
                if (!membership.gateOpen() || cluster.behind()) {
                    return Decisions
                            .NOT_DECIDER; // nothing to decide on yet (joining, or catching up after a merge); the
                    // sender asks again
                }
                cluster.requireEnoughPeers(); // a node cut off must not decide in a view of its own
                return Decisions.answer(saveHere(changes, true));
            }
            case TAKE -> {
                if (!membership.gateOpen()) {
                    throw new IOException("this node is still receiving its sessions");
                }
                cluster.requireEnoughPeers();
                SessionId id = ChangeSetWire.readId(in);
                if (!decider(id).equals(cluster.self())) { // two views must not pick two deciders
                    throw new IOException("not the node that decides this session's renames in view "
                            + cluster.channel().getView().getViewId());
                }
                return CopyWire.answer(copies.take(id).map(r -> Copy.live(r, 0)));
            }
            default -> throw new IOException("unknown request");
        }
    }

    /**
     * Sends this node's copies of sessions (or their tombstones) to nodes a save may have missed,
     * in batches, without waiting: from the hand-over thread only, so what it sends a node arrives
     * in the order it was read (UNICAST3 keeps it in order, and retransmits what a replaced
     * connection lost). The receivers keep each only if it is newer than theirs.
     */
    private void passOn(List<SessionId> ids, List<Address> targets) {
        List<Copy> batch = new ArrayList<>();
        for (SessionId id : ids) {
            copies.copyOf(id).ifPresent(batch::add);
        }
        for (List<Copy> part : CopyWire.batches(batch)) {
            try {
                cluster.dispatcher()
                        .castMessage(
                                targets,
                                new BytesMessage(null, copiesMessage(part)),
                                // Retransmitted if a replaced connection drops it (no NO_RELIABILITY):
                                // nobody waits on it to notice. A late copy applies only if newer.
                                RequestOptions.ASYNC().anycasting(true));
            } catch (Exception e) {
                LOG.warn("could not pass {} sessions on to {}: {}", part.size(), targets, e.getMessage());
            }
        }
    }

    /**
     * After a partition heals (or a node that started alone is merged in), the oldest node of each
     * side, as this node saw its side in its view before the merge, sends every session and
     * tombstone it holds to the nodes that were not in that view; each node keeps the newer of two
     * copies, and a deletion on either side stands. The sides are read from this node's own last
     * view, not from the merge's subgroups: while a partition heals the views can disagree, and
     * the subgroups overlap (seen in the lab: a node left out by the others still listed them all,
     * so the others' oldest node found itself in that subgroup with nobody to send to, and the node
     * came back without the sessions made while it was out).
     */
    private void exchangeAfterMerge(MergeView merge, List<Address> before) {
        if (before.isEmpty() || !before.get(0).equals(cluster.self())) {
            return;
        }
        List<Address> others = new ArrayList<>(merge.getMembers());
        others.removeAll(before);
        if (others.isEmpty()) {
            return;
        }
        List<Copy> all = copies.copies(id -> true);
        passOn(all.stream().map(Copy::id).toList(), others);
        LOG.info("merged: sent {} sessions and tombstones to {} nodes of the other side", all.size(), others.size());
    }

    /**
     * A joining node takes every session from the oldest member before it serves, in pages
     * ({@link JoinPull}); saves reaching this node meanwhile wait at the gate and apply after.
     */
    private void pullEverySession() throws Exception {
        View joined = cluster.channel().getView();
        if (joined.size() <= 1 || joined.getCoord().equals(cluster.self())) {
            return;
        }
        Address from = joined.getCoord(); // the oldest member
        int received = new JoinPull(cluster.dispatcher(), PULL, timeout, 1, true)
                .pull(cluster.self(), joined.getMembers(), List.of(from), copies::apply);
        LOG.info("received {} sessions on joining, from {}", received, from);
    }

    /**
     * Back from the smaller side of a partition, this node takes every session from every node of
     * the other side, in pages as a joiner does; each copy is kept only if newer than this node's,
     * so what this side ended (a logout, which it took while apart) stands, and of sides that were
     * apart from each other too the newest copy wins.
     */
    private void pullAfterMerge(List<Address> sources) throws Exception {
        View now = cluster.channel().getView();
        int received = new JoinPull(cluster.dispatcher(), PULL, timeout, 1, true)
                .pull(cluster.self(), now.getMembers(), sources, PullPage.AFTER_MERGE, copies::apply);
        LOG.info("received {} sessions after the merge, from {}", received, sources);
    }

    /** Configures a {@link ReplicatedSessionStore}: see {@link ClusterStoreBuilder}. */
    public static final class Builder extends ClusterStoreBuilder<Builder, ReplicatedSessionStore> {
        private Builder(String clusterName) {
            super(clusterName);
        }

        @Override
        ReplicatedSessionStore create() throws Exception {
            return new ReplicatedSessionStore(this);
        }
    }
}
