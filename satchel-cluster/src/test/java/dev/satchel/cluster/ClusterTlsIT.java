package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.testkit.Await;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real nodes over real sockets on loopback, Satchel's TCP stack, TLS from keystores the test makes
 * with {@link ClusterKeystore} (keytool): nodes sharing a key replicate; a node with another key
 * never joins nor sees a session; the cluster port answers only TLS with a trusted certificate; and
 * a stack that would talk plain text without being told to is refused.
 */
class ClusterTlsIT {
    private static final char[] PASSWORD = "cluster-secret".toCharArray();

    private final String cluster = "satchel-tls-" + UUID.randomUUID();

    @TempDir
    Path dir;

    @Test
    void nodesSharingAKey_replicateOverTls_andANodeWithAnotherKeyNeverJoins() throws Exception {
        ClusterTls shared =
                ClusterTls.fromKeystore(ClusterKeystore.generate(dir.resolve("shared.p12"), PASSWORD, 2), PASSWORD);
        ClusterTls other =
                ClusterTls.fromKeystore(ClusterKeystore.generate(dir.resolve("other.p12"), PASSWORD, 2), PASSWORD);
        int portA = freePort();
        int portB = freePort();
        int portC = freePort();
        String peers = "127.0.0.1[%d],127.0.0.1[%d],127.0.0.1[%d]".formatted(portA, portB, portC);
        try (ReplicatedSessionStore a = node("a", portA, peers).tls(shared).build();
                ReplicatedSessionStore b = node("b", portB, peers).tls(shared).build()) {
            CopiesAgreeIT.awaitView(a::members, 2);
            SessionId id = SessionId.random();
            a.save(cart(id, "secret cart"));
            Await.until(
                    Duration.ofSeconds(5), () -> cartOf(b.load(id)), Optional::isPresent, "b's copy of the session");
            assertThat(cartOf(b.load(id))).contains("secret cart");

            try (ReplicatedSessionStore intruder = node("c", portC, peers)
                    .tls(other)
                    .peerWait(Duration.ofSeconds(3))
                    .build()) {
                TimeUnit.SECONDS.sleep(3); // discovery and a merge round had their chance
                assertThat(intruder.members()).as("the intruder's view").containsExactly("c");
                assertThat(a.members()).as("the cluster's view").containsExactlyInAnyOrder("a", "b");
                assertThat(readable(() -> intruder.load(id)))
                        .as("the intruder's copy")
                        .isEmpty();
                SessionId planted = SessionId.random();
                readable(() -> {
                    intruder.save(cart(planted, "planted"));
                    return Optional.empty();
                });
                TimeUnit.MILLISECONDS.sleep(500);
                assertThat(a.load(planted))
                        .as("a session the intruder saved, on a")
                        .isEmpty();
            }
        }
    }

    @Test
    void theClusterPort_answersOnlyTlsWithATrustedCertificate() throws Exception {
        Path keystore = ClusterKeystore.generate(dir.resolve("shared.p12"), PASSWORD, 2);
        int port = freePort();
        try (ReplicatedSessionStore a = node("a", port, "127.0.0.1[" + port + "]")
                .tls(ClusterTls.fromKeystore(keystore, PASSWORD))
                .build()) {
            SSLContext trustingAnyone = LoopbackTcp.trustingAnyone();
            try (SSLSocket s = (SSLSocket) trustingAnyone.getSocketFactory().createSocket("127.0.0.1", port)) {
                s.setSoTimeout(5_000);
                assertThatThrownBy(() -> {
                            s.startHandshake();
                            s.getOutputStream().write(new byte[64]);
                            s.getOutputStream().flush();
                            if (s.getInputStream().read() < 0) {
                                throw new SSLException("closed without a word");
                            }
                        })
                        .as("a client without a certificate")
                        .isInstanceOf(IOException.class);
            }
            try (Socket plain = new Socket()) {
                plain.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
                plain.setSoTimeout(5_000);
                OutputStream out = plain.getOutputStream();
                out.write("bela\u0000\u0000\u0000 plain JGroups hello".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                InputStream in = plain.getInputStream();
                byte[] answer = in.readNBytes(5);
                assertThat(answer.length == 0 || answer[0] == 0x15)
                        .as(
                                "a plain client gets nothing, or a TLS alert record (0x15), not JGroups: %s",
                                java.util.Arrays.toString(answer))
                        .isTrue();
            } catch (IOException closed) {
                // reset by the server: also not an answer
            }
            assertThat(a.members()).containsExactly("a");
        }
    }

    @Test
    void aNetworkStackWithoutAChoice_isRefusedWithWhatToDo() throws Exception {
        int port = freePort();
        assertThatThrownBy(() -> node("a", port, "127.0.0.1[" + port + "]").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unencrypted")
                .hasMessageContaining("plaintext()");
        try (ServerSocket free = new ServerSocket()) {
            free.bind(new InetSocketAddress("127.0.0.1", port));
            assertThat(free.isBound()).as("the refused node left its port free").isTrue();
        }
    }

    @Test
    void tlsOnAStackWithoutTcp_isRefused() throws Exception {
        ClusterTls tls = ClusterTls.fromKeystore(ClusterKeystore.generate(dir.resolve("k.p12"), PASSWORD, 2), PASSWORD);
        assertThatThrownBy(() -> ReplicatedSessionStore.builder(cluster)
                        .config("dev/satchel/cluster/loopback.xml")
                        .tls(tls)
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs JGroups' TCP transport");
    }

    private ReplicatedSessionStore.Builder node(String name, int port, String peers) throws IOException {
        return ReplicatedSessionStore.builder(cluster)
                .config(LoopbackTcp.stack(dir, name, port, peers).toString())
                .nodeName(name)
                .peerWait(Duration.ofSeconds(5));
    }

    private static ChangeSet cart(SessionId id, String value) {
        Instant now = Instant.now();
        return ChangeSet.builder(id, now, now.plus(Duration.ofHours(1)))
                .created()
                .maxInactiveInterval(Duration.ofMinutes(30))
                .set("cart", value.getBytes(StandardCharsets.UTF_8))
                .build();
    }

    /**
     * What a node cut off from the listed peers gives: it may refuse outright (it sees 1 of 3) or
     * find nothing; either way nothing of the cluster's.
     */
    private static Optional<SessionRecord> readable(java.util.concurrent.Callable<Optional<SessionRecord>> read)
            throws Exception {
        try {
            return read.call();
        } catch (dev.satchel.core.SessionStoreUnavailableException refused) {
            return Optional.empty();
        }
    }

    private static Optional<String> cartOf(Optional<SessionRecord> record) {
        return record.map(r -> new String(r.attributes().get("cart"), StandardCharsets.UTF_8));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
