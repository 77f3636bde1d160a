package dev.satchel.cluster;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.jgroups.Address;
import org.jgroups.util.Rsp;
import org.jgroups.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connections of this node's own to each peer's {@link AnswerLinkServer}, on which the request
 * thread that makes a synchronous save sends it and reads the answer itself, as Tomcat's Tribes
 * sender does. Through JGroups a save and its answer each woke a thread that then woke another
 * (the sender's bundler, the peer's reader, this node's reader): context switches that on two
 * shared cores cost what Satchel's cheaper copy saved (docs/benchmarks.md, "Where the synchronous
 * path waits").
 *
 * <p>A save on a link no longer travels in order with what this node sends through JGroups, nor
 * with its saves on other links. What keeps a session's copies right anyway: a node has at most one
 * synchronous save of a session in flight at a time ({@link SaveGate}), so it never overtakes the
 * one before it; a save that overtakes a whole copy of its session re-applies what the copy holds
 * already; and a save that arrives after a later save from its node (it sat in a buffer past its
 * timeout) is dropped ({@link VersionedCopies#overtaken}). A link whose answer did not come in time
 * is reset, not closed, so nothing it still holds is delivered later.
 *
 * <p>A link is held by one save at a time, from its send to its answer; a save's answer carries the
 * save's number on the link, so an answer to a save that stopped waiting is skipped. Links are
 * opened in the background (a save never waits for a connect while it holds its session's lock),
 * up to {@link #MAX_PER_PEER} per peer; a save that finds none idle, and every save to a peer whose
 * port cannot be reached (a node of a version before the links, a firewall that does not let the
 * port through, a port crowded by strangers), goes through JGroups, as before.
 */
final class AnswerLinks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AnswerLinks.class);
    /** A peer's answer port accepts at once or not at all: a connect waits at most this, or the timeout. */
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(1);

    private final UUID self;
    private final Function<Address, Optional<InetSocketAddress>> whereIs;
    private final Predicate<Address> inView;
    private final Optional<SSLContext> tls;
    private final Duration timeout;
    private final SecureRandom ids = new SecureRandom();
    private final Map<Address, Deque<Link>> idle = new ConcurrentHashMap<>();
    /**
     * Peers whose answer port could not be reached: they answer through JGroups, and the port is
     * tried again after a wait that doubles from {@link #FIRST_RETRY} to {@link #LAST_RETRY}, not
     * on every save. A node's port opens just after it joins, so the first tries often miss it.
     * (Either way the save itself goes through JGroups, so switching changes no order.)
     */
    private final Map<Address, Unreachable> unreachable = new ConcurrentHashMap<>();

    private static final Duration FIRST_RETRY = Duration.ofMillis(100);
    private static final Duration LAST_RETRY = Duration.ofSeconds(5);
    /** Failed tries before a warning: fewer are the usual race with a node that is joining. */
    private static final int WARN_AFTER = 4;

    /** A peer's failed tries so far, and when to try again. */
    private record Unreachable(int tries, long retryAt, long pause) {
        static Unreachable first() {
            return new Unreachable(1, System.nanoTime() + FIRST_RETRY.toNanos(), FIRST_RETRY.toNanos());
        }

        Unreachable again() {
            long next = Math.min(pause * 2, LAST_RETRY.toNanos());
            return new Unreachable(tries + 1, System.nanoTime() + next, next);
        }

        boolean due() {
            return System.nanoTime() - retryAt >= 0;
        }
    }

    private final LongAdder answered = new LongAdder();
    /** Links a save is waiting on for its answer: a suspicion or a view change ends the wait. */
    private final java.util.Set<Link> waiting = ConcurrentHashMap.newKeySet();
    /** Links open to each peer, idle or held; at most {@link #MAX_PER_PEER}. */
    private final Map<Address, java.util.concurrent.atomic.AtomicInteger> open = new ConcurrentHashMap<>();
    /** Peers a link is being opened to: one attempt per peer at a time. */
    private final java.util.Set<Address> opening = ConcurrentHashMap.newKeySet();
    /**
     * Opens links off the request path: a save never waits for a connect or a handshake while it
     * holds its session's lock; one that finds no idle link has its answer come through JGroups.
     */
    private final java.util.concurrent.ExecutorService opener = java.util.concurrent.Executors.newSingleThreadExecutor(
            dev.satchel.core.support.DaemonThreads.named("satchel-answer-link-open"));
    /**
     * Resets links whose save is still being written at its deadline: a write blocks only once the
     * socket's buffers are full, so only saves larger than {@link #WATCHED_SAVE} are watched.
     */
    private final java.util.concurrent.ScheduledExecutorService watchdog =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(
                    dev.satchel.core.support.DaemonThreads.named("satchel-link-watchdog"));

    private static final int WATCHED_SAVE = 32 << 10;

    /** Closes links for JGroups' threads, which must not wait on a socket. */
    private final java.util.concurrent.ExecutorService closer = java.util.concurrent.Executors.newSingleThreadExecutor(
            dev.satchel.core.support.DaemonThreads.named("satchel-answer-link-close"));

    /** More links to one peer than saves waiting on it at once would ever need. */
    static final int MAX_PER_PEER = 64;

    private volatile boolean closed;

    /**
     * Links from {@code self} to the peers {@code whereIs} locates (empty for a peer whose address
     * the transport does not know), over TLS with {@code tls}'s context if present; {@code timeout}
     * bounds a handshake and the wait for an answer. A peer that did not answer in time and is no
     * longer in the view ({@code inView}) counts as suspected, as JGroups counts it.
     */
    AnswerLinks(
            UUID self,
            Function<Address, Optional<InetSocketAddress>> whereIs,
            Predicate<Address> inView,
            Optional<SSLContext> tls,
            Duration timeout) {
        this.self = self;
        this.whereIs = whereIs;
        this.inView = inView;
        this.tls = tls;
        this.timeout = timeout;
    }

    /**
     * An idle link to {@code peer} for one save, or empty if there is none: the save's answer then
     * comes through JGroups. Either way one more link is opened in the background when none is left
     * idle, so the pool grows to what the saves in flight need.
     */
    Optional<Link> borrow(Address peer) {
        if (closed) {
            return Optional.empty();
        }
        Deque<Link> pool = idle.computeIfAbsent(peer, p -> new ConcurrentLinkedDeque<>());
        Link link = pool.pollFirst();
        if (pool.isEmpty()) {
            openOneMore(peer);
        }
        if (link != null) {
            waiting.add(link);
        }
        return Optional.ofNullable(link);
    }

    /**
     * Ends the waits on links to {@code nodes}, which JGroups suspects: their saves count them as
     * suspected, as JGroups' own requests do, and wait for the view without them.
     */
    void suspected(java.util.Collection<Address> nodes) {
        waiting.forEach(link -> {
            if (nodes.contains(link.peer)) {
                closeOffThread(link);
            }
        });
    }

    /**
     * Closes {@code link} on the closer's thread: the callers are JGroups' threads (a suspicion, a
     * view), and nothing may hold those up, since the coordinator sends a new view to the others
     * only once its own view callback has returned.
     */
    private void closeOffThread(Link link) {
        // A save still on its way is dropped, not delivered after the partition that held it up heals.
        try {
            closer.execute(link::reset);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            link.reset();
        }
    }

    /** Opens a link to each of {@code peers} ahead of the first save, in the background. */
    void prepare(List<Address> peers) {
        peers.forEach(this::openOneMore);
    }

    private void openOneMore(Address peer) {
        Unreachable missed = unreachable.get(peer);
        if (closed
                || (missed != null && !missed.due())
                || open.computeIfAbsent(peer, p -> new java.util.concurrent.atomic.AtomicInteger())
                                .get()
                        >= MAX_PER_PEER
                || !opening.add(peer)) {
            return;
        }
        try {
            opener.execute(() -> {
                try {
                    Link link = connect(peer);
                    open.computeIfAbsent(peer, p -> new java.util.concurrent.atomic.AtomicInteger())
                            .incrementAndGet();
                    Unreachable was = unreachable.remove(peer);
                    if (was != null && was.tries() >= WARN_AFTER) {
                        LOG.info("the answer port of {} answers again", peer);
                    }
                    giveBack(link);
                } catch (IOException e) {
                    Unreachable now = unreachable.merge(peer, Unreachable.first(), (was, first) -> was.again());
                    if (now.tries() == WARN_AFTER) {
                        LOG.warn(
                                "cannot reach the answer port of {} ({}): its answers come through the cluster port,"
                                        + " at a context switch more each, until it can",
                                peer,
                                e.getMessage());
                    }
                } finally {
                    opening.remove(peer);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            opening.remove(peer);
        }
    }

    /** Answers read on these links so far. */
    long answered() {
        return answered.sum();
    }

    private Link connect(Address peer) throws IOException {
        InetSocketAddress where =
                whereIs.apply(peer).orElseThrow(() -> new IOException("no address known for " + peer));
        Socket socket = tls.isPresent() ? tls.get().getSocketFactory().createSocket() : new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.setKeepAlive(true); // a link whose peer vanished behind a partition ends at last
            socket.connect(where, (int) Math.min(timeout.toMillis(), CONNECT_TIMEOUT.toMillis()));
            socket.setSoTimeout((int) timeout.toMillis());
            if (socket instanceof SSLSocket ssl) {
                ssl.setEnabledProtocols(ClusterTls.PROTOCOLS);
                ssl.startHandshake();
            }
            long id = ids.nextLong();
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeInt(AnswerLinkServer.MAGIC);
            out.writeLong(self.getMostSignificantBits());
            out.writeLong(self.getLeastSignificantBits());
            out.writeLong(id);
            out.flush();
            Link link = new Link(peer, socket, id);
            // Registered there before the first save can name it: a save's answer must find its link.
            if (link.in.read() != AnswerLinkServer.REGISTERED) {
                throw new IOException("the answer port of " + peer + " did not take the link");
            }
            return link;
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
    }

    /** Drops the idle links to nodes no longer in {@code members}, and forgets which did not answer. */
    void retainOnly(List<Address> members) {
        waiting.forEach(link -> {
            if (!members.contains(link.peer)) {
                closeOffThread(link); // its save counts the node as suspected and waits for no answer
            }
        });
        unreachable.keySet().retainAll(members);
        open.keySet().retainAll(members);
        idle.keySet().removeIf(peer -> {
            if (members.contains(peer)) {
                return false;
            }
            Deque<Link> links = idle.get(peer);
            if (links != null) {
                links.forEach(this::closeOffThread);
            }
            return true;
        });
    }

    @Override
    public void close() {
        closed = true;
        opener.shutdownNow();
        closer.shutdown(); // the closes already handed over still run
        watchdog.shutdownNow();
        idle.values().forEach(links -> links.forEach(Link::close));
        idle.clear();
    }

    private void giveBack(Link link) {
        waiting.remove(link);
        if (closed || !inView.test(link.peer)) { // a peer that left meanwhile keeps no links here
            link.close();
            return;
        }
        Deque<Link> pool = idle.computeIfAbsent(link.peer, p -> new ConcurrentLinkedDeque<>());
        pool.addFirst(link);
        // A view change or the close may have swept the pool just before the link went in.
        if ((closed || !inView.test(link.peer)) && pool.remove(link)) {
            link.close();
        }
    }

    /** One connection to a peer's answer port, held by one save at a time. */
    final class Link {
        private final Address peer;
        private final Socket socket;
        private final DataInputStream in;
        private final DataOutputStream out;
        private final long id;
        /** The number of the last save made on this link. */
        private long saves;

        private final java.util.concurrent.atomic.AtomicBoolean closedOnce =
                new java.util.concurrent.atomic.AtomicBoolean();

        private Link(Address peer, Socket socket, long id) throws IOException {
            this.peer = peer;
            this.socket = socket;
            this.id = id;
            this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 512));
            this.out = new DataOutputStream(new java.io.BufferedOutputStream(socket.getOutputStream(), 8192));
        }

        Address peer() {
            return peer;
        }

        /**
         * Sends {@code request} as the link's next save. A link that failed mid-send is reset, as is
         * one still writing at {@code deadline} (a large save to a peer that stopped reading).
         */
        void send(byte[] request, long deadline) throws IOException {
            saves++;
            java.util.concurrent.ScheduledFuture<?> stuck = request.length > WATCHED_SAVE
                    ? watchdog.schedule(this::reset, Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
                    : null;
            try {
                out.writeLong(saves);
                out.writeInt(request.length);
                out.write(request);
                out.flush();
            } catch (IOException e) {
                reset();
                throw e;
            } finally {
                if (stuck != null) {
                    stuck.cancel(false);
                }
            }
        }

        /**
         * Reads this save's answer into {@code rsp}, as JGroups would report it: a value, a refusal
         * (an exception), suspected (the link broke: the peer's process is gone, or it left the
         * view before answering), or not received (no answer in time); then gives the link back,
         * or closes it if it broke.
         */
        void readAnswer(Rsp<Object> rsp, long deadline) {
            try {
                while (true) {
                    socket.setSoTimeout((int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                    long number = in.readLong();
                    int tag = in.read();
                    Object value;
                    switch (tag) {
                        case AnswerLinkServer.NO_VALUE -> value = null;
                        case AnswerLinkServer.BYTE_VALUE -> value = in.readByte();
                        case AnswerLinkServer.REFUSED -> value = new IOException(in.readUTF());
                        case -1 -> throw new EOFException("the peer closed the link");
                        default -> throw new IOException("unknown answer " + tag + " from " + peer);
                    }
                    if (number != saves) {
                        continue; // the answer to a save that stopped waiting for it
                    }
                    if (value instanceof IOException refused) {
                        rsp.setException(refused);
                    } else {
                        rsp.setValue(value);
                    }
                    answered.increment();
                    giveBack(this);
                    return;
                }
            } catch (SocketTimeoutException slow) {
                reset(); // out of step, and a save it still holds must not arrive after the next one
                if (!inView.test(peer)) {
                    rsp.setSuspected(); // left the view meanwhile: it need not have the save
                }
            } catch (IOException broken) {
                close();
                rsp.setSuspected();
            }
        }

        boolean isClosed() {
            return closedOnce.get();
        }

        /** Back to the pool without an answer to read: the save never left. */
        void release() {
            giveBack(this);
        }

        /**
         * Closes the link at once, dropping what it has not delivered yet: a save that timed out
         * must not reach the peer later (after a partition heals, say), behind the saves made since.
         */
        void reset() {
            try {
                socket.setSoLinger(true, 0);
            } catch (IOException closedAlready) {
                // nothing left to drop
            }
            close();
        }

        void close() {
            waiting.remove(this);
            try {
                // A TLS 1.3 close reads what the peer still sends, for as long as the read timeout:
                // with none, it returns at once (a peer cut off sends nothing, and the close waited).
                socket.setSoTimeout(0);
            } catch (IOException closedAlready) {
                // nothing to wait for
            }
            if (closedOnce.compareAndSet(false, true)) {
                java.util.concurrent.atomic.AtomicInteger count = open.get(peer);
                if (count != null) {
                    count.decrementAndGet();
                }
            }
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
