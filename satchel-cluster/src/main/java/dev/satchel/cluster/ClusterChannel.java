// Over 500 lines since the partition fixes (sessions 13 and 14): readiness, exclusion by a
// majority's view and the catch-up after a merge all read and change the same view state, in the
// same view callback, and must agree on it; split apart they would each need the others' fields.
package dev.satchel.cluster;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ClusterView;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.support.DaemonThreads;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
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
    /** The peers the stack lists, for readiness (read once: the list is configuration). */
    private final long listedPeers;
    /**
     * The view this node was in when a node of a majority view refused its request as coming from
     * outside that view; it counts itself out for as long as it stays in that view.
     */
    private volatile org.jgroups.ViewId excludedIn;

    private volatile long excludedSince;

    /**
     * The id of the merge view that brought this node back from the smaller side of a partition,
     * while it has not taken the other side's sessions yet; {@link #NOT_BEHIND} otherwise.
     */
    private final java.util.concurrent.atomic.AtomicLong behindSince =
            new java.util.concurrent.atomic.AtomicLong(NOT_BEHIND);

    private static final long NOT_BEHIND = -1;
    /**
     * Whether the last merge found this node on the strictly bigger side, holding enough of the
     * listed peers: the smaller side took no saves but deletions while apart and pulls before it
     * serves, so this side's copies are already the newest and it need not wait for the other
     * side's (waiting, every node of both sides was "not ready" at once for seconds after each
     * merge in the lab, and the balancer had nowhere to send anyone). Equal sides (a 2-node split)
     * both took saves, and both wait.
     */
    private volatile boolean fromBiggerSide;

    /** The nodes of the other side of the last merge that found this node behind. */
    private volatile List<Address> otherSide = List.of();

    private volatile AfterMerge afterMerge = otherSide -> {};
    /** Runs the pull after a merge, off JGroups' threads (it waits on answers those threads carry). */
    private final java.util.concurrent.ExecutorService catchingUp =
            java.util.concurrent.Executors.newSingleThreadExecutor(DaemonThreads.named("satchel-catch-up"));
    /** How long a failed pull after a merge waits before it asks again. */
    private static final Duration RETRY_CATCH_UP = Duration.ofSeconds(1);
    /** How long a refusal keeps this node out, unless a view change ends it first. */
    private static final Duration EXCLUSION_HELD = Duration.ofSeconds(20);

    /** Starts the message of a refusal to a node outside a majority's view, which its sender looks for. */
    static final String NOT_IN_VIEW = "not in the view of a majority: ";

    /** A refusal, with the number of the refusing node's view and the name of the node it refused. */
    private static final java.util.regex.Pattern REFUSAL = java.util.regex.Pattern.compile(
            java.util.regex.Pattern.quote(NOT_IN_VIEW) + "#(\\d{1,18}) (\\S+) is not in view");
    /**
     * Answers the one kind of request whose handling itself waits on other nodes (a conditional
     * save forwarded to the node that decides it, which then replicates it). Every other request
     * is answered on the thread that read it, in arrival order; this one must not be, since the
     * answers it waits for may arrive on that very connection. Bounded: past it, the sender gets
     * an error, not a stalled connection.
     */
    private final ThreadPoolExecutor deciders = new ThreadPoolExecutor(
            16, 16, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(1024), DaemonThreads.named("satchel-decide"));

    /** Where the answers to this node's synchronous saves come back, and the others' go. */
    private final AnswerPath answers;

    /** What a store does to catch up before its gate opens: its join pull. */
    @FunctionalInterface
    interface CatchUp {
        void run() throws Exception;
    }

    /**
     * What a store does after a merge that found this node on the smaller side: take the sessions
     * it serves from {@code sources}, the merge's nodes that were not in this node's last view and
     * are still in the view (or, if none is, every other node in it); each copy is kept only if
     * newer than this node's.
     */
    @FunctionalInterface
    interface AfterMerge {
        void pull(List<Address> sources) throws Exception;
    }

    /** The body of a request, after its kind. */
    @FunctionalInterface
    interface Body {
        void write(DataOutputStream out) throws IOException;
    }

    /**
     * A channel set up from the builder's stack and node name, not yet connected: {@code handler}
     * answers the other nodes' requests, those of kind {@code waitingKind} on a thread of their
     * own (see {@link #deciders}), those of the kinds {@code linkKinds} with their answers on the
     * sender's link where it made one ({@link AnswerPath}); {@code views} hears each view once
     * {@link Membership} has.
     */
    ClusterChannel(
            ClusterStoreBuilder<?, ?> b,
            RequestHandler handler,
            byte waitingKind,
            java.util.Set<Byte> linkKinds,
            Consumer<View> views)
            throws Exception {
        this.channel = new JChannel(b.config);
        this.answers = new AnswerPath(channel, b.tls.map(ClusterTls::context), b.timeout, linkKinds, handler);
        channel.getProtocolStack().insertProtocolAtTop(new SuspectWatch(answers::suspected));
        try {
            TransportSecurity.apply(channel, b);
        } catch (Exception e) {
            channel.close();
            throw e;
        }
        this.listedPeers = Membership.listedPeers(channel);
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
                // Marked behind before the view is recorded: a read that sees the new view id in
                // Membership must also see that it may not serve yet.
                boolean behind = noteIfBehind(view);
                membership.viewInstalled(view);
                LOG.info("cluster view {}: {} nodes", view.getViewId(), view.size());
                views.accept(view);
                answers.viewChanged(view); // after the store: nothing here may hold up its view
                if (behind) { // after the store has the view: its pull reads it
                    startCatchUp(view.getViewId().getId());
                }
            }
        });
    }

    /**
     * Joins the cluster, waits for the listed peers, catches up ({@code catchUp}, with saves held
     * at the gate meanwhile), then opens the gate. On any failure it runs {@code onFailure} (the
     * store's close) and throws.
     */
    void join(ClusterStoreBuilder<?, ?> b, CatchUp catchUp, AfterMerge afterMerge, Runnable onFailure)
            throws Exception {
        this.afterMerge = afterMerge;
        try {
            channel.connect(b.clusterName);
            answers.connected();
            Membership.awaitPeers(channel, b.clusterName, b.peerWait, LOG);
            answers.joined(); // after the wait, which may join again under a new address
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

    /** Answers this node has read on its answer links. */
    long answersOnLinks() {
        return answers.answered();
    }

    /** This node's links to the others' answer ports, once it has joined, if the store uses them. */
    java.util.Optional<AnswerLinks> links() {
        return answers.links();
    }

    /** A node as a number, for {@link VersionedCopies#overtaken}: its id's bits folded, unique in practice. */
    static long origin(Address node) {
        return node instanceof org.jgroups.util.UUID u
                ? u.getMostSignificantBits() ^ Long.rotateLeft(u.getLeastSignificantBits(), 29)
                : node == null ? 0 : node.hashCode();
    }

    /** Whether this node's synchronous saves may go on links: then each holds its session's {@link SaveGate}. */
    boolean savesOnLinks() {
        return answers.wanted();
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
     * A store's save as this node may take it: refused while it holds too few peers or is out
     * ({@link #requireEnoughPeers(ChangeSet)}); run by {@code save}; a failure that says a
     * majority's view left this node out puts it out ({@link #noteIfExcluded}).
     */
    dev.satchel.core.SessionStore.SaveOutcome takeSave(
            ChangeSet changes, java.util.function.Supplier<dev.satchel.core.SessionStore.SaveOutcome> save) {
        requireEnoughPeers(changes);
        try {
            return save.get();
        } catch (SessionStoreUnavailableException e) {
            noteIfExcluded(e);
            throw e;
        }
    }

    /**
     * Refuses a save on a node whose view holds fewer than half of the listed peers: cut off from
     * most of the cluster, its copies may be behind the others', and a save stamped here now would
     * be the newest when the partition heals, undoing what the other side acknowledged meanwhile
     * (seen in the lab: a request held in TCP during a partition reached the cut-off node after the
     * heal, before the merge, and its copy won). A deletion is let through: a tombstone wins at the
     * merge anyway, so a logout is never undone.
     *
     * @throws SessionStoreUnavailableException when this node holds too few of the listed peers
     */
    void requireEnoughPeers(ChangeSet changes) {
        if (!changes.invalidated()) {
            requireEnoughPeers();
        }
    }

    /**
     * As above, for deciding another node's conditional save or rename. While a partition heals
     * the views can differ for seconds: the cut-off node has a view of its own, in which it owns
     * every session, while the others, whose failure detection had not fired yet, still count it
     * as the owner of its share. Deciding there, it would apply a save to no copy but its own (seen
     * in the lab: such an add was acknowledged, then missing from the next read).
     */
    void requireEnoughPeers() {
        View now = channel.getView();
        int seen = now == null ? 0 : now.size();
        if (!Membership.holdsEnoughOf(listedPeers, seen)) {
            throw new SessionStoreUnavailableException(
                    "this node sees " + seen + " of the " + listedPeers + " nodes listed as peers: cut off from"
                            + " most of the cluster, it takes no saves until it is back",
                    null);
        }
        requireNotExcluded();
    }

    /**
     * Refuses a request from a node outside this node's view, when this view holds a majority.
     * JGroups' views need not agree while a partition heals: a cut-off coordinator, back just as
     * its suspicions fired, can form a view with some of the others and leave out a node that
     * still counts every node in its own (seen in the lab: that node went on answering from its
     * copies and sending saves the others applied, and shoppers read carts that had lost
     * acknowledged writes). Refused, the sender learns it is out ({@link #noteIfExcluded}). A node
     * without a majority refuses nothing: it is the one that is out, and its peers' saves keep its
     * copies current.
     *
     * @throws IOException whose message starts with {@link #NOT_IN_VIEW}
     */
    void requireMember(Address sender) throws IOException {
        View now = channel.getView(); // null until this node's first view: then it holds no majority either
        if (now != null
                && sender != null
                && !now.containsMember(sender)
                && Membership.holdsEnoughOf(listedPeers, now.size())) {
            throw new IOException(
                    NOT_IN_VIEW + "#" + now.getViewId().getId() + " " + sender + " is not in view " + now.getViewId());
        }
    }

    /**
     * Whether {@code failure} (a save's, from the answers of other nodes) says a majority's view
     * does not hold this node; if so, this node counts itself out, not ready and taking no saves
     * or reads, until its own view changes (the merge that brings it back).
     */
    void noteIfExcluded(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            java.util.regex.Matcher m = t.getMessage() == null ? null : REFUSAL.matcher(t.getMessage());
            if (m != null && m.find()) {
                if (!m.group(2).equals(String.valueOf(self()))) {
                    return; // another node refused a third one (a decision forwarded through it)
                }
                View mine = channel.getView();
                // A refusal from a view older than this node's is a race with a view change
                // (a merge installed here first), not a sign that this node is out.
                if (mine == null
                        || Long.parseLong(m.group(1)) < mine.getViewId().getId()) {
                    return;
                }
                if (!mine.getViewId().equals(excludedIn)) {
                    excludedIn = mine.getViewId();
                    excludedSince = System.nanoTime();
                    LOG.warn(
                            "another node's view leaves this node out ({}): not serving until the views agree",
                            t.getMessage());
                }
                return;
            }
            if (t.getCause() == t) {
                return;
            }
        }
    }

    /**
     * Counts a save that some nodes did not answer, being suspected of having died, as taken only
     * once a view without them is installed here, and only if that view still holds enough peers.
     * Suspicion is not exclusion: a node cut off for about the failure detector's timeout is
     * suspected, then heard again as its link comes back, and stays in the view having missed the
     * saves that skipped it (seen in the lab: it went on serving those carts without the writes).
     * Once excluded, it can only come back by a join or a merge, which bring it every copy. A node
     * alone on its side suspects every other and installs a view of its own, too small to count.
     * A killed node is excluded within about half a second, which is what such a save waits.
     *
     * @throws SessionStoreUnavailableException when the view still holds a skipped node after
     *     {@code limit}, or the view without them holds too few of the listed peers
     */
    void awaitViewWithout(java.util.Collection<Address> skipped, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            View now = channel.getView();
            if (skipped.stream().noneMatch(now::containsMember)) {
                requireEnoughPeers();
                return;
            }
            if (System.nanoTime() >= deadline) {
                throw new SessionStoreUnavailableException(
                        "no answer from " + skipped + ", suspected but still in the view after " + limit.toMillis()
                                + " ms: the save is not counted as taken",
                        null);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SessionStoreUnavailableException("interrupted while waiting for a view", e);
            }
        }
    }

    /**
     * A merge view that brings this node back from the smaller side of a partition (fewer than half
     * of the listed peers, or fewer nodes than the other side) leaves it behind: while apart, the
     * other side took saves this node never saw, and its copies would answer reads and base new
     * saves on them (seen in the lab: after the heal, before the other side's copies arrived, the
     * cut-off node answered an add with a cart that had lost an acknowledged item, and went on
     * serving that older cart, its copy now stamped as new as the others'). It serves nothing
     * until the store's pull from the other side is done ({@link #catchUp}).
     */
    private boolean noteIfBehind(View view) {
        if (!(view instanceof org.jgroups.MergeView)) {
            return false;
        }
        List<Address> before = membership.currentMembers();
        List<Address> mine = before.stream().filter(view::containsMember).toList();
        List<Address> others =
                view.getMembers().stream().filter(m -> !before.contains(m)).toList();
        // Left out by a majority while its own view still listed everyone (its failure detector
        // had not fired): the merge adds nobody to its view, but its copies missed what the
        // majority saved meanwhile.
        org.jgroups.ViewId out = excludedIn;
        boolean wasOut = out != null
                && out.getId() == membership.currentViewId()
                && System.nanoTime() - excludedSince < EXCLUSION_HELD.toNanos();
        fromBiggerSide = !wasOut
                && !others.isEmpty()
                && Membership.holdsEnoughOf(listedPeers, mine.size())
                && mine.size() > others.size();
        if (wasOut) {
            others = view.getMembers().stream().filter(m -> !m.equals(self())).toList();
        } else if (others.isEmpty()
                || (Membership.holdsEnoughOf(listedPeers, mine.size()) && mine.size() >= others.size())) {
            return false;
        }
        long merge = view.getViewId().getId();
        otherSide = others;
        behindSince.set(merge);
        LOG.warn(
                "back from the smaller side of a partition ({} of {} nodes): serving nothing until it has"
                        + " the other side's sessions",
                mine.size(),
                view.size());
        return true;
    }

    private void startCatchUp(long merge) {
        try {
            catchingUp.execute(() -> catchUp(merge));
        } catch (RejectedExecutionException e) {
            LOG.debug("closing: no catch-up after the merge");
        }
    }

    /**
     * Runs the store's pull from the other side until one succeeds, a later merge takes over, or
     * the node closes. Until then this node stays behind: not ready, and refusing what it would
     * answer from its copies.
     */
    private void catchUp(long merge) {
        for (int attempt = 1; behindSince.get() == merge; attempt++) {
            try {
                View now = channel.getView();
                List<Address> sources =
                        otherSide.stream().filter(now::containsMember).toList();
                if (sources.isEmpty()) { // the other side left since: whoever is here now has the sessions
                    sources = now.getMembers().stream()
                            .filter(m -> !m.equals(self()))
                            .toList();
                }
                if (!sources.isEmpty()) {
                    afterMerge.pull(sources);
                }
                if (behindSince.compareAndSet(merge, NOT_BEHIND)) {
                    LOG.info("caught up after the merge: serving again");
                }
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                LOG.warn("catching up after the merge, attempt {}: {}", attempt, e.getMessage());
                try {
                    Thread.sleep(RETRY_CATCH_UP.toMillis());
                } catch (InterruptedException stop) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Whether this node is back from the smaller side of a partition and has not caught up yet. */
    boolean behind() {
        return behindSince.get() != NOT_BEHIND;
    }

    /**
     * Refuses to answer from this node's copies (a client's read, another node's read of a session
     * it owns) while they may be behind the cluster's: when its view holds fewer than half of the
     * listed peers (the other side may be taking saves this node never sees), while a view is being
     * installed, while it catches up after a merge, or while a majority's view leaves it out.
     *
     * @throws SessionStoreUnavailableException in any of those cases
     */
    void requireServing() {
        View now = channel.getView();
        if (now != null && !Membership.holdsEnoughOf(listedPeers, now.size())) {
            throw new SessionStoreUnavailableException(
                    "this node sees " + now.size() + " of the " + listedPeers + " nodes listed as peers: cut off"
                            + " from most of the cluster, its sessions may be out of date",
                    null);
        }
        requireNotExcluded();
    }

    /**
     * Whether a majority's view left this node out while it stayed in its current view, for at most
     * {@link #EXCLUSION_HELD}: the merge that ends it comes within seconds, and should it not, the
     * next refused save says so again rather than this node staying out for good.
     */
    boolean excluded() {
        if (excludedIn == null) {
            return false; // the common case, on every read: no view read
        }
        View now = channel.getView();
        return now != null
                && now.getViewId().equals(excludedIn)
                && System.nanoTime() - excludedSince < EXCLUSION_HELD.toNanos();
    }

    /**
     * Refuses to serve while a majority's view leaves this node out, or while it catches up after a
     * merge ({@link #behind()}): its copies miss the saves made since.
     *
     * @throws SessionStoreUnavailableException while {@link #excluded()} or {@link #behind()}
     */
    /**
     * JGroups sets the channel's view before it tells this node, which notes a merge (behind) in
     * that callback: a request in between waits for it, briefly (it follows at once on another
     * thread), rather than answer as if no merge had happened, or fail a save during a plain join.
     *
     * @throws SessionStoreUnavailableException if the callback has not run within {@link #VIEW_NOTED}
     */
    private void awaitViewNoted() {
        long deadline = System.nanoTime() + VIEW_NOTED.toNanos();
        while (true) {
            View now = channel.getView();
            if (now != null && now.getViewId().getId() <= membership.currentViewId()) {
                return;
            }
            if (System.nanoTime() >= deadline) {
                throw new SessionStoreUnavailableException("a cluster view is being installed", null);
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SessionStoreUnavailableException("interrupted while a view was installed", e);
            }
        }
    }

    /** How long a request waits for this node to note a view JGroups has just set. */
    private static final Duration VIEW_NOTED = Duration.ofMillis(500);

    void requireNotExcluded() {
        awaitViewNoted();
        if (behind()) {
            throw new SessionStoreUnavailableException(
                    "back from the smaller side of a partition: it serves nothing until it has the other side's"
                            + " sessions",
                    null);
        }
        if (excluded()) {
            throw new SessionStoreUnavailableException(
                    "another node's view leaves this node out: it serves nothing until the views agree", null);
        }
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
                membership.gateOpen()
                        && (fromBiggerSide || mergeWatch.settled())
                        && Membership.holdsEnoughOf(listedPeers, now.size())
                        && !behind()
                        && !excluded());
    }

    @Override
    public void close() {
        answers.close();
        deciders.shutdownNow();
        catchingUp.shutdownNow();
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
