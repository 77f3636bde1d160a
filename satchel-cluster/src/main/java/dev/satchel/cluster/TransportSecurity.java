package dev.satchel.cluster;

import java.io.UncheckedIOException;
import java.net.SocketException;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.jgroups.JChannel;
import org.jgroups.protocols.SHARED_LOOPBACK;
import org.jgroups.protocols.TCP;
import org.jgroups.protocols.TP;
import org.jgroups.util.DefaultSocketFactory;
import org.jgroups.util.SocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the builder's choice of TLS or plain text on a channel's transport before it connects, and
 * refuses a stack that would talk to other processes when the builder made no choice: traffic
 * between nodes is encrypted unless someone said it need not be.
 *
 * <p>The TLS sockets are made here rather than by JGroups' own {@code TCP.tls}, for one reason:
 * JGroups opens an outgoing connection, handshake included, while holding the lock its acceptor
 * needs to take an incoming one. Two nodes connecting to each other at once (a merge, a restart)
 * then each wait in the handshake for an acceptor that waits for them: measured here, a node
 * restarted while its peers' acceptors were busy stayed a cluster of one for good. A client
 * handshake that gives up after {@link #HANDSHAKE_TIMEOUT} releases the lock, and the next
 * attempt connects.
 */
final class TransportSecurity {
    private static final Logger LOG = LoggerFactory.getLogger(TransportSecurity.class);

    /** How long an outgoing connection waits for its TLS handshake. */
    static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(2);

    private TransportSecurity() {}

    static void apply(JChannel channel, ClusterStoreBuilder<?, ?> b) {
        TP transport = channel.getProtocolStack().getTransport();
        if (b.tls.isPresent()) {
            if (!(transport instanceof TCP tcp)) {
                throw new IllegalArgumentException("TLS between the nodes needs JGroups' TCP transport, and the stack "
                        + b.config + " uses " + transport.getName());
            }
            tcp.setSocketFactory(socketFactory(b.tls.get().context()));
            LOG.info(
                    "traffic between the nodes: TLS, as {} from {}",
                    b.tls.get().identity(),
                    b.tls.get().keystore());
        } else if (b.plaintext && !(transport instanceof SHARED_LOOPBACK)) {
            LOG.warn("traffic between the nodes: plain text, as configured; anyone reaching the cluster port can"
                    + " read the session copies and join");
        } else if (!b.plaintext && !(transport instanceof SHARED_LOOPBACK)) {
            throw new IllegalArgumentException("the traffic between the nodes of cluster " + b.clusterName
                    + " would cross the network unencrypted, and any process reaching its port could join: give"
                    + " the builder tls(ClusterTls.fromKeystore(...)), or plaintext() to say that is intended");
        }
    }

    /** Whether {@code channel}'s transport speaks TLS. */
    static boolean usesTls(JChannel channel) {
        return channel.getProtocolStack().getTransport() instanceof TCP tcp
                && tcp.getSocketFactory() instanceof TlsSockets;
    }

    /**
     * Server sockets that demand a client certificate; client sockets whose handshake times out,
     * and whose reads stop timing out once it is done. Both TLS 1.3 or 1.2 only.
     */
    static SocketFactory socketFactory(SSLContext context) {
        TlsSockets sockets = new TlsSockets(context);
        sockets.setServerSocketConfigurator(s -> {
            SSLServerSocket server = (SSLServerSocket) s;
            server.setEnabledProtocols(ClusterTls.PROTOCOLS);
            server.setNeedClientAuth(true);
        });
        sockets.setSocketConfigurator(s -> {
            SSLSocket client = (SSLSocket) s;
            client.setEnabledProtocols(ClusterTls.PROTOCOLS);
            try {
                client.setSoTimeout((int) HANDSHAKE_TIMEOUT.toMillis());
            } catch (SocketException e) {
                throw new UncheckedIOException(e);
            }
            // JGroups' reader then blocks with no timeout, as on a plain socket. The listener runs
            // on a thread of its own right after the handshake; until then a read waits at most
            // the handshake timeout, and the peers' heartbeats arrive every second.
            client.addHandshakeCompletedListener(done -> {
                try {
                    done.getSocket().setSoTimeout(0);
                } catch (SocketException closedMeanwhile) {
                    // nothing left to read from
                }
            });
        });
        return sockets;
    }

    /** JGroups' factory, made recognisable as the one that speaks TLS. */
    static final class TlsSockets extends DefaultSocketFactory {
        TlsSockets(SSLContext context) {
            super(context);
        }
    }
}
