package dev.satchel.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** For tests of nodes over real sockets: Satchel's TCP stack on loopback, and a client trusting any server. */
final class LoopbackTcp {
    private LoopbackTcp() {}

    /**
     * Satchel's stack on loopback at {@code port}, with {@code peers} ({@code host[port],...}) to
     * discover, without failure detection's own port; written to {@code dir}.
     */
    static Path stack(Path dir, String name, int port, String peers) throws IOException {
        String xml =
                """
                <config xmlns="urn:org:jgroups">
                    <TCP bind_addr="127.0.0.1" bind_port="%d" port_range="0" tcp_nodelay="true"
                         bundler_type="no-bundler" message_processing_policy="direct"/>
                    <TCPPING initial_hosts="%s" port_range="0" async_discovery="true"/>
                    <MERGE3 min_interval="1s" max_interval="2s"/>
                    <FD_ALL3 timeout="6s" interval="1s"/>
                    <VERIFY_SUSPECT2 timeout="300ms"/>
                    <pbcast.NAKACK2 use_mcast_xmit="false"/>
                    <UNICAST3/>
                    <pbcast.STABLE desired_avg_gossip="5s" max_bytes="4M"/>
                    <pbcast.GMS print_local_addr="false" join_timeout="1s"/>
                    <FRAG2 frag_size="60K"/>
                </config>
                """
                        .formatted(port, peers);
        return Files.writeString(dir.resolve(name + "-" + port + ".xml"), xml);
    }

    /**
     * As {@link #stack}, with DISCARD over TCP (a test can make the node deaf) and merges too slow
     * to matter within a test, so only a node's own asking again brings it in.
     */
    static Path deafenableStack(Path dir, String name, int port, String peers) throws IOException {
        String xml = Files.readString(stack(dir, name, port, peers))
                .replace("<TCPPING", "<DISCARD/>\n    <TCPPING")
                .replace(
                        "<MERGE3 min_interval=\"1s\" max_interval=\"2s\"/>",
                        "<MERGE3 min_interval=\"60s\" max_interval=\"90s\"/>");
        return Files.writeString(dir.resolve(name + "-" + port + ".xml"), xml);
    }

    /** A port free on loopback now. */
    static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A TLS client that would accept any server, without a certificate of its own: what is tested is the server. */
    static SSLContext trustingAnyone() throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new TrustAll()}, null);
        return context;
    }

    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
