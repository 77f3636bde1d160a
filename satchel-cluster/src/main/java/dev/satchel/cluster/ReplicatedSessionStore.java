package dev.satchel.cluster;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ObservableSessionStore;
import dev.satchel.core.PrincipalIndexedStore;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionListener;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.memory.MemorySessionStore;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
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
 * does. No external server: membership, failure detection, ordering and reliable delivery come from
 * JGroups; a node that joins receives every session by state transfer while the others go on.
 *
 * <p><b>Modes.</b> {@link Mode#SYNC} (default): a save returns once every node applied it, so no
 * acknowledged write is lost when a node dies; the stack's SEQUENCER gives every node the same
 * order of saves. {@link Mode#ASYNC}: a save applies here and returns; the others apply it
 * shortly after, and the last writes of a node that dies may be lost.
 *
 * <p><b>Reads</b> are local: no hop. Expiry runs on each node against its own copy; the copies
 * agree because every save carries the times. Last-access times travel only with the throttled
 * touches the servlet filter makes, so there are no access-time storms. The cost: memory that
 * grows with the number of sessions on every node, and one multicast per save.
 */
public final class ReplicatedSessionStore implements PrincipalIndexedStore, ObservableSessionStore {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicatedSessionStore.class);

    /** Whether a save waits for the other nodes. */
    public enum Mode {
        /** Every node applied the save before it returns. */
        SYNC,
        /** The save returns once applied here; the others follow. */
        ASYNC
    }

    private final MemorySessionStore local;
    private final JChannel channel;
    private final MessageDispatcher dispatcher;
    private final Mode mode;
    private final Duration timeout;
    private final LongAdder bytesSent = new LongAdder();
    private final LongAdder messagesSent = new LongAdder();

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
                LOG.info("cluster view {}: {} nodes", view.getViewId(), view.size());
            }

            @Override
            public void getState(OutputStream out) throws Exception {
                sendState(out);
            }

            @Override
            public void setState(InputStream in) throws Exception {
                receiveState(in);
            }
        });
        channel.connect(b.clusterName);
        if (channel.getView().size() > 1) {
            channel.getState(null, b.timeout.toMillis() * 10); // every session, from the oldest member
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
        byte[] payload = encode(changes);
        messagesSent.increment();
        bytesSent.add(payload.length);
        try {
            if (mode == Mode.ASYNC) {
                SaveOutcome here = local.save(changes);
                Message message = new BytesMessage(null, payload).setFlag(Message.TransientFlag.DONT_LOOPBACK);
                dispatcher.castMessage(null, message, RequestOptions.ASYNC());
                return here;
            }
            RspList<Byte> answers = dispatcher.castMessage(
                    null,
                    new BytesMessage(null, payload),
                    new RequestOptions(ResponseMode.GET_ALL, timeout.toMillis()));
            Rsp<Byte> mine = answers.get(channel.getAddress());
            for (Rsp<Byte> answer : answers.values()) {
                if (!answer.wasReceived() && !answer.wasSuspected()) {
                    throw new SessionStoreUnavailableException(
                            "a node did not acknowledge the save within " + timeout, null);
                }
            }
            if (mine == null || !mine.wasReceived()) {
                throw new SessionStoreUnavailableException("this node did not apply its own save", null);
            }
            return SaveOutcome.values()[mine.getValue()];
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

    /** The nodes in the cluster now, this one included. */
    public List<String> members() {
        return channel.getView().getMembers().stream().map(Address::toString).toList();
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
        try {
            dispatcher.close();
        } catch (IOException e) {
            LOG.debug("closing the dispatcher: {}", e.getMessage());
        }
        channel.close();
        local.close();
    }

    /** A save from any node, this one included, applied to this node's copy. */
    private Object apply(Message message) throws IOException {
        ChangeSet changes = ChangeSetWire.read(new DataInputStream(
                new java.io.ByteArrayInputStream(message.getArray(), message.getOffset(), message.getLength())));
        return (byte) local.save(changes).ordinal();
    }

    private void sendState(OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        List<SessionRecord> sessions = local.snapshot();
        data.writeInt(sessions.size());
        for (SessionRecord r : sessions) {
            ChangeSetWire.write(ChangeSetWire.recreate(r), data);
        }
        data.flush();
        LOG.info("sent {} sessions to a joining node", sessions.size());
    }

    private void receiveState(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        int count = data.readInt();
        for (int i = 0; i < count; i++) {
            local.save(ChangeSetWire.read(data));
        }
        LOG.info("received {} sessions on joining", count);
    }

    private static byte[] encode(ChangeSet changes) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            ChangeSetWire.write(changes, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Configures a {@link ReplicatedSessionStore}: see {@link ClusterStoreBuilder}, and the mode. */
    public static final class Builder extends ClusterStoreBuilder<Builder, ReplicatedSessionStore> {
        private Mode mode = Mode.SYNC;

        private Builder(String clusterName) {
            super(clusterName);
        }

        /** {@link Mode#SYNC} (default) or {@link Mode#ASYNC}. */
        public Builder mode(Mode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        @Override
        ReplicatedSessionStore create() throws Exception {
            return new ReplicatedSessionStore(this);
        }
    }
}
