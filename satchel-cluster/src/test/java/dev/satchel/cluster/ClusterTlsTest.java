package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@link ClusterTls} refuses at start, each with a message naming the file and the fault. */
class ClusterTlsTest {
    private static final char[] PASSWORD = "cluster-secret".toCharArray();

    @TempDir
    Path dir;

    @Test
    void aGeneratedKeystore_isOwnerOnly_andOpens() throws Exception {
        Path file = ClusterKeystore.generate(dir.resolve("k.p12"), PASSWORD, 10);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        ClusterTls tls = ClusterTls.fromKeystore(file, PASSWORD);
        assertThat(tls.identity()).isEqualTo("CN=satchel-cluster");
        assertThat(tls.context().getProtocol()).isEqualTo("TLS");
    }

    @Test
    void generate_refusesAnExistingFileAndAShortPassword() throws Exception {
        Path file = Files.writeString(dir.resolve("taken.p12"), "x");
        assertThatThrownBy(() -> ClusterKeystore.generate(file, PASSWORD, 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exists already");
        assertThat(Files.readString(file)).isEqualTo("x");
        assertThatThrownBy(() -> ClusterKeystore.generate(dir.resolve("new.p12"), "12345".toCharArray(), 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 6");
    }

    @Test
    void aWrongPassword_isNamed() {
        Path file = ClusterKeystore.generate(dir.resolve("k.p12"), PASSWORD, 10);
        assertThatThrownBy(() -> ClusterTls.fromKeystore(file, "not-it".toCharArray()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("wrong password");
    }

    @Test
    void aMissingFileOrOneThatIsNoKeystore_isNamed() throws Exception {
        assertThatThrownBy(() -> ClusterTls.fromKeystore(dir.resolve("none.p12"), PASSWORD))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a file");
        Path pem = Files.writeString(dir.resolve("cert.pem"), "-----BEGIN CERTIFICATE-----\nAAAA\n");
        assertThatThrownBy(() -> ClusterTls.fromKeystore(pem, PASSWORD))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot read cluster keystore " + pem);
    }

    @Test
    void aKeystoreWithTwoKeys_isAmbiguous() throws Exception {
        Path file = dir.resolve("two.p12");
        keytool(file, "one", List.of());
        keytool(file, "two", List.of());
        assertThatThrownBy(() -> ClusterTls.fromKeystore(file, PASSWORD))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("exactly one private key")
                .hasMessageContaining("holds 2");
    }

    @Test
    void anExpiredCertificate_isRefusedWithItsDates() throws Exception {
        Path file = dir.resolve("old.p12");
        keytool(file, "old", List.of("-startdate", "-10d", "-validity", "1"));
        assertThatThrownBy(() -> ClusterTls.fromKeystore(file, PASSWORD))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is valid from")
                .hasMessageContaining("not now");
    }

    @Test
    void anOutgoingHandshake_givesUpOnASilentPeer_andReadsWithoutATimeoutOnceDone() throws Exception {
        ClusterTls tls =
                ClusterTls.fromKeystore(ClusterKeystore.generate(dir.resolve("k.p12"), PASSWORD, 10), PASSWORD);
        org.jgroups.util.SocketFactory sockets = TransportSecurity.socketFactory(tls.context());
        try (java.net.ServerSocket silent =
                        new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
                java.net.Socket client = sockets.createSocket("test")) {
            client.connect(silent.getLocalSocketAddress(), 2_000);
            assertThatThrownBy(((javax.net.ssl.SSLSocket) client)::startHandshake)
                    .as("a peer that accepted and never answered: the lock JGroups holds meanwhile is released")
                    .isInstanceOf(java.net.SocketTimeoutException.class);
        }
        try (java.net.ServerSocket server =
                        sockets.createServerSocket("test", 0, 50, java.net.InetAddress.getLoopbackAddress());
                java.net.Socket client = sockets.createSocket("test")) {
            java.util.concurrent.CompletableFuture<Integer> served =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try (java.net.Socket accepted = server.accept()) {
                            return accepted.getInputStream().read();
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
            client.connect(server.getLocalSocketAddress(), 2_000);
            javax.net.ssl.SSLSocket ssl = (javax.net.ssl.SSLSocket) client;
            ssl.startHandshake();
            assertThat(ssl.getSession().getProtocol()).isIn(List.of(ClusterTls.PROTOCOLS));
            dev.satchel.testkit.Await.until(
                    java.time.Duration.ofSeconds(5),
                    ssl::getSoTimeout,
                    t -> t == 0,
                    "no read timeout after the handshake");
            client.getOutputStream().write(42);
            client.getOutputStream().flush();
            assertThat(served.get(5, TimeUnit.SECONDS)).isEqualTo(42);
        }
    }

    private static void keytool(Path file, String alias, List<String> extra) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair",
                "-alias",
                alias,
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=" + alias,
                "-storetype",
                "PKCS12",
                "-keystore",
                file.toString(),
                "-storepass",
                new String(PASSWORD),
                "-keypass",
                new String(PASSWORD)));
        command.addAll(extra);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0)
                .as(out)
                .isTrue();
    }
}
