package dev.satchel.cluster;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

import dev.satchel.core.support.DaemonThreads;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import org.jgroups.Address;
import org.jgroups.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The other side of {@link AnswerLinks}: listens on the cluster port + {@link #PORT_OFFSET}, on
 * the transport's address, for the links of the other nodes. A link carries its node's synchronous
 * saves, one at a time, each numbered; a thread of the link's own reads each, has {@link Requests}
 * apply it as JGroups would have, and sends the answer back on the link with the save's number.
 *
 * <p>Bounded against a client that is not a peer: at most {@link #MAX_LINKS} links, of which at
 * most {@link #MAX_GREETING} not yet past their greeting (so clients that connect and say nothing
 * cannot crowd out the peers' links), {@link #MAX_LINKS_PER_NODE} named for one node, and
 * {@link #GREETING_TIMEOUT} for the TLS handshake and the greeting together; a save larger than
 * {@link #MAX_SAVE} ends its link, one from a node outside the view may be at most {@link
 * #STRANGER_SAVE}, its bytes must all come within {@link #SAVE_TIMEOUT}, and a save is read only as
 * fast as its bytes arrive, never allocated whole from the length it claims. A view change ends the links of nodes outside it, and
 * a save on the link of a node outside the view is refused, as JGroups' path refuses it. A link is
 * named by a random number its node chose, which no other client can take over: a second link of
 * the same name is refused. With TLS a link must first show a certificate of the cluster, as on
 * the JGroups port.
 */
final class AnswerLinkServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AnswerLinkServer.class);

    /** Where the answer port is, from the announced cluster port; FD_SOCK2 has + 100. */
    static final int PORT_OFFSET = 200;

    /** "SAL2": links that carry saves. "SAL1" links (answers only, session 26) are refused, so such a node falls back to JGroups. */
    static final int MAGIC = 0x5341_4c32;
    /** The one byte a link gets once its greeting is taken. */
    static final int REGISTERED = 0x4b;

    static final int NO_VALUE = 0;
    static final int BYTE_VALUE = 1;
    static final int REFUSED = 2;

    /** The largest save a link takes. */
    static final int MAX_SAVE = 16 << 20;
    /**
     * The largest save taken from a node outside this node's view (one whose view came first, or a
     * stranger claiming a node's name): strangers' links cannot make this node hold more than this
     * much each.
     */
    static final int STRANGER_SAVE = 64 << 10;
    /** How long a save's bytes may take to arrive once its first came. */
    static final Duration SAVE_TIMEOUT = Duration.ofSeconds(10);

    static final int MAX_LINKS = 1024;
    /** A node opens at most {@link AnswerLinks#MAX_PER_PEER} links to another; a name never more. */
    static final int MAX_LINKS_PER_NODE = 2 * AnswerLinks.MAX_PER_PEER;
    /** How long a link of a node not in the view is kept: the view that brings the node in is on its way. */
    static final Duration JOINING = Duration.ofSeconds(10);

    static final int MAX_GREETING = 32;
    static final Duration GREETING_TIMEOUT = Duration.ofSeconds(2);

    private final ServerSocket server;
    private final Requests requests;
    private final java.util.function.Supplier<java.util.List<Address>> members;
    private final Map<LinkName, Socket> links = new ConcurrentHashMap<>();
    /** When each link was taken, so a view change spares links of nodes about to join it. */
    private final Map<Socket, Long> takenAt = new ConcurrentHashMap<>();
    /** When a refused connection was last logged: a flood of them logs once in a while. */
    private final java.util.concurrent.atomic.AtomicLong refusalLogged = new java.util.concurrent.atomic.AtomicLong();

    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger greeting = new AtomicInteger();
    private final ThreadFactory threads = DaemonThreads.named("satchel-answer-link");
    private final ScheduledExecutorService deadlines =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("satchel-answer-link-greeting"));
    private volatile boolean closed;

    /** A link's name: the node that made it, and the number it chose. */
    private record LinkName(long mostSigBits, long leastSigBits, long id) {
        static LinkName of(Address node, long id) {
            UUID uuid = (UUID) node;
            return new LinkName(uuid.getMostSignificantBits(), uuid.getLeastSignificantBits(), id);
        }
    }

    /** What a node does with a save that came on a link: applies it, as JGroups would have. */
    @FunctionalInterface
    interface Requests {
        /**
         * The answer to {@code request} from the node whose id is {@code mostSigBits}/{@code
         * leastSigBits}: null, a byte, or the exception that refused it.
         */
        Object handle(long mostSigBits, long leastSigBits, byte[] request);
    }

    /**
     * Binds {@code address}:{@code port}; every {@link #JOINING} and at each view change ends the
     * links of nodes not among {@code members}.
     */
    AnswerLinkServer(
            InetAddress address,
            int port,
            Optional<SSLContext> tls,
            java.util.function.Supplier<java.util.List<Address>> members,
            Requests requests)
            throws IOException {
        this.requests = requests;
        ServerSocket s = tls.isPresent() ? tls.get().getServerSocketFactory().createServerSocket() : new ServerSocket();
        try {
            if (s instanceof SSLServerSocket ssl) {
                ssl.setEnabledProtocols(ClusterTls.PROTOCOLS);
                ssl.setNeedClientAuth(true);
            }
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(address, port), 128);
        } catch (IOException e) {
            s.close();
            throw new IOException(
                    "could not listen for answer links on " + address.getHostAddress() + ":" + port
                            + " (the cluster port + " + PORT_OFFSET + "): " + e.getMessage(),
                    e);
        }
        this.server = s;
        this.members = members;
        threads.newThread(this::accept).start();
        long every = JOINING.toMillis();
        deadlines.scheduleWithFixedDelay(() -> retainNodes(members.get()), every, every, MILLISECONDS);
    }

    int port() {
        return server.getLocalPort();
    }

    /** Sends {@code answer} (null, a byte, or the exception that refused it) to save {@code save}. */
    private static void answer(DataOutputStream out, long save, Object answer) throws IOException {
        out.writeLong(save);
        if (answer == null) {
            out.writeByte(NO_VALUE);
        } else if (answer instanceof Byte b) {
            out.writeByte(BYTE_VALUE);
            out.writeByte(b);
        } else if (answer instanceof Exception e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            out.writeByte(REFUSED);
            out.writeUTF(why.length() > 2000 ? why.substring(0, 2000) : why);
        } else {
            out.writeByte(REFUSED);
            out.writeUTF("unexpected answer " + answer.getClass().getSimpleName());
        }
        out.flush();
    }

    private void accept() {
        while (!closed) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("answer port stopped accepting: {}", e.getMessage());
                }
                return;
            }
            if (open.size() >= MAX_LINKS || greeting.get() >= MAX_GREETING) {
                long now = System.nanoTime();
                long last = refusalLogged.get();
                if (now - last > Duration.ofSeconds(10).toNanos() && refusalLogged.compareAndSet(last, now)) {
                    LOG.warn(
                            "refusing answer links (from {} and maybe others): {} are open, {} of them not past"
                                    + " their greeting",
                            socket.getRemoteSocketAddress(),
                            open.size(),
                            greeting.get());
                }
                quietly(socket);
                continue;
            }
            open.add(socket);
            greeting.incrementAndGet();
            threads.newThread(() -> serve(socket)).start();
        }
    }

    /** Takes a link's greeting, then its saves, one at a time, each answered before the next is read. */
    private void serve(Socket socket) {
        boolean greeted = false;
        LinkName name = null;
        ScheduledFuture<?> cut = null;
        try (socket) {
            // Ends a handshake or greeting that drags on, byte by byte, past the greeting time.
            cut = deadlines.schedule(() -> quietly(socket), GREETING_TIMEOUT.toMillis(), MILLISECONDS);
            socket.setTcpNoDelay(true);
            socket.setKeepAlive(true); // a link whose node vanished behind a partition ends at last
            socket.setSoTimeout((int) GREETING_TIMEOUT.toMillis());
            DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(socket.getInputStream(), 8192));
            if (in.readInt() != MAGIC) {
                LOG.debug("not an answer link: {}", socket.getRemoteSocketAddress());
                return;
            }
            // The node's id as bits, never parsed by JGroups' address readers from a stranger's bytes.
            name = new LinkName(in.readLong(), in.readLong(), in.readLong());
            if (linksOf(name.mostSigBits(), name.leastSigBits()) >= MAX_LINKS_PER_NODE) {
                name = null;
                LOG.debug("too many answer links named for one node, from {}", socket.getRemoteSocketAddress());
                return;
            }
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 512));
            if (links.putIfAbsent(name, socket) != null) {
                name = null; // someone else's: the link of that name stays theirs
                LOG.debug("a second answer link of one name, from {}: refused", socket.getRemoteSocketAddress());
                return;
            }
            greeted = true;
            takenAt.put(socket, System.nanoTime());
            greeting.decrementAndGet();
            cut.cancel(false);
            out.writeByte(REGISTERED);
            out.flush();
            socket.setSoTimeout(0); // a link may stay idle as long as its node makes no save
            while (true) {
                long number = in.readLong();
                int length = in.readInt();
                if (length < 1 || length > MAX_SAVE) {
                    LOG.debug(
                            "a save of {} bytes on the link from {}: closed", length, socket.getRemoteSocketAddress());
                    return;
                }
                socket.setSoTimeout((int) SAVE_TIMEOUT.toMillis()); // a save, once begun, comes whole
                if (length > STRANGER_SAVE && !isMember(name, members.get())) {
                    in.skipNBytes(length); // memory for strangers' saves stays small; the peers' need not
                    answer(out, number, new IOException("a save of " + length + " bytes from a node outside the view"));
                } else {
                    byte[] request = in.readNBytes(length); // grows as bytes come, not to the length claimed
                    if (request.length < length) {
                        return; // the link ended mid-save
                    }
                    answer(out, number, requests.handle(name.mostSigBits(), name.leastSigBits(), request));
                }
                socket.setSoTimeout(0);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("answer link from {} ended: {}", socket.getRemoteSocketAddress(), e.toString());
        } finally {
            if (!greeted) {
                greeting.decrementAndGet();
                if (cut != null) {
                    cut.cancel(false);
                }
            }
            takenAt.remove(socket);
            if (name != null) {
                links.remove(name, socket);
            }
            open.remove(socket);
        }
    }

    private long linksOf(long mostSigBits, long leastSigBits) {
        return links.keySet().stream()
                .filter(n -> n.mostSigBits() == mostSigBits && n.leastSigBits() == leastSigBits)
                .count();
    }

    private static boolean isMember(LinkName name, java.util.List<Address> members) {
        return members.stream()
                .anyMatch(m -> m instanceof UUID u
                        && u.getMostSignificantBits() == name.mostSigBits()
                        && u.getLeastSignificantBits() == name.leastSigBits());
    }

    /**
     * Ends the links of nodes not in {@code members}, unless taken within {@link #JOINING}: a node
     * that left, or was never a peer, holds no link here for long.
     */
    void retainNodes(java.util.List<Address> members) {
        long now = System.nanoTime();
        links.forEach((name, socket) -> {
            boolean member = isMember(name, members);
            Long taken = takenAt.get(socket);
            if (!member && (taken == null || now - taken > JOINING.toNanos())) {
                quietly(socket);
            }
        });
    }

    private static void quietly(Socket socket) {
        try {
            // A TLS 1.3 close reads what the peer still sends, for as long as the read timeout:
            // with none, it returns at once (a peer cut off sends nothing, and the close waited).
            socket.setSoTimeout(0);
        } catch (IOException e) {
            // closed already
        }
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        deadlines.shutdownNow();
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the answer port: {}", e.getMessage());
        }
        open.forEach(AnswerLinkServer::quietly);
    }
}
