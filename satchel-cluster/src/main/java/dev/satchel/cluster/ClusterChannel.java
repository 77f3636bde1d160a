package dev.satchel.cluster;

import dev.satchel.core.ClusterView;
import dev.satchel.core.support.DaemonThreads;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.Message;
import org.jgroups.Receiver;
import org.jgroups.View;
import org.jgroups.blocks.MessageDispatcher;
import org.jgroups.blocks.RequestHandler;
import org.jgroups.blocks.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What both cluster stores do with JGroups besides their own protocol: the channel and its
 * request dispatcher, the views (recorded in {@link Membership} before the store hears of them),
 * the start (join, wait for the listed peers, catch up behind the gate, open it; close on any
 * failure, since a member whose gate never opens would hold every save sent to it), readiness,
 * and the encoding of a request's kind and body.
 */
final class ClusterChannel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterChannel.class);

    private final JChannel channel;
    private final MessageDispatcher dispatcher;
    private final Membership membership = new Membership();
    private final MergeWatch mergeWatch = new MergeWatch();
    /**
     * Answers the one kind of request whose handling itself waits on other nodes (a conditional
     * save forwarded to the node that decides it, which then replicates it). Every other request
     * is answered on the thread that read it, in arrival order; this one must not be, since the
     * answers it waits for may arrive on that very connection. Bounded: past it, the sender gets
     * an error, not a stalled connection.
     */
    private final ThreadPoolExecutor deciders = new ThreadPoolExecutor(
            16, 16, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(1024), DaemonThreads.named("satchel-decide"));

    /** What a store does to catch up before its gate opens: its join pull. */
    @FunctionalInterface
    interface CatchUp {
        void run() throws Exception;
    }

    /** The body of a request, after its kind. */
    @FunctionalInterface
    interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    /**
     * A channel set up from the builder's stack and node name, not yet connected: {@code handler}
     * answers the other nodes' requests, those of kind {@code waitingKind} on a thread of their
     * own (see {@link #deciders}); {@code views} hears each view once {@link Membership} has.
     */
    ClusterChannel(ClusterStoreBuilder<?, ?> b, RequestHandler handler, byte waitingKind, Consumer<View> views)
            throws Exception {
        this.channel = new JChannel(b.config);
        b.nodeName.ifPresent(channel::setName);
        deciders.allowCoreThreadTimeOut(true);
        this.dispatcher = new MessageDispatcher(channel, new RequestHandler() {
                    @Override
                    public Object handle(Message message) throws Exception {
                        return handler.handle(message);
                    }

                    @Override
                    public void handle(Message message, Response response) {
                        if (message.getLength() > 0 && message.getArray()[message.getOffset()] == waitingKind) {
                            try {
                                deciders.execute(() -> answer(handler, message, response));
                            } catch (RejectedExecutionException e) {
                                respond(response, new IOException("too many conditional saves waiting here"), true);
                            }
                        } else {
                            answer(handler, message, response);
                        }
                    }
                })
                .asyncDispatching(true);
        dispatcher.setReceiver(new Receiver() {
            @Override
            public void viewAccepted(View view) {
                membership.viewInstalled(view);
                LOG.info("cluster view {}: {} nodes", view.getViewId(), view.size());
                views.accept(view);
            }
        });
    }

    /**
     * Joins the cluster, waits for the listed peers, catches up ({@code catchUp}, with saves held
     * at the gate meanwhile), then opens the gate. On any failure it runs {@code onFailure} (the
     * store's close) and throws.
     */
    void join(ClusterStoreBuilder<?, ?> b, CatchUp catchUp, Runnable onFailure) throws Exception {
        try {
            channel.connect(b.clusterName);
            Membership.awaitPeers(channel, b.clusterName, b.peerWait, LOG);
            catchUp.run();
            int early = membership.openGate();
            if (early > 0) {
                LOG.info("applied {} saves that reached this node before its sessions", early);
            }
        } catch (Exception | Error e) {
            onFailure.run();
            throw e;
        }
    }

    JChannel channel() {
        return channel;
    }

    private static void answer(RequestHandler handler, Message message, Response response) {
        Object result;
        try {
            result = handler.handle(message);
        } catch (Exception e) {
            respond(response, e, true);
            return;
        }
        respond(response, result, false);
    }

    /** A request sent without waiting for an answer has no response to send. */
    private static void respond(Response response, Object result, boolean failed) {
        if (response != null) {
            response.send(result, failed);
        }
    }

    MessageDispatcher dispatcher() {
        return dispatcher;
    }

    Membership membership() {
        return membership;
    }

    MergeWatch mergeWatch() {
        return mergeWatch;
    }

    Address self() {
        return channel.getAddress();
    }

    /** The members of the view JGroups installed last, this node included. */
    List<Address> members() {
        return channel.getView().getMembers();
    }

    /**
     * The installed view, ready once this node has its sessions, is not still catching up after
     * a merge, and holds at least half of the listed peers.
     */
    ClusterView view() {
        View now = channel.getView();
        return new ClusterView(
                now.getViewId().getCreator() + "|" + now.getViewId().getId(),
                now.getMembers().stream().map(Address::toString).toList(),
                membership.gateOpen() && mergeWatch.settled() && Membership.holdsEnoughOf(channel, now.size()));
    }

    @Override
    public void close() {
        deciders.shutdownNow();
        try {
            dispatcher.close();
        } catch (IOException e) {
            LOG.debug("closing the dispatcher: {}", e.getMessage());
        }
        channel.close();
    }

    /** A request: its kind, then its body. */
    static byte[] request(byte kind, Body body) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(kind);
            body.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static DataInputStream in(byte[] bytes) {
        return new DataInputStream(new ByteArrayInputStream(bytes));
    }

    static DataInputStream in(Message message) {
        return new DataInputStream(
                new ByteArrayInputStream(message.getArray(), message.getOffset(), message.getLength()));
    }
}
