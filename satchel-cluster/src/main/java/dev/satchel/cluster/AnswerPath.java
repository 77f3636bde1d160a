package dev.satchel.cluster;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.Event;
import org.jgroups.JChannel;
import org.jgroups.View;
import org.jgroups.blocks.RequestHandler;
import org.jgroups.protocols.TCP;
import org.jgroups.stack.IpAddress;
import org.jgroups.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's side of the save links ({@link AnswerLinks}): its link port, opened once the node is
 * connected, its links to the other nodes' link ports, opened once it has joined, both kept to the
 * view, and the handling of a save that came on a link.
 *
 * <p>Off unless {@code satchel.cluster.answer_links=true}: PartitionClusterIT failed with it until
 * links stopped being closed on JGroups' threads (docs/ARCHITECTURE.md), and has passed only a few
 * times since. Only over JGroups' TCP transport: the
 * answer port is the node's address and announced port + {@link AnswerLinkServer#PORT_OFFSET} (as
 * FD_SOCK2 at + 100). A port that cannot be bound leaves every answer to JGroups, as the other nodes
 * then find it closed.
 */
final class AnswerPath implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AnswerPath.class);

    private final JChannel channel;
    private final Optional<SSLContext> tls;
    private final Duration timeout;
    /** The request kinds whose answers may go on a link; none: no links at all. */
    private final Set<Byte> kinds;

    private final RequestHandler handler;

    private volatile Optional<AnswerLinkServer> server = Optional.empty();
    private volatile Optional<AnswerLinks> links = Optional.empty();

    AnswerPath(JChannel channel, Optional<SSLContext> tls, Duration timeout, Set<Byte> kinds, RequestHandler handler) {
        this.channel = channel;
        this.handler = handler;
        this.tls = tls;
        this.timeout = timeout;
        this.kinds = Set.copyOf(kinds);
    }

    /**
     * Whether this node sends its synchronous saves on links where it can: the option is on, the
     * store names kinds for them, and JGroups runs over TCP. Fixed for the node's life, so that
     * {@link SaveGate} is held by every save that might take a link.
     */
    boolean wanted() {
        return !kinds.isEmpty()
                && Boolean.parseBoolean(System.getProperty("satchel.cluster.answer_links", "false"))
                && channel.getProtocolStack().getTransport() instanceof TCP;
    }

    /** Opens the link port, once the channel is connected and its address known. */
    void connected() {
        if (!wanted() || !(channel.getProtocolStack().getTransport() instanceof TCP tcp)) {
            return;
        }
        InetAddress address = tcp.getBindAddr() != null ? tcp.getBindAddr() : InetAddress.getLoopbackAddress();
        Optional<InetSocketAddress> announced = answerPortOf(channel.getAddress());
        if (announced.isEmpty()) {
            return;
        }
        try {
            server = Optional.of(new AnswerLinkServer(
                    address, announced.get().getPort(), tls, () -> others(channel.getView()), this::handle));
        } catch (IOException e) {
            LOG.warn("{}: the other nodes send their saves to this one through the cluster port", e.getMessage());
        }
    }

    /**
     * Starts the links to the other nodes, once this node has joined for good: a link is named by
     * the node's address, which a join that starts again changes.
     */
    void joined() {
        if (server.isPresent() && channel.getAddress() instanceof UUID self) {
            AnswerLinks mine = new AnswerLinks(self, this::answerPortOf, this::inView, tls, timeout);
            links = Optional.of(mine);
            mine.prepare(others(channel.getView()));
        }
    }

    /** Drops the links to and from nodes that left, and opens links to the ones that joined. */
    void viewChanged(View view) {
        links.ifPresent(l -> {
            l.retainOnly(view.getMembers());
            l.prepare(others(view));
        });
        server.ifPresent(s -> s.retainNodes(view.getMembers()));
    }

    /** Nodes JGroups suspects: saves waiting for their answers on links stop waiting. */
    void suspected(java.util.Collection<Address> nodes) {
        links.ifPresent(l -> l.suspected(nodes));
    }

    /** This node's links, once it has joined, if it has an answer port. */
    Optional<AnswerLinks> links() {
        return links;
    }

    /** Answers this node has read on its links. */
    long answered() {
        return links.map(AnswerLinks::answered).orElse(0L);
    }

    /**
     * A save that came on the link of the node {@code mostSigBits}/{@code leastSigBits}: handled by
     * the store as any request of its kind from that node (the member of the view with that id, so
     * the store's maps find it), on the link's thread, which is what JGroups' reader thread did.
     */
    private Object handle(long mostSigBits, long leastSigBits, byte[] request) {
        if (!kinds.contains(request[0])) {
            return new IOException("request kind " + request[0] + " is not taken on a link");
        }
        View view = channel.getView();
        Optional<Address> sender = view == null
                ? Optional.empty()
                : view.getMembers().stream()
                        .filter(m -> m instanceof UUID u
                                && u.getMostSignificantBits() == mostSigBits
                                && u.getLeastSignificantBits() == leastSigBits)
                        .findFirst();
        try {
            // A node not in this view yet (its view came first) is judged by the store, as through JGroups.
            Address from = sender.orElseGet(() -> new UUID(mostSigBits, leastSigBits));
            return handler.handle(new BytesMessage(null, request).setSrc(from));
        } catch (Exception e) {
            return e;
        }
    }

    /** A node's answer port: its announced address and port, + {@link AnswerLinkServer#PORT_OFFSET}. */
    private Optional<InetSocketAddress> answerPortOf(Address node) {
        Object physical = channel.down(new Event(Event.GET_PHYSICAL_ADDRESS, node));
        if (physical instanceof IpAddress ip && ip.getPort() + AnswerLinkServer.PORT_OFFSET <= 65_535) {
            return Optional.of(new InetSocketAddress(ip.getIpAddress(), ip.getPort() + AnswerLinkServer.PORT_OFFSET));
        }
        return Optional.empty();
    }

    private boolean inView(Address node) {
        View now = channel.getView();
        return now != null && now.containsMember(node);
    }

    /** The members of {@code view} other than this node; none without a view. */
    private List<Address> others(View view) {
        if (view == null) {
            return List.of();
        }
        Address self = channel.getAddress();
        return view.getMembers().stream().filter(m -> !m.equals(self)).toList();
    }

    @Override
    public void close() {
        server.ifPresent(AnswerLinkServer::close);
        links.ifPresent(AnswerLinks::close);
    }
}
