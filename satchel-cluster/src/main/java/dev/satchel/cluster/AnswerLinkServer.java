package dev.satchel.cluster;

import static java.util.concurrent.TimeUnit.MILLISECONDS;

import dev.satchel.core.support.DaemonThreads;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
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
 * the transport's address, for the links of the other nodes, and sends on them the answers to the
 * saves they made through JGroups ({@link #answer}). A link carries nothing from its node after the
 * greeting; a byte from it ends it.
 *
 * <p>Bounded against a client that is not a peer: at most {@link #MAX_LINKS} links, of which at
 * most {@link #MAX_GREETING} not yet past their greeting (so clients that connect and say nothing
 * cannot crowd out the peers' links), {@link #MAX_LINKS_PER_NODE} named for one node, and
 * {@link #GREETING_TIMEOUT} for the TLS handshake and the greeting together. A view change ends the
 * links of nodes outside it. A link is named by a random number its node chose, which no other client can
 * take over: a second link of the same name is refused. With TLS a link must first show a
 * certificate of the cluster, as on the JGroups port.
 */
final class AnswerLinkServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AnswerLinkServer.class);

    /** Where the answer port is, from the announced cluster port; FD_SOCK2 has + 100. */
    static final int PORT_OFFSET = 200;

    static final int MAGIC = 0x5341_4c31; // "SAL1"
    /** The one byte a link gets once its greeting is taken. */
    static final int REGISTERED = 0x4b;

    static final int NO_VALUE = 0;
    static final int BYTE_VALUE = 1;
    static final int REFUSED = 2;

    /** The first byte of a save whose answer goes on a link; no store uses it as a kind. */
    static final byte LINKED = 120;

    static final int MAX_LINKS = 1024;
    /** A node opens at most {@link AnswerLinks#MAX_PER_PEER} links to another; a name never more. */
    static final int MAX_LINKS_PER_NODE = 2 * AnswerLinks.MAX_PER_PEER;
    /** How long a link of a node not in the view is kept: the view that brings the node in is on its way. */
    static final Duration JOINING = Duration.ofSeconds(10);

    static final int MAX_GREETING = 32;
    static final Duration GREETING_TIMEOUT = Duration.ofSeconds(2);

    private final ServerSocket server;
    private final Map<LinkName, Socket> links = new ConcurrentHashMap<>();
    /** When each link was taken, so a view change spares links of nodes about to join it. */
    private final Map<Socket, Long> takenAt = new ConcurrentHashMap<>();
    /** When a refused connection was last logged: a flood of them logs once in a while. */
    private final java.util.concurrent.atomic.AtomicLong refusalLogged = new java.util.concurrent.atomic.AtomicLong();

    private final Map<Socket, DataOutputStream> outs = new ConcurrentHashMap<>();
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

    /** A save's request as sent when its answer goes on link {@code link}, numbered {@code save} there. */
    static byte[] wrap(long link, long save, byte[] request) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(request.length + 17);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(LINKED);
            out.writeLong(link);
            out.writeLong(save);
            out.write(request);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Binds {@code address}:{@code port}; every {@link #JOINING} and at each view change ends the
     * links of nodes not among {@code members}.
     */
    AnswerLinkServer(
            InetAddress address,
            int port,
            Optional<SSLContext> tls,
            java.util.function.Supplier<java.util.List<Address>> members)
            throws IOException {
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
        threads.newThread(this::accept).start();
        long every = JOINING.toMillis();
        deadlines.scheduleWithFixedDelay(() -> retainNodes(members.get()), every, every, MILLISECONDS);
    }

    int port() {
        return server.getLocalPort();
    }

    /**
     * Sends {@code answer} (null, a byte, or the exception that refused the save) to the save
     * numbered {@code save} on link {@code link} of {@code node}. A link that is gone gets nothing:
     * its save waits in vain and fails, as one whose answer was lost.
     */
    void answer(Address node, long link, long save, Object answer) {
        if (!(node instanceof UUID)) {
            return;
        }
        Socket socket = links.get(LinkName.of(node, link));
        DataOutputStream out = socket == null ? null : outs.get(socket);
        if (out == null) {
            LOG.debug("no answer link {} of {}: the answer to save {} is dropped", link, node, save);
            return;
        }
        synchronized (out) {
            try {
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
            } catch (IOException e) {
                LOG.debug("answer link {} of {} broke: {}", link, node, e.getMessage());
                quietly(socket);
            }
        }
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

    /** Takes a link's greeting, then waits for its end (a link sends nothing more). */
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
            DataInputStream in = new DataInputStream(socket.getInputStream());
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
            outs.put(socket, out);
            if (links.putIfAbsent(name, socket) != null) {
                name = null; // someone else's: the link of that name stays theirs
                LOG.debug("a second answer link of one name, from {}: refused", socket.getRemoteSocketAddress());
                return;
            }
            greeted = true;
            takenAt.put(socket, System.nanoTime());
            greeting.decrementAndGet();
            cut.cancel(false);
            synchronized (out) {
                out.writeByte(REGISTERED);
                out.flush();
            }
            socket.setSoTimeout(0); // a link may stay idle as long as its node makes no save
            if (in.read() >= 0) {
                LOG.debug(
                        "an answer link from {} sent more than its greeting: closed", socket.getRemoteSocketAddress());
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
            outs.remove(socket);
            open.remove(socket);
        }
    }

    private long linksOf(long mostSigBits, long leastSigBits) {
        return links.keySet().stream()
                .filter(n -> n.mostSigBits() == mostSigBits && n.leastSigBits() == leastSigBits)
                .count();
    }

    /**
     * Ends the links of nodes not in {@code members}, unless taken within {@link #JOINING}: a node
     * that left, or was never a peer, holds no link here for long.
     */
    void retainNodes(java.util.List<Address> members) {
        long now = System.nanoTime();
        links.forEach((name, socket) -> {
            boolean member = members.stream()
                    .anyMatch(m -> m instanceof UUID u
                            && u.getMostSignificantBits() == name.mostSigBits()
                            && u.getLeastSignificantBits() == name.leastSigBits());
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
