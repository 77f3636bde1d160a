package dev.satchel.cluster;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ObservableSessionStore;
import dev.satchel.core.PrincipalIndexedStore;
import dev.satchel.core.ReportingStore;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionListener;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.memory.MemorySessionStore;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
 */
public final class ReplicatedSessionStore implements PrincipalIndexedStore, ObservableSessionStore, ReportingStore {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicatedSessionStore.class);
    /** In the view-id slot of a request, marks a joiner's pull rather than a save. */
    private static final long PULL = Long.MAX_VALUE;

    private final MemorySessionStore local;
    private final JChannel channel;
    private final MessageDispatcher dispatcher;
    private final Replication mode;
    private final Duration timeout;
    private final LongAdder bytesSent = new LongAdder();
    private final LongAdder messagesSent = new LongAdder();
    private final Membership membership = new Membership();
    private final ExecutorService handover = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "satchel-handover");
        t.setDaemon(true);
        return t;
    });

    private ReplicatedSessionStore(Builder b) throws Exception {
        this.mode = b.mode;
        this.timeout = b.timeout;
        this.local = MemorySessionStore.builder().clock(b.clock).build();
        this.channel = new JChannel(b.config);
        b.nodeName.ifPresent(channel::setName);
        this.dispatcher = new MessageDispatcher(channel, this::apply);
        dispatcher.setReceiver(new Receiver() {
            @Override
            public void viewAccepted(View view) {
                membership.viewInstalled(view);
                LOG.info("cluster view {}: {} nodes", view.getViewId(), view.size());
                if (view instanceof MergeView merge) {
                    handover.execute(() -> exchangeAfterMerge(merge));
                }
            }
        });
        channel.connect(b.clusterName);
        Membership.awaitPeers(channel, b.peerWait, LOG);
        if (channel.getView().size() > 1 && !channel.getView().getCoord().equals(channel.getAddress())) {
            pullEverySession(channel.getView().getCoord()); // from the oldest member
        }
        int early = membership.openGate(local::save);
        if (early > 0) {
            LOG.info("applied {} saves that reached this node before its sessions", early);
        }
    }

    /** Starts a configuration for a cluster named {@code clusterName} (every node uses the same). */
    public static Builder builder(String clusterName) {
        return new Builder(clusterName);
    }

    @Override
    public Optional<SessionRecord> load(SessionId id) {
        return local.load(id);
    }

    @Override
    public SaveOutcome save(ChangeSet changes) {
        Objects.requireNonNull(changes, "changes");
        SaveOutcome here = local.save(changes);
        if (mode == Replication.ASYNC) {
            send(changes, Optional.empty());
        } else {
            send(changes, Optional.of(timeout));
        }
        return here;
    }

    /**
     * Sends a save applied here to the other nodes, stamped with this node's view. Sessions travel
     * without JGroups' retransmission layers (flag {@code NO_RELIABILITY}): between two live nodes
     * TCP already delivers every message once and in order, and each connection's messages are
     * applied on its reader thread, in that order. What those layers added, copies for a node
     * that joins mid-save, {@link Membership} provides. With a wait, every other node has applied
     * the save when this returns.
     */
    private void send(ChangeSet changes, Optional<Duration> wait) {
        byte[] payload = encode(membership.currentViewId(), changes);
        messagesSent.increment();
        bytesSent.add(payload.length);
        Message message = new BytesMessage(null, payload).setFlag(Message.TransientFlag.DONT_LOOPBACK);
        try {
            if (wait.isEmpty()) {
                dispatcher.castMessage(null, message, RequestOptions.ASYNC().flags(Message.Flag.NO_RELIABILITY));
                return;
            }
            List<Address> others = new ArrayList<>(channel.getView().getMembers());
            others.remove(channel.getAddress());
            if (others.isEmpty()) {
                return;
            }
            RspList<Object> answers = dispatcher.castMessage(
                    others,
                    message,
                    new RequestOptions(ResponseMode.GET_ALL, wait.get().toMillis()).flags(Message.Flag.NO_RELIABILITY));
            for (Rsp<Object> answer : answers.values()) {
                if (!answer.wasReceived() && !answer.wasSuspected()) {
                    throw new SessionStoreUnavailableException(
                            "a node did not acknowledge the save within " + wait.get(), null);
                }
            }
        } catch (SessionStoreUnavailableException e) {
            throw e;
        } catch (Exception e) {
            throw new SessionStoreUnavailableException("the cluster did not take the save: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean delete(SessionId id) {
        if (local.load(id).isEmpty()) {
            return false;
        }
        return save(ChangeSet.builder(id, Instant.EPOCH, Instant.EPOCH)
                        .invalidated()
                        .build())
                == SaveOutcome.INVALIDATED;
    }

    @Override
    public List<SessionRecord> findByPrincipal(String principal) {
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

    /** {@code saves_sent}, {@code bytes_sent} (change sets, before JGroups' framing), {@code sessions_held}, {@code members}. */
    @Override
    public Map<String, Long> counters() {
        return Map.of(
                "saves_sent",
                messagesSent.sum(),
                "bytes_sent",
                bytesSent.sum(),
                "sessions_held",
                (long) local.size(),
                "members",
                (long) channel.getView().size());
    }

    /** The nodes in the cluster now, this one included. */
    public List<String> members() {
        return channel.getView().getMembers().stream().map(Address::toString).toList();
    }

    /** The view JGroups installed on this node: its id and its members, as {@link #members()} names them. */
    public dev.satchel.core.ClusterView view() {
        View now = channel.getView();
        return new dev.satchel.core.ClusterView(
                now.getViewId().getCreator() + "|" + now.getViewId().getId(),
                now.getMembers().stream().map(Address::toString).toList());
    }

    /** Sessions this node holds. */
    public int size() {
        return local.size();
    }

    /** Saves sent from this node, and their encoded bytes (framing of JGroups not included). */
    public long[] sent() {
        return new long[] {messagesSent.sum(), bytesSent.sum()};
    }

    @Override
    public void close() {
        handover.shutdownNow();
        try {
            dispatcher.close();
        } catch (IOException e) {
            LOG.debug("closing the dispatcher: {}", e.getMessage());
        }
        channel.close();
        local.close();
    }

    /**
     * A save from another node, applied to this node's copy (or held, while this node is still
     * receiving its first copy). A save sent in an older view than this node's may not have
     * reached the nodes that joined since: this node passes the session on to them.
     */
    private Object apply(Message message) throws IOException {
        DataInputStream in = new DataInputStream(
                new java.io.ByteArrayInputStream(message.getArray(), message.getOffset(), message.getLength()));
        long sentIn = ChangeSetWire.readVarLong(in);
        if (sentIn == PULL) {
            return answerPull(in);
        }
        ChangeSet changes = ChangeSetWire.read(in);
        if (membership.applyOrHold(changes, local::save)) {
            List<Address> missed = membership.missedBy(sentIn, message.getSrc(), channel.getAddress());
            if (!missed.isEmpty()) {
                handover.execute(() -> passOn(changes.id(), missed));
            }
        }
        return null;
    }

    /** Sends this node's whole copy of a session (or its end) to nodes a save may have missed. */
    private void passOn(SessionId id, List<Address> targets) {
        ChangeSet copy = local.load(id).map(ChangeSetWire::recreate).orElseGet(() -> ChangeSet.builder(
                        id, Instant.EPOCH, Instant.EPOCH)
                .invalidated()
                .build());
        try {
            RspList<Object> answers = dispatcher.castMessage(
                    targets,
                    new BytesMessage(null, encode(membership.currentViewId(), copy)),
                    new RequestOptions(ResponseMode.GET_ALL, timeout.toMillis())
                            .flags(Message.Flag.NO_RELIABILITY)
                            .anycasting(true));
            LOG.debug("passed session {} on to {} nodes that joined: {}", id, targets.size(), answers.numReceived());
        } catch (Exception e) {
            LOG.warn("could not pass session {} on to {}: {}", id, targets, e.getMessage());
        }
    }

    /**
     * After a partition heals (or a node that started alone is merged in), each side's first
     * node sends every session it holds to the nodes of the other sides.
     */
    private void exchangeAfterMerge(MergeView merge) {
        for (View subgroup : merge.getSubgroups()) {
            if (subgroup.getMembers().contains(channel.getAddress())) {
                if (!subgroup.getCoord().equals(channel.getAddress())) {
                    return;
                }
                List<Address> others = new ArrayList<>(merge.getMembers());
                others.removeAll(subgroup.getMembers());
                if (others.isEmpty()) {
                    return;
                }
                List<SessionRecord> sessions = local.snapshot();
                for (SessionRecord r : sessions) {
                    passOn(r.id(), others);
                }
                LOG.info("merged: sent {} sessions to {} nodes of the other side", sessions.size(), others.size());
                return;
            }
        }
    }

    /**
     * A joining node takes every session from the oldest member before it serves, in pages by a
     * hash of the id: one message of every session would hold up, on the same connection, every
     * save that member sends behind it (JGroups' STATE_TRANSFER did: 0.6 s at 100,000 sessions).
     * Saves reaching this node meanwhile wait at the gate and apply after.
     */
    private void pullEverySession(Address from) throws Exception {
        int received = 0;
        for (int p = 0; p < PullPage.COUNT; p++) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                ChangeSetWire.writeVarLong(out, PULL);
                out.writeUTF(channel.getAddress().toString());
                new PullPage(p, PullPage.COUNT).write(out);
            }
            byte[] answer = dispatcher.sendMessage(
                    new BytesMessage(from, bytes.toByteArray()),
                    RequestOptions.SYNC().timeout(timeout.toMillis() * 5));
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(answer));
            int count = in.readInt();
            for (int i = 0; i < count; i++) {
                local.save(ChangeSetWire.read(in));
            }
            received += count;
        }
        LOG.info("received {} sessions on joining, from {}", received, from);
    }

    /**
     * One page of every session, for a joining node. Answered once this node's view holds the
     * joiner: a save sent in the view before then either arrived first, and is in a page, or
     * arrives after, and this node passes it on to the joiner.
     */
    private byte[] answerPull(DataInputStream in) throws IOException {
        String joiner = in.readUTF();
        PullPage page = PullPage.read(in);
        membership.awaitMember(joiner, timeout);
        List<SessionRecord> sessions = new ArrayList<>();
        for (SessionRecord r : local.snapshot()) {
            if (page.holds(r.id())) {
                sessions.add(r);
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 * sessions.size() + 4);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(sessions.size());
            for (SessionRecord r : sessions) {
                ChangeSetWire.write(ChangeSetWire.recreate(r), out);
            }
        }
        return bytes.toByteArray();
    }

    private static byte[] encode(long viewId, ChangeSet changes) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            ChangeSetWire.writeVarLong(out, viewId);
            ChangeSetWire.write(changes, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
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
