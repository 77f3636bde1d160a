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
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
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
 * the missing copy), then drops the ones it no longer ranks for. Only sessions whose ranking
 * changed move; reads are served throughout, from whoever still holds a copy.
 *
 * <p>Saves are synchronous by default: a save returns once every replica applied it. With {@link
 * Replication#ASYNC} a save made on a replica returns once applied there. Events: CREATED and
 * DELETED on the node whose request caused them; EXPIRED on every node, announced by the owner
 * when its copy expires (by a read or its sweep).
 */
public final class PrimaryBackupSessionStore implements PrincipalIndexedStore, ObservableSessionStore, ReportingStore {
    private static final Logger LOG = LoggerFactory.getLogger(PrimaryBackupSessionStore.class);
    private static final byte SAVE = 1;
    private static final byte GET = 2;
    private static final byte FIND = 3;
    private static final byte FETCH = 4;
    private static final byte EXPIRED = 5;
    /** A save's answer from a node that holds it until its own copies arrive: it decides nothing. */
    private static final byte HELD = 100;

    private final MemorySessionStore local;
    private final JChannel channel;
    private final MessageDispatcher dispatcher;
    private final int copies;
    private final Replication mode;
    private final Duration timeout;
    private final Clock clock;
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
     * Copies this node handed over when it stopped being one of their replicas, kept a while:
     * a save sent to it in the older view may still arrive, and must still reach the new replicas.
     */
    private final Map<SessionId, SessionRecord> leaving = new java.util.concurrent.ConcurrentHashMap<>();

    private volatile List<Address> members = List.of();
    private volatile long lastViewChange = System.nanoTime();
    /** How long after a view change a replica missing a session asks the others for it. */
    private static final Duration HANDOVER_WINDOW = Duration.ofSeconds(60);
    /** How long a handed-over copy is kept for saves sent before the view change. */
    private static final Duration LEAVING_KEPT = Duration.ofSeconds(30);

    private final LongAdder remoteReads = new LongAdder();
    private final LongAdder moved = new LongAdder();
    private final SessionListeners listeners = new SessionListeners();
    private final Membership membership = new Membership();

    private PrimaryBackupSessionStore(Builder b) throws Exception {
        this.copies = 1 + b.backups;
        this.mode = b.mode;
        this.timeout = b.timeout;
        this.clock = b.clock;
        this.local = MemorySessionStore.builder().clock(b.clock).build();
        this.channel = new JChannel(b.config);
        b.nodeName.ifPresent(channel::setName);
        this.dispatcher = new MessageDispatcher(channel, this::handle);
        dispatcher.setReceiver(new Receiver() {
            @Override
            public void viewAccepted(View view) {
                List<Address> before = members;
                membership.viewInstalled(view);
                members = List.copyOf(view.getMembers());
                lastViewChange = System.nanoTime();
                LOG.info("cluster view {}: {} nodes", view.getViewId(), view.size());
                if (!before.isEmpty()) {
                    // Nodes that joined pull their sessions themselves, behind their gate; a copy
                    // sent to them now could land after a newer save and undo it. After a merge
                    // nobody pulls: each side sends the other what now ranks to it.
                    List<Address> after = members;
                    Set<Address> pulling = new HashSet<>(after);
                    before.forEach(pulling::remove);
                    if (view instanceof MergeView) {
                        pulling.clear();
                    }
                    rebalancer.execute(() -> rebalance(before, after, pulling));
                }
            }
        });
        // A session expires on its owner (by read or sweep); the owner tells every node, so each
        // node's listeners hear of it exactly once. Backups' copies expiring are not news.
        local.subscribe(event -> {
            if (event.type() == SessionEvent.Type.EXPIRED && isOwner(event.id())) {
                announceExpiry(event);
            }
        });
        channel.connect(b.clusterName);
        Membership.awaitPeers(channel, b.peerWait, LOG);
        members = List.copyOf(channel.getView().getMembers());
        if (members.size() > 1) {
            pullMySessions();
        }
        int early = membership.openGate(local::save);
        if (early > 0) {
            LOG.info("applied {} saves that reached this node before its sessions", early);
        }
    }

    /**
     * A joining (or restarting) node takes the sessions that now rank to it before it serves any
     * request, so it never answers "no such session" for one it owns but has not received yet.
     */
    private void pullMySessions() throws Exception {
        List<Address> others = new ArrayList<>(members);
        others.remove(channel.getAddress());
        int received = 0;
        // In pages (PullPage): one answer of every session would hold up the saves behind it.
        for (int p = 0; p < PullPage.COUNT; p++) {
            PullPage page = new PullPage(p, PullPage.COUNT);
            RspList<byte[]> answers = dispatcher.castMessage(
                    others,
                    new BytesMessage(null, request(FETCH, out -> {
                        // The joiner's view, not the answering node's: that node may not have
                        // installed the view with the joiner yet, and would rank without it.
                        out.writeUTF(channel.getAddress().toString());
                        out.writeInt(members.size());
                        for (Address member : members) {
                            out.writeUTF(member.toString());
                        }
                        page.write(out);
                    })),
                    new RequestOptions(ResponseMode.GET_ALL, timeout.toMillis() * 5).anycasting(true));
            for (Rsp<byte[]> rsp : answers.values()) {
                if (rsp.wasReceived() && rsp.getValue() != null) {
                    DataInputStream in = new DataInputStream(new ByteArrayInputStream(rsp.getValue()));
                    int n = in.readInt();
                    for (int i = 0; i < n; i++) {
                        local.save(ChangeSetWire.recreate(readRecord(in)));
                        received++;
                    }
                }
            }
        }
        LOG.info("joined with {} session copies from {} nodes", received, others.size());
    }

    /** Starts a configuration for a cluster named {@code clusterName}. */
    public static Builder builder(String clusterName) {
        return new Builder(clusterName);
    }

    @Override
    public Optional<SessionRecord> load(SessionId id) {
        Optional<SessionRecord> here = local.load(id);
        if (here.isPresent()) {
            return here;
        }
        List<Address> replicas = replicas(id, members);
        if (replicas.contains(channel.getAddress())) {
            // A replica without the session: there is none, unless the view changed moments ago and
            // its copy is still on the way; then it asks the others and keeps what they have.
            return System.nanoTime() - lastViewChange < HANDOVER_WINDOW.toNanos() ? pullOnMiss(id) : Optional.empty();
        }
        remoteReads.increment();
        boolean answered = false;
        for (Address replica : replicas) { // the owner first; a backup if the owner is gone or has
            try { // not received its copy yet
                byte[] answer = dispatcher.sendMessage(
                        new BytesMessage(replica, request(GET, out -> out.writeUTF(id.value()))),
                        RequestOptions.SYNC().timeout(timeout.toMillis()));
                answered = true;
                if (answer != null && answer.length > 0) {
                    return Optional.of(decodeRecord(answer));
                }
            } catch (Exception e) {
                LOG.debug("{} did not answer a read: {}", replica, e.getMessage());
            }
        }
        if (answered) {
            return Optional.empty();
        }
        throw new SessionStoreUnavailableException("no replica of the session answered within " + timeout, null);
    }

    private Optional<SessionRecord> pullOnMiss(SessionId id) {
        List<Address> others = new ArrayList<>(members);
        others.remove(channel.getAddress());
        if (others.isEmpty()) {
            return Optional.empty();
        }
        try {
            RspList<byte[]> answers = dispatcher.castMessage(
                    others,
                    new BytesMessage(null, request(GET, out -> out.writeUTF(id.value()))),
                    new RequestOptions(ResponseMode.GET_ALL, timeout.toMillis()).anycasting(true));
            for (Rsp<byte[]> rsp : answers.values()) {
                if (rsp.wasReceived() && rsp.getValue() != null && rsp.getValue().length > 0) {
                    SessionRecord found = decodeRecord(rsp.getValue());
                    local.save(ChangeSetWire.recreate(found));
                    remoteReads.increment();
                    return Optional.of(found);
                }
            }
            return Optional.empty();
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
        Collection<Address> targets = new LinkedHashSet<>(replicas(changes.id(), members));
        changes.previousId().ifPresent(previous -> targets.addAll(replicas(previous, members)));
        SaveOutcome outcome = send(targets, changes, mode);
        if (outcome == SaveOutcome.CREATED) {
            publish(new SessionEvent(SessionEvent.Type.CREATED, changes.id(), Optional.empty()));
        } else if (outcome == SaveOutcome.INVALIDATED) {
            publish(new SessionEvent(SessionEvent.Type.DELETED, changes.id(), Optional.empty()));
        }
        return outcome;
    }

    /** A new id ranks elsewhere: the renamed session is created on its new replicas, the old one ended. */
    private SaveOutcome rename(ChangeSet changes) {
        SessionId previous = changes.previousId().orElseThrow();
        Optional<SessionRecord> old = load(previous);
        if (old.isEmpty()) {
            return SaveOutcome.GONE;
        }
        SessionRecord renamed = old.get().apply(changes);
        send(replicas(renamed.id(), members), ChangeSetWire.recreate(renamed));
        send(replicas(previous, members), invalidation(previous));
        return SaveOutcome.UPDATED;
    }

    /**
     * Applies a save on its replicas: here first when this node is one, then on the others, and
     * waits for them. Sessions travel without JGroups' retransmission layers ({@code
     * NO_RELIABILITY}): TCP delivers in order between live nodes and each connection's messages
     * are applied in that order; {@link Membership} covers the nodes that join mid-save.
     */
    private SaveOutcome send(Collection<Address> targets, ChangeSet changes) {
        return send(targets, changes, Replication.SYNC);
    }

    /**
     * As {@link #send(Collection, ChangeSet)}; asynchronously when asked and this node is a
     * replica, whose own copy's outcome is then the answer.
     */
    private SaveOutcome send(Collection<Address> targets, ChangeSet changes, Replication replication) {
        Address self = channel.getAddress();
        if (replication == Replication.ASYNC && targets.contains(self)) {
            SaveOutcome here = local.save(changes);
            List<Address> others = new ArrayList<>(targets);
            others.remove(self);
            if (!others.isEmpty()) {
                try {
                    dispatcher.castMessage(
                            others,
                            new BytesMessage(null, saveRequest(changes)),
                            RequestOptions.ASYNC().anycasting(true).flags(Message.Flag.NO_RELIABILITY));
                } catch (Exception e) {
                    LOG.warn("could not send a save to the backups of {}: {}", changes.id(), e.getMessage());
                }
            }
            return here;
        }
        Map<Address, SaveOutcome> outcomes = new HashMap<>();
        boolean answered = targets.contains(self);
        if (targets.contains(self)) {
            outcomes.put(self, local.save(changes));
        }
        List<Address> others = new ArrayList<>(targets);
        others.remove(self);
        if (!others.isEmpty()) {
            byte[] payload = saveRequest(changes);
            try {
                RspList<Byte> answers = dispatcher.castMessage(
                        others,
                        new BytesMessage(null, payload),
                        new RequestOptions(ResponseMode.GET_ALL, timeout.toMillis())
                                .anycasting(true)
                                .flags(Message.Flag.NO_RELIABILITY));
                for (Map.Entry<Address, Rsp<Byte>> e : answers.entrySet()) {
                    Rsp<Byte> rsp = e.getValue();
                    if (!rsp.wasReceived() && !rsp.wasSuspected()) {
                        throw new SessionStoreUnavailableException(
                                "a replica did not acknowledge the save within " + timeout, null);
                    }
                    answered |= rsp.wasReceived();
                    if (rsp.wasReceived() && rsp.getValue() != null && rsp.getValue() != HELD) {
                        outcomes.put(e.getKey(), SaveOutcome.values()[rsp.getValue()]);
                    }
                }
            } catch (SessionStoreUnavailableException e) {
                throw e;
            } catch (Exception e) {
                throw new SessionStoreUnavailableException("the cluster did not take the save: " + e.getMessage(), e);
            }
        }
        // The owner's answer decides, unless a replica that has the session says so while the
        // owner's copy is on the way.
        Optional<SaveOutcome> outcome = Optional.empty();
        for (Address target : targets) {
            SaveOutcome answer = outcomes.get(target);
            if (answer != null && (outcome.isEmpty() || outcome.get() == SaveOutcome.GONE)) {
                outcome = Optional.of(answer);
            }
        }
        if (!answered) {
            throw new SessionStoreUnavailableException("no replica of the session answered", null);
        }
        return outcome.orElse(SaveOutcome.UPDATED); // every replica is still receiving its copies
    }

    @Override
    public boolean delete(SessionId id) {
        if (load(id).isEmpty()) {
            return false;
        }
        boolean deleted = send(replicas(id, members), invalidation(id)) == SaveOutcome.INVALIDATED;
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
        List<Address> replicas = replicas(id, members);
        return !replicas.isEmpty() && replicas.get(0).equals(channel.getAddress());
    }

    private void announceExpiry(SessionEvent event) {
        byte[] payload = request(EXPIRED, out -> {
            out.writeUTF(event.id().value());
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
                    DataInputStream in = new DataInputStream(new ByteArrayInputStream(rsp.getValue()));
                    int n = in.readInt();
                    for (int i = 0; i < n; i++) {
                        SessionRecord r = readRecord(in);
                        found.putIfAbsent(r.id(), r);
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
     * sessions_held} and {@code members}.
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
                "members",
                (long) members.size());
    }

    /** The nodes in the cluster now, this one included. */
    public List<String> members() {
        return members.stream().map(Address::toString).toList();
    }

    /** The view JGroups installed on this node: its id and its members, as {@link #members()} names them. */
    public dev.satchel.core.ClusterView view() {
        View now = channel.getView();
        return new dev.satchel.core.ClusterView(
                now.getViewId().getCreator() + "|" + now.getViewId().getId(),
                now.getMembers().stream().map(Address::toString).toList());
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
        local.close();
    }

    private Object handle(Message message) throws IOException {
        DataInputStream in = new DataInputStream(
                new ByteArrayInputStream(message.getArray(), message.getOffset(), message.getLength()));
        switch (in.readByte()) {
            case SAVE -> {
                long sentIn = ChangeSetWire.readVarLong(in);
                ChangeSet changes = ChangeSetWire.read(in);
                SaveOutcome[] outcome = new SaveOutcome[1];
                if (!membership.applyOrHold(changes, c -> outcome[0] = applySave(c))) {
                    return HELD;
                }
                if (outcome[0] != SaveOutcome.GONE && membership.isOlderThanCurrent(sentIn)) {
                    passOnAfterViewChange(changes.id(), sentIn);
                }
                return (byte) outcome[0].ordinal();
            }
            case GET -> {
                Optional<SessionId> id = SessionId.parse(in.readUTF());
                Optional<SessionRecord> r = id.flatMap(local::load);
                return r.isEmpty() ? new byte[0] : encodeRecord(r.get());
            }
            case EXPIRED -> {
                Optional<SessionId> id = SessionId.parse(in.readUTF());
                Optional<SessionRecord> last =
                        in.readBoolean() ? Optional.of(SessionRecord.create(ChangeSetWire.read(in))) : Optional.empty();
                id.ifPresent(expired -> publish(new SessionEvent(SessionEvent.Type.EXPIRED, expired, last)));
                return null;
            }
            case FETCH -> {
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
                List<SessionRecord> theirs = new ArrayList<>();
                for (SessionRecord r : local.snapshot()) {
                    if (page.holds(r.id())
                            && Rendezvous.top(r.id().value(), joinersView, copies)
                                    .contains(joiner)) {
                        theirs.add(r);
                    }
                }
                return encodeRecords(theirs);
            }
            case FIND -> {
                String principal = in.readUTF();
                List<SessionRecord> owned = new ArrayList<>();
                for (SessionRecord r : local.findByPrincipal(principal)) {
                    if (replicas(r.id(), members).get(0).equals(channel.getAddress())) {
                        owned.add(r); // each session answered once, by its owner
                    }
                }
                return encodeRecords(owned);
            }
            default -> throw new IOException("unknown request");
        }
    }

    private byte[] saveRequest(ChangeSet changes) {
        return request(SAVE, out -> {
            ChangeSetWire.writeVarLong(out, membership.currentViewId());
            ChangeSetWire.write(changes, out);
        });
    }

    /**
     * A save from another node, applied to this node's copy; or, when this node handed its copy
     * over on a view change moments ago, to that copy, so it can still be passed on.
     */
    private SaveOutcome applySave(ChangeSet changes) {
        SaveOutcome outcome = local.save(changes);
        if (outcome != SaveOutcome.GONE || changes.previousId().isPresent()) {
            return outcome;
        }
        if (changes.invalidated()) {
            return leaving.remove(changes.id()) == null ? SaveOutcome.GONE : SaveOutcome.INVALIDATED;
        }
        return leaving.computeIfPresent(changes.id(), (id, copy) -> copy.apply(changes)) == null
                ? SaveOutcome.GONE
                : SaveOutcome.UPDATED;
    }

    /**
     * A save sent in an older view went to the replicas of that view. Replicas of the current view
     * that were not among them (a node that joined, or one that moved up when another left) get
     * this node's copy, as it is now that the save is in.
     */
    private void passOnAfterViewChange(SessionId id, long sentIn) {
        List<Address> missed = new ArrayList<>(replicas(id, members));
        membership.membersOf(sentIn).ifPresent(then -> missed.removeAll(replicas(id, then)));
        missed.remove(channel.getAddress());
        if (!missed.isEmpty()) {
            rebalancer.execute(() -> passOn(id, missed));
        }
    }

    /** Sends this node's copy of a session as it is now (or its end, if it ended) to the targets. */
    private void passOn(SessionId id, List<Address> targets) {
        ChangeSet copy = local.load(id)
                .or(() -> Optional.ofNullable(leaving.get(id)))
                .map(ChangeSetWire::recreate)
                .orElseGet(() -> invalidation(id));
        sendInOrder(targets, copy);
        LOG.debug("passed session {} on to {} new replicas", id, targets.size());
    }

    /**
     * Sends without waiting for an answer, from the rebalancing thread only: TCP keeps what one
     * thread sends to a node in order, and no copy waits behind a slow node's acknowledgement.
     */
    private void sendInOrder(List<Address> targets, ChangeSet changes) {
        try {
            dispatcher.castMessage(
                    targets,
                    new BytesMessage(null, saveRequest(changes)),
                    RequestOptions.ASYNC().anycasting(true).flags(Message.Flag.NO_RELIABILITY));
        } catch (Exception e) {
            LOG.warn("could not send session {} to {}: {}", changes.id(), targets, e.getMessage());
        }
    }

    /**
     * After a view change: sends each held session to the nodes that now rank among its replicas
     * and did not before, then drops those this node no longer ranks for.
     */
    private void rebalance(List<Address> before, List<Address> after, Set<Address> pulling) {
        Set<Address> gone = new LinkedHashSet<>(before);
        gone.removeAll(after);
        int sent = 0;
        List<SessionId> handedOver = new ArrayList<>();
        for (SessionRecord listed : local.snapshot()) {
            SessionId id = listed.id();
            List<Address> now = replicas(id, after);
            List<Address> missing = new ArrayList<>(now);
            missing.removeAll(replicas(id, before));
            missing.removeAll(pulling);
            missing.remove(channel.getAddress());
            Optional<SessionRecord> current = local.load(id); // as it is now, not as listed
            if (current.isEmpty()) {
                continue;
            }
            if (!missing.isEmpty()) {
                sendInOrder(missing, ChangeSetWire.recreate(current.get()));
                sent++;
            }
            if (!now.contains(channel.getAddress())) {
                leaving.put(id, current.get()); // a save still on its way may need passing on
                local.delete(id); // handed over: no longer one of its replicas
                handedOver.add(id);
            }
        }
        if (!handedOver.isEmpty()) {
            rebalancer.schedule(
                    () -> handedOver.forEach(leaving::remove), LEAVING_KEPT.toMillis(), TimeUnit.MILLISECONDS);
        }
        moved.add(sent);
        LOG.info("view change ({} left): sent {} sessions to their new replicas", gone.size(), sent);
    }

    private List<Address> replicas(SessionId id, List<Address> view) {
        Map<String, Address> byName = new HashMap<>();
        for (Address a : view) {
            byName.put(a.toString(), a);
        }
        return Rendezvous.top(id.value(), byName.keySet(), copies).stream()
                .map(byName::get)
                .toList();
    }

    private static ChangeSet invalidation(SessionId id) {
        return ChangeSet.builder(id, Instant.EPOCH, Instant.EPOCH).invalidated().build();
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

    private static byte[] encodeRecord(SessionRecord r) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writeRecord(r, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** A whole record: the change set that recreates it, then its version, which that would reset. */
    private static void writeRecord(SessionRecord r, DataOutputStream out) throws IOException {
        ChangeSetWire.write(ChangeSetWire.recreate(r), out);
        out.writeLong(r.version());
    }

    private static SessionRecord readRecord(DataInputStream in) throws IOException {
        SessionRecord r = SessionRecord.create(ChangeSetWire.read(in));
        return new SessionRecord(
                r.id(),
                r.createdAt(),
                r.lastAccessedAt(),
                r.maxInactiveInterval(),
                r.absoluteDeadline(),
                r.attributes(),
                r.principal(),
                in.readLong());
    }

    private static byte[] encodeRecords(List<SessionRecord> records) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(records.size());
            for (SessionRecord r : records) {
                writeRecord(r, out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static SessionRecord decodeRecord(byte[] bytes) throws IOException {
        return readRecord(new DataInputStream(new ByteArrayInputStream(bytes)));
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
