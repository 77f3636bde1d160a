package dev.satchel.cluster;

import dev.satchel.core.ChangeSet;
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
import dev.satchel.core.placement.Rendezvous;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.MergeView;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.blocks.MessageDispatcher;
import org.jgroups.blocks.RequestOptions;
import org.jgroups.blocks.ResponseMode;
import org.jgroups.util.Rsp;
import org.jgroups.util.RspList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Session clustering with an owner and backups: the {@code primary-backup} strategy, as Tomcat's
 * BackupManager. Each session lives on {@code 1 + backups} nodes, chosen by rendezvous hashing of
 * its id over the current view: the same ranking as the balancer's {@code session-hash} policy, so
 * a request the balancer routed lands on the owner and reads locally. A request elsewhere fetches
 * from the owner, one counted hop. Memory per node stays flat as nodes are added.
 *
 * <p>When the view changes, each node walks the sessions it holds: it sends each one to the nodes
 * that newly rank among its replicas (a dead owner's first backup is the new owner, and re-creates
 * the missing copy), then hands over the ones it no longer ranks for, keeping them a while for
 * saves and pulls still on their way. After a partition heals, every node sends every copy and
 * tombstone to the session's replicas; copies carry stamps ({@link VersionedCopies}), so the newest
 * wins wherever copies meet, whatever order they arrive in, and a deletion is never undone.
 *
 * <p>Saves are synchronous by default: a save returns once every replica applied it. With {@link
 * Replication#ASYNC} a save made on a replica returns once applied there. A node's saves of one
 * session reach every replica in the order it applied them. Events: CREATED and DELETED on the
 * node whose request caused them; EXPIRED on every node, announced by the owner when its copy
 * expires (by a read or its sweep).
 *
 * <p>One file, over 500 lines: the request kinds below and their handlers are one protocol, each
 * side of which reads best beside the other.
 */
public final class PrimaryBackupSessionStore implements PrincipalIndexedStore, ObservableSessionStore, ReportingStore {
    private static final Logger LOG = LoggerFactory.getLogger(PrimaryBackupSessionStore.class);
    private static final byte SAVE = 1;
    private static final byte GET = 2;
    private static final byte FIND = 3;
    private static final byte FETCH = 4;
    private static final byte EXPIRED = 5;
    private static final byte COPIES = 6;
    private static final byte TAKE = 7;
    /** A save's answer from a node that holds it until its own copies arrive: it decides nothing. */
    private static final byte HELD = 100;
    /** A save's answer from a node holding a tombstone for the session: refused, and final. */
    private static final byte REFUSED = 101;
    /** A save's answer from a node whose copy is behind the sender's: it wants the whole copy. */
    private static final byte STALE = 102;
    /** How often a joiner asks again for a page of its sessions that did not come. */
    private static final int PULL_ATTEMPTS = 3;

    private final VersionedCopies copies;
    private final MemorySessionStore local;
    private final JChannel channel;
    private final MessageDispatcher dispatcher;
    private final int copyCount;
    private final Replication mode;
    private final Duration timeout;
    /**
     * Everything this node sends of its own accord (copies for new replicas after a view change,
     * sessions passed on after a late save) leaves on this one thread: a copy sent later was read
     * later, so the last copy a node receives from this one is this one's newest.
     */
    private final ScheduledExecutorService rebalancer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "satchel-rebalance");
        t.setDaemon(true);
        return t;
    });
    /**
     * Copies this node handed over when it stopped being one of their replicas, kept a while: a
     * save sent to it in the older view may still arrive and must reach the new replicas, and a
     * joiner that pulls after the hand-over must still find them.
     */
    private final Map<SessionId, Copy> leaving = new ConcurrentHashMap<>();

    /** The view and its id, set together, so a save's targets and its view stamp always match. */
    private volatile CurrentView view = new CurrentView(0, List.of());

    private volatile long lastViewChange = System.nanoTime();
    /** How long after a view change a replica missing a session asks the others for it. */
    private static final Duration HANDOVER_WINDOW = Duration.ofSeconds(60);
    /** How long a handed-over copy is kept for saves sent before the view change. */
    private static final Duration LEAVING_KEPT = Duration.ofSeconds(30);

    private final LongAdder remoteReads = new LongAdder();
    private final LongAdder moved = new LongAdder();
    private final SessionListeners listeners = new SessionListeners();
    private final Membership membership = new Membership();
    private final MergeWatch mergeWatch = new MergeWatch();

    private record CurrentView(long id, List<Address> members) {}

    private PrimaryBackupSessionStore(Builder b) throws Exception {
        this.copyCount = 1 + b.backups;
        this.mode = b.mode;
        this.timeout = b.timeout;
        this.copies = new VersionedCopies(b.clock, b.maxSessions);
        this.local = copies.local();
        this.channel = new JChannel(b.config);
        b.nodeName.ifPresent(channel::setName);
        this.dispatcher = new MessageDispatcher(channel, this::handle);
        dispatcher.setReceiver(new Receiver() {
            @Override
            public void viewAccepted(View installed) {
                List<Address> before = view.members();
                membership.viewInstalled(installed);
                view = new CurrentView(installed.getViewId().getId(), List.copyOf(installed.getMembers()));
                lastViewChange = System.nanoTime();
                LOG.info("cluster view {}: {} nodes", installed.getViewId(), installed.size());
                if (!before.isEmpty()) {
                    // Nodes that joined pull their sessions themselves, behind their gate. After a
                    // merge nobody pulls: every node sends every copy to its replicas, newest wins.
                    List<Address> after = view.members();
                    boolean merge = installed instanceof MergeView;
                    Set<Address> pulling = new HashSet<>(after);
                    before.forEach(pulling::remove);
                    if (merge) {
                        pulling.clear();
                    }
                    if (!rebalancer.isShutdown()) { // a view installed while closing needs no rebalance
                        if (merge) {
                            mergeWatch.merged();
                        }
                        rebalancer.execute(() -> {
                            rebalance(before, after, pulling, merge);
                            if (merge) {
                                mergeWatch.sent();
                            }
                        });
                    }
                }
            }
        });
        // A session expires on its owner (by read or sweep); the owner tells every node, so each
        // node's listeners hear of it exactly once. Backups' copies expiring are not news.
        local.subscribe(event -> {
            if (event.type() == SessionEvent.Type.EXPIRED && isOwner(event.id()) && !rebalancer.isShutdown()) {
                // Off this thread: an expiry found by a read can fire under a session's lock, on a
                // cluster reader thread, which must not wait on a send.
                try {
                    rebalancer.execute(() -> announceExpiry(event));
                } catch (java.util.concurrent.RejectedExecutionException closing) {
                    LOG.debug("closing: the expiry of {} is not announced", event.id());
                }
            }
        });
        try {
            channel.connect(b.clusterName);
            Membership.awaitPeers(channel, b.peerWait, LOG);
            view = new CurrentView(
                    channel.getView().getViewId().getId(),
                    List.copyOf(channel.getView().getMembers()));
            if (view.members().size() > 1) {
                pullMySessions();
            }
            int early = membership.openGate();
            if (early > 0) {
                LOG.info("applied {} saves that reached this node before its sessions", early);
            }
        } catch (Exception | Error e) {
            close(); // a member that never opens its gate would hold every save sent to it
            throw e;
        }
    }

    /**
     * A joining (or restarting) node takes the sessions that now rank to it before it serves any
     * request, so it never answers "no such session" for one it owns but has not received yet. A
     * page no node could answer is asked again, and a join that still misses one fails.
     */
    private void pullMySessions() throws Exception {
        List<Address> joinView = view.members();
        List<Address> others = new ArrayList<>(joinView);
        others.remove(channel.getAddress());
        int received = 0;
        // In pages (PullPage): one answer of every session would hold up the saves behind it.
        for (int p = 0; p < PullPage.COUNT; p++) {
            PullPage page = new PullPage(p, PullPage.COUNT);
            byte[] request = request(FETCH, out -> {
                // The joiner's view, not the answering node's: that node may not have
                // installed the view with the joiner yet, and would rank without it.
                out.writeUTF(channel.getAddress().toString());
                out.writeInt(joinView.size());
                for (Address member : joinView) {
                    out.writeUTF(member.toString());
                }
                page.write(out);
            });
            received += pullPage(others, page, request);
        }
        LOG.info("joined with {} session copies from {} nodes", received, others.size());
    }

    private int pullPage(List<Address> others, PullPage page, byte[] request) throws Exception {
        String failure = "";
        for (int attempt = 1; attempt <= PULL_ATTEMPTS; attempt++) {
            RspList<byte[]> answers = dispatcher.castMessage(
                    others,
                    new BytesMessage(null, request),
                    new RequestOptions(ResponseMode.GET_ALL, timeout.toMillis() * 5).anycasting(true));
            List<String> missing = new ArrayList<>();
            int applied = 0;
            for (Map.Entry<Address, Rsp<byte[]>> e : answers.entrySet()) {
                Rsp<byte[]> rsp = e.getValue();
                if (rsp.wasReceived() && !rsp.hasException() && rsp.getValue() != null) {
                    for (Copy copy : CopyWire.readAll(in(rsp.getValue()))) {
                        copies.apply(copy);
                        applied++;
                    }
                } else if (!rsp.wasSuspected()) {
                    missing.add(e.getKey()
                            + (rsp.hasException() ? " (" + rsp.getException().getMessage() + ")" : ""));
                }
            }
            if (missing.isEmpty()) {
                return applied;
            }
            failure = "page " + page + " not answered by " + missing;
            LOG.warn("joining: {}; attempt {} of {}", failure, attempt, PULL_ATTEMPTS);
        }
        throw new SessionStoreUnavailableException("could not receive this node's sessions: " + failure, null);
    }

    /** Starts a configuration for a cluster named {@code clusterName}. */
    public static Builder builder(String clusterName) {
        return new Builder(clusterName);
    }

    @Override
    public Optional<SessionRecord> load(SessionId id) {
        Optional<SessionRecord> here = local.load(id);
        List<Address> replicas = replicas(id, view.members());
        if (replicas.contains(channel.getAddress())) {
            if (here.isPresent()) {
                return here;
            }
            // A replica without the session: there is none, unless the view changed moments ago and
            // its copy is still on the way; then it asks the others and keeps what they have.
            return System.nanoTime() - lastViewChange < HANDOVER_WINDOW.toNanos() ? pullOnMiss(id) : Optional.empty();
        }
        // Not a replica: a copy held here is one the rebalance has not handed over yet, and may
        // miss saves made since; the replicas decide, and this copy serves only if none has one.
        remoteReads.increment();
        boolean answered = false;
        for (Address replica : replicas) { // the owner first; a backup if the owner is gone or has
            try { // not received its copy yet
                byte[] answer = dispatcher.sendMessage(
                        new BytesMessage(replica, request(GET, out -> ChangeSetWire.writeId(out, id))),
                        RequestOptions.SYNC().timeout(timeout.toMillis()));
                answered = true;
                if (answer != null && answer.length > 0) {
                    return CopyWire.read(in(answer)).record(); // empty for a tombstone: ended
                }
            } catch (Exception e) {
                LOG.debug("{} did not answer a read: {}", replica, e.getMessage());
            }
        }
        if (answered || here.isPresent()) {
            return here;
        }
        throw new SessionStoreUnavailableException("no replica of the session answered within " + timeout, null);
    }

    private Optional<SessionRecord> pullOnMiss(SessionId id) {
        List<Address> others = new ArrayList<>(view.members());
        others.remove(channel.getAddress());
        if (others.isEmpty()) {
            return Optional.empty();
        }
        try {
            RspList<byte[]> answers = dispatcher.castMessage(
                    others,
                    new BytesMessage(null, request(GET, out -> ChangeSetWire.writeId(out, id))),
                    new RequestOptions(ResponseMode.GET_ALL, timeout.toMillis()).anycasting(true));
            boolean found = false;
            for (Rsp<byte[]> rsp : answers.values()) {
                if (rsp.wasReceived() && rsp.getValue() != null && rsp.getValue().length > 0) {
                    found |= copies.apply(CopyWire.read(in(rsp.getValue()))); // the newest of them stays
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

    @Override
    public SaveOutcome save(ChangeSet changes) {
        Objects.requireNonNull(changes, "changes");
        if (changes.previousId().isPresent() && !changes.invalidated()) {
            return rename(changes);
        }
        SaveOutcome outcome = replicate(changes, mode);
        if (outcome == SaveOutcome.CREATED) {
            publish(new SessionEvent(SessionEvent.Type.CREATED, changes.id(), Optional.empty()));
        } else if (outcome == SaveOutcome.INVALIDATED) {
            publish(new SessionEvent(SessionEvent.Type.DELETED, changes.id(), Optional.empty()));
        }
        return outcome;
    }

    /**
     * An id change, decided by the old id's owner: it ends the old session and hands back its last
     * state in one step, so of two logins racing on one session only one gets it, and a save to
     * the old id after that is refused (GONE) rather than acknowledged and lost. The renamed
     * session is then created on its own replicas, and the old id's other copies are ended.
     */
    private SaveOutcome rename(ChangeSet changes) {
        SessionId previous = changes.previousId().orElseThrow();
        List<Address> oldReplicas = replicas(previous, view.members());
        if (oldReplicas.isEmpty()) {
            throw new SessionStoreUnavailableException("no cluster view yet", null);
        }
        Optional<SessionRecord> taken = oldReplicas.get(0).equals(channel.getAddress())
                ? takeHere(previous)
                : takeFrom(oldReplicas.get(0), previous);
        if (taken.isEmpty()) {
            return SaveOutcome.GONE;
        }
        replicate(ChangeSetWire.recreate(taken.get().apply(changes)), Replication.SYNC);
        replicate(invalidation(previous), Replication.SYNC);
        return SaveOutcome.UPDATED;
    }

    private Optional<SessionRecord> takeHere(SessionId id) {
        Optional<SessionRecord> held = copies.take(id);
        return held.isPresent() ? held : Optional.ofNullable(leaving.remove(id)).flatMap(Copy::record);
    }

    private Optional<SessionRecord> takeFrom(Address owner, SessionId id) {
        try {
            byte[] answer = dispatcher.sendMessage(
                    new BytesMessage(owner, request(TAKE, out -> ChangeSetWire.writeId(out, id))),
                    RequestOptions.SYNC().timeout(timeout.toMillis()));
            return answer == null || answer.length == 0
                    ? Optional.empty()
                    : CopyWire.read(in(answer)).record();
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
        Address self = channel.getAddress();
        SaveOutcome[] here = new SaveOutcome[1];
        List<Address> targets = new ArrayList<>();
        PendingSave pending = copies.locked(changes, () -> {
            CurrentView v = view;
            Set<Address> chosen = new LinkedHashSet<>(replicas(changes.id(), v.members()));
            changes.previousId().ifPresent(previous -> chosen.addAll(replicas(previous, v.members())));
            targets.addAll(chosen);
            long base = copies.heldStampOf(changes.id());
            long stamp = copies.stampAfter(base);
            if (chosen.contains(self)) {
                here[0] = applyHere(changes, stamp);
            }
            List<Address> others = new ArrayList<>(chosen);
            others.remove(self);
            return send(
                    others, v.id(), stamp, base, changes, replication == Replication.ASYNC && chosen.contains(self));
        });
        Map<Address, Optional<Object>> answers = pending.await();
        repairStale(changes.id(), answers);
        if (here[0] != null && replication == Replication.ASYNC) {
            return here[0];
        }
        if (answers.values().stream().flatMap(Optional::stream).anyMatch(v -> v instanceof Byte b && b == REFUSED)) {
            return SaveOutcome.GONE; // a node that ended the session (a logout, a login's rename) decides
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
        return outcome.orElse(SaveOutcome.UPDATED); // every replica is still receiving its copies
    }

    /**
     * Replicas whose copy was behind this node's (back from a partition, or new and still waiting
     * for their copy) applied nothing: they get this node's whole copy, read and sent under the
     * session's lock so no later save of this node overtakes it, and the save waits for them.
     */
    private void repairStale(SessionId id, Map<Address, Optional<Object>> answers) {
        List<Address> stale = new ArrayList<>();
        answers.forEach((node, value) -> {
            if (value.isPresent() && value.get() instanceof Byte b && b == STALE) {
                stale.add(node);
            }
        });
        if (stale.isEmpty()) {
            return;
        }
        copies.locked(id, () -> copies.copyOf(id).map(copy -> sendCopies(stale, List.of(copy), true)))
                .ifPresent(PendingSave::await);
    }

    private PendingSave send(
            List<Address> others, long viewId, long stamp, long base, ChangeSet changes, boolean async) {
        if (others.isEmpty()) {
            return PendingSave.done();
        }
        BytesMessage message = new BytesMessage(null, request(SAVE, out -> {
            new StampedSave(viewId, stamp, base, changes).write(out);
        }));
        try {
            if (async) {
                dispatcher.castMessage(
                        others, message, RequestOptions.ASYNC().anycasting(true).flags(Message.Flag.NO_RELIABILITY));
                return PendingSave.done();
            }
            return PendingSave.awaiting(
                    dispatcher.castMessageWithFuture(
                            others,
                            message,
                            new RequestOptions(ResponseMode.GET_ALL, timeout.toMillis())
                                    .anycasting(true)
                                    .flags(Message.Flag.NO_RELIABILITY)),
                    timeout);
        } catch (Exception e) {
            if (async) {
                LOG.warn("could not send a save to the backups of {}: {}", changes.id(), e.getMessage());
                return PendingSave.done();
            }
            throw new SessionStoreUnavailableException("the cluster did not take the save: " + e.getMessage(), e);
        }
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
        List<Address> replicas = replicas(id, view.members());
        return !replicas.isEmpty() && replicas.get(0).equals(channel.getAddress());
    }

    /** A node still receiving its sessions has no answer yet; "none" would be wrong. */
    private void requireGateOpen() throws IOException {
        if (!membership.gateOpen()) {
            throw new IOException("this node is still receiving its sessions");
        }
    }

    private boolean isReplica(SessionId id, CurrentView v) {
        return replicas(id, v.members()).contains(channel.getAddress());
    }

    private void announceExpiry(SessionEvent event) {
        byte[] payload = request(EXPIRED, out -> {
            ChangeSetWire.writeId(out, event.id());
            out.writeBoolean(event.lastState().isPresent());
            if (event.lastState().isPresent()) {
                ChangeSetWire.write(ChangeSetWire.recreate(event.lastState().get()), out);
            }
        });
        try {
            dispatcher.castMessage(null, new BytesMessage(null, payload), RequestOptions.ASYNC());
        } catch (Exception e) {
            LOG.warn("could not announce the expiry of {}: {}", event.id(), e.getMessage());
        }
    }

    @Override
    public List<SessionRecord> findByPrincipal(String principal) {
        try {
            RspList<byte[]> answers = dispatcher.castMessage(
                    null,
                    new BytesMessage(null, request(FIND, out -> out.writeUTF(principal))),
                    new RequestOptions(ResponseMode.GET_ALL, timeout.toMillis()));
            Map<SessionId, SessionRecord> found = new HashMap<>();
            for (Rsp<byte[]> rsp : answers.values()) {
                if (rsp.wasReceived() && rsp.getValue() != null) {
                    for (Copy copy : CopyWire.readAll(in(rsp.getValue()))) {
                        copy.record().ifPresent(r -> found.putIfAbsent(r.id(), r));
                    }
                }
            }
            return List.copyOf(found.values());
        } catch (Exception e) {
            throw new SessionStoreUnavailableException("the cluster did not answer a search: " + e.getMessage(), e);
        }
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

    /** Reads this node had to fetch from another node, and sessions it sent on view changes. */
    public long[] hops() {
        return new long[] {remoteReads.sum(), moved.sum()};
    }

    /**
     * {@code remote_reads} (reads fetched from another node: zero while the balancer routes each
     * session to its owner), {@code sessions_moved} (sent to new replicas on view changes), {@code
     * sessions_held}, {@code tombstones} (deletions remembered so no late copy undoes them) and
     * {@code members}.
     */
    @Override
    public Map<String, Long> counters() {
        return Map.of(
                "remote_reads",
                remoteReads.sum(),
                "sessions_moved",
                moved.sum(),
                "sessions_held",
                (long) local.size(),
                "tombstones",
                (long) copies.tombstones(),
                "members",
                (long) view.members().size());
    }

    /** The channel, for tests that install views of their own (a partition, a merge). */
    JChannel channel() {
        return channel;
    }

    /** The nodes in the cluster now, this one included. */
    public List<String> members() {
        return view.members().stream().map(Address::toString).toList();
    }

    /** The view JGroups installed on this node: its id and its members, as {@link #members()} names them. */
    public dev.satchel.core.ClusterView view() {
        View now = channel.getView();
        return new dev.satchel.core.ClusterView(
                now.getViewId().getCreator() + "|" + now.getViewId().getId(),
                now.getMembers().stream().map(Address::toString).toList(),
                membership.gateOpen() && mergeWatch.settled() && Membership.holdsEnoughOf(channel, now.size()));
    }

    @Override
    public void close() {
        rebalancer.shutdownNow();
        try {
            dispatcher.close();
        } catch (IOException e) {
            LOG.debug("closing the dispatcher: {}", e.getMessage());
        }
        channel.close();
        copies.close();
    }

    private Object handle(Message message) throws IOException {
        DataInputStream in = new DataInputStream(
                new ByteArrayInputStream(message.getArray(), message.getOffset(), message.getLength()));
        switch (in.readByte()) {
            case SAVE -> {
                StampedSave save = StampedSave.read(in, copies);
                long sentIn = save.sentIn();
                long stamp = save.stamp();
                long base = save.base();
                ChangeSet changes = save.changes();
                java.util.concurrent.atomic.AtomicReference<Optional<SaveOutcome>> outcome =
                        new java.util.concurrent.atomic.AtomicReference<>(Optional.empty());
                // Replayed after a join's pull, a held save merges as it always did: the pulled copy
                // was read before the save reached the node that answered (see Membership).
                if (!membership.applyOrHold(
                        () -> outcome.set(applyHere(changes, stamp, membership.gateOpen() ? base : 0)))) {
                    return HELD;
                }
                if (outcome.get().isEmpty()) {
                    return STALE;
                }
                if (outcome.get().get() != SaveOutcome.GONE && membership.isOlderThanCurrent(sentIn)) {
                    passOnAfterViewChange(changes.id(), sentIn);
                }
                if (!membership.isNewerThanCurrent(sentIn)) {
                    handOverIfNotReplica(changes.id());
                }
                return outcome.get().get() == SaveOutcome.GONE && copies.buried(changes.id())
                        ? REFUSED
                        : (byte) outcome.get().get().ordinal();
            }
            case COPIES -> {
                long sentIn = ChangeSetWire.readVarLong(in);
                CurrentView v = view;
                boolean judge =
                        !membership.isNewerThanCurrent(sentIn) && !v.members().isEmpty();
                for (Copy copy : CopyWire.readAll(in)) {
                    if (copies.plausible(copy.stamp())) {
                        applyCopy(copy, judge && !isReplica(copy.id(), v));
                    }
                }
                mergeWatch.copiesArrived();
                return null;
            }
            case GET -> {
                requireGateOpen();
                SessionId id = ChangeSetWire.readId(in);
                // A tombstone answers too: "ended" is an answer, where "no copy" is not.
                Optional<Copy> copy = copies.copyOf(id).or(() -> Optional.ofNullable(leaving.get(id)));
                return copy.isEmpty() ? new byte[0] : encode(List.of(copy.get()), true);
            }
            case TAKE -> {
                requireGateOpen();
                SessionId id = ChangeSetWire.readId(in);
                if (!isOwner(id)) { // two nodes with different views must not each decide a rename
                    throw new IOException("not the owner of the session in view " + view.id());
                }
                Optional<SessionRecord> taken = takeHere(id);
                return taken.isEmpty() ? new byte[0] : encode(List.of(Copy.live(taken.get(), 0)), true);
            }
            case EXPIRED -> {
                SessionId expired = ChangeSetWire.readId(in);
                Optional<SessionRecord> last =
                        in.readBoolean() ? Optional.of(SessionRecord.create(ChangeSetWire.read(in))) : Optional.empty();
                publish(new SessionEvent(SessionEvent.Type.EXPIRED, expired, last));
                return null;
            }
            case FETCH -> {
                return answerFetch(in);
            }
            case FIND -> {
                String principal = in.readUTF();
                List<Copy> owned = new ArrayList<>();
                for (SessionRecord r : local.findByPrincipal(principal)) {
                    if (isOwner(r.id())) {
                        owned.add(Copy.live(r, 0)); // each session answered once, by its owner
                    }
                }
                return encode(owned, false);
            }
            default -> throw new IOException("unknown request");
        }
    }

    /** The joiner's sessions, ranked by the joiner's view: held copies, handed-over ones, tombstones. */
    private byte[] answerFetch(DataInputStream in) throws IOException {
        String joiner = in.readUTF();
        int size = in.readInt();
        if (size < 1 || size > 10_000) {
            throw new IOException("implausible view size in a fetch: " + size);
        }
        List<String> joinersView = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            joinersView.add(in.readUTF());
        }
        PullPage page = PullPage.read(in);
        membership.awaitMember(joiner, timeout);
        java.util.function.Predicate<SessionId> theirs = id -> page.holds(id)
                && Rendezvous.top(id.value(), joinersView, copyCount).contains(joiner);
        List<Copy> answer = new ArrayList<>(copies.copies(theirs));
        for (Copy handedOver : leaving.values()) {
            if (theirs.test(handedOver.id())) {
                answer.add(handedOver);
            }
        }
        return encode(answer, false);
    }

    /**
     * A save from another node, applied to this node's copy; or, when this node handed its copy
     * over on a view change moments ago, to that copy, so it can still be passed on.
     */
    private SaveOutcome applyHere(ChangeSet changes, long stamp) {
        return applyHere(changes, stamp, 0).orElseThrow();
    }

    /** As above, for another node's save made on a copy stamped {@code base}; empty if behind it. */
    private Optional<SaveOutcome> applyHere(ChangeSet changes, long stamp, long base) {
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
    private void applyCopy(Copy copy, boolean notAReplica) {
        if (copy.isTombstone()) {
            copies.locked(copy.id(), () -> {
                copies.apply(copy);
                return leaving.remove(copy.id());
            });
            return;
        }
        if (!notAReplica) {
            copies.apply(copy);
            return;
        }
        leaving.computeIfPresent(copy.id(), (id, held) -> copy.stamp() > held.stamp() ? copy : held);
    }

    /**
     * A save reached this node although it is not one of the session's replicas in its view (sent
     * in an older one): the replicas get this node's copy, and this node keeps it only as handed
     * over, so it is never served as the truth.
     */
    private void handOverIfNotReplica(SessionId id) {
        CurrentView v = view;
        if (v.members().isEmpty() || isReplica(id, v) || local.load(id).isEmpty()) {
            return;
        }
        rebalancer.execute(() -> {
            List<Address> targets = replicas(id, view.members());
            copies.handOver(id, copy -> {
                leaving.put(id, copy);
                sendCopies(targets, List.of(copy), false);
            });
            rebalancer.schedule(() -> leaving.remove(id), LEAVING_KEPT.toMillis(), TimeUnit.MILLISECONDS);
        });
    }

    /**
     * A save sent in an older view went to the replicas of that view. Replicas of the current view
     * that were not among them (a node that joined, or one that moved up when another left) get
     * this node's copy, as it is now that the save is in.
     */
    private void passOnAfterViewChange(SessionId id, long sentIn) {
        List<Address> missed = new ArrayList<>(replicas(id, view.members()));
        membership.membersOf(sentIn).ifPresent(then -> missed.removeAll(replicas(id, then)));
        missed.remove(channel.getAddress());
        if (!missed.isEmpty()) {
            rebalancer.execute(() -> passOn(id, missed));
        }
    }

    /** Sends this node's copy of a session as it is now (or its tombstone) to the targets. */
    private void passOn(SessionId id, List<Address> targets) {
        copies.copyOf(id)
                .or(() -> Optional.ofNullable(leaving.get(id)))
                .ifPresent(copy -> sendCopies(targets, List.of(copy)));
        LOG.debug("passed session {} on to {} new replicas", id, targets.size());
    }

    /**
     * Sends copies without waiting for an answer, from the rebalancing thread only: UNICAST3 keeps
     * what one thread sends to a node in order (and retransmits what a replaced connection lost),
     * and no copy waits behind a slow node's acknowledgement. The receiver keeps each only if it
     * is newer than its own.
     */
    private void sendCopies(List<Address> targets, List<Copy> batch) {
        sendCopies(targets, batch, false);
    }

    /** As above; with {@code acknowledged}, the returned wait ends once every target applied them. */
    private PendingSave sendCopies(List<Address> targets, List<Copy> batch, boolean acknowledged) {
        try {
            byte[] payload = CopyWire.encode(
                    out -> {
                        out.writeByte(COPIES);
                        ChangeSetWire.writeVarLong(out, view.id());
                    },
                    batch);
            BytesMessage message = new BytesMessage(null, payload);
            if (acknowledged) {
                return PendingSave.awaiting(
                        dispatcher.castMessageWithFuture(
                                targets,
                                message,
                                new RequestOptions(ResponseMode.GET_ALL, timeout.toMillis())
                                        .anycasting(true)
                                        .flags(Message.Flag.NO_RELIABILITY)),
                        timeout);
            }
            // With JGroups' retransmission (no NO_RELIABILITY): nobody waits on these, so a
            // connection replaced during a merge or join must not drop them unseen. Arriving
            // after a newer save is safe: a copy applies only if its stamp is newer.
            dispatcher.castMessage(targets, message, RequestOptions.ASYNC().anycasting(true));
        } catch (Exception e) {
            if (acknowledged) {
                throw new SessionStoreUnavailableException("could not repair a replica's copy: " + e.getMessage(), e);
            }
            LOG.warn("could not send {} session copies to {}: {}", batch.size(), targets, e.getMessage());
        }
        return PendingSave.done();
    }

    /**
     * After a view change: sends each held session (and tombstone) to the nodes that now rank
     * among its replicas and did not before, or after a merge to all of its replicas; then hands
     * over those this node no longer ranks for.
     */
    private void rebalance(List<Address> before, List<Address> after, Set<Address> pulling, boolean merge) {
        Address self = channel.getAddress();
        Map<List<Address>, List<Copy>> outgoing = new HashMap<>();
        List<SessionId> handedOver = new ArrayList<>();
        int sent = 0;
        for (Copy copy : copies.copies(id -> true)) {
            SessionId id = copy.id();
            List<Address> now = replicas(id, after);
            List<Address> targets = new ArrayList<>(now);
            if (!merge) {
                targets.removeAll(replicas(id, before));
                targets.removeAll(pulling);
            }
            targets.remove(self);
            if (!targets.isEmpty()) {
                List<Copy> batch = outgoing.computeIfAbsent(targets, t -> new ArrayList<>());
                batch.add(copy);
                sent++;
                if (batch.size() >= CopyWire.BATCH) {
                    sendCopies(targets, List.copyOf(batch));
                    batch.clear();
                }
            }
            if (!copy.isTombstone() && !now.contains(self)) {
                handedOver.add(id);
            }
        }
        outgoing.forEach((targets, batch) -> {
            if (!batch.isEmpty()) {
                sendCopies(targets, batch);
            }
        });
        for (SessionId id : handedOver) {
            // Read again, under the lock it is dropped in: a save may have landed since the walk,
            // and the joiners' pulls and late saves find the copy here.
            copies.handOver(id, copy -> leaving.put(id, copy));
        }
        if (!handedOver.isEmpty()) {
            rebalancer.schedule(
                    () -> handedOver.forEach(leaving::remove), LEAVING_KEPT.toMillis(), TimeUnit.MILLISECONDS);
        }
        moved.add(sent);
        LOG.info(
                "view change{}: sent {} copies to their replicas, handed over {}",
                merge ? " (merge)" : "",
                sent,
                handedOver.size());
    }

    private List<Address> replicas(SessionId id, List<Address> members) {
        Map<String, Address> byName = new HashMap<>();
        for (Address a : members) {
            byName.put(a.toString(), a);
        }
        return Rendezvous.top(id.value(), byName.keySet(), copyCount).stream()
                .map(byName::get)
                .toList();
    }

    private static ChangeSet invalidation(SessionId id) {
        return ChangeSet.builder(id, Instant.EPOCH, Instant.EPOCH).invalidated().build();
    }

    private static DataInputStream in(byte[] bytes) {
        return new DataInputStream(new ByteArrayInputStream(bytes));
    }

    private static byte[] encode(List<Copy> list, boolean single) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            if (single) {
                CopyWire.write(list.get(0), out);
            } else {
                CopyWire.writeAll(list, out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    @FunctionalInterface
    private interface Writer {
        void write(DataOutputStream out) throws IOException;
    }

    private static byte[] request(byte op, Writer body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(op);
            body.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Configures a {@link PrimaryBackupSessionStore}: see {@link ClusterStoreBuilder}, and the backups. */
    public static final class Builder extends ClusterStoreBuilder<Builder, PrimaryBackupSessionStore> {
        private int backups = 1;

        private Builder(String clusterName) {
            super(clusterName);
        }

        /** Copies besides the owner's (default 1). */
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
