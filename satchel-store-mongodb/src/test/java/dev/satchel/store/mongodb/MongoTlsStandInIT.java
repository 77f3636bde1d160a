package dev.satchel.store.mongodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.testkit.TestPki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The MongoDB store over TLS with a private CA, against the stand-in (mongo-java-server, not
 * MongoDB) speaking only TLS with a certificate from a CA this test makes. What this proves is the
 * store's side: the CA given as {@code trustedCertificates} or {@code tlsCAFile} is the one
 * trusted, the server's name is verified, and a certificate from another CA stops the store at
 * start saying why. The real server's TLS settings (modes, client certificates for X.509
 * authentication) are not covered.
 */
class MongoTlsStandInIT {
    private static TestPki pki;
    private static TestPki otherPki;
    private static StandInServer server;

    @BeforeAll
    static void start() throws Exception {
        Path dir = Files.createTempDirectory("satchel-mongo-tls");
        pki = TestPki.create(dir.resolve("pki"));
        otherPki = TestPki.create(dir.resolve("other-pki"));
        server = StandInServer.withTls(pki);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static void keepsASession(MongoSessionStore store) {
        SessionId id = SessionId.random();
        Instant now = Instant.now();
        store.save(ChangeSet.builder(id, now, now.plus(Duration.ofHours(1)))
                .created()
                .maxInactiveInterval(Duration.ofMinutes(30))
                .set("cart", "2 items".getBytes(StandardCharsets.UTF_8))
                .accessedAt(now)
                .build());
        assertThat(store.load(id)).isPresent();
    }

    @Test
    void withTheCaTrusted_theStoreKeepsSessions_overTls() {
        try (MongoSessionStore store = MongoSessionStore.builder(server.uri())
                .trustedCertificates(pki.caCertificate())
                .sweepInBackground(false)
                .build()) {
            keepsASession(store);
        }
    }

    @Test
    void theCaFile_mayComeInTheConnectionString_asTlsCAFile() {
        try (MongoSessionStore store = MongoSessionStore.builder(server.uri() + "&tlsCAFile=" + pki.caCertificate())
                .sweepInBackground(false)
                .build()) {
            keepsASession(store);
        }
    }

    @Test
    void aCertificateFromAnotherCa_stopsTheStoreAtStart_sayingWhy() {
        assertThatThrownBy(() -> MongoSessionStore.builder(server.uri())
                        .trustedCertificates(otherPki.caCertificate())
                        .timeout(Duration.ofMillis(1500))
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("no server answered")
                .hasMessageContaining("PKIX path");
    }

    @Test
    void withoutTheCa_theJdksCasDoNotTrustIt() {
        assertThatThrownBy(() -> MongoSessionStore.builder(server.uri())
                        .timeout(Duration.ofMillis(1500))
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("PKIX path");
    }

    @Test
    void aCaFile_withoutTls_orUnreadable_isRefusedAtOnce() {
        assertThatThrownBy(() -> MongoSessionStore.builder("mongodb://localhost:1/?tlsCAFile=" + pki.caCertificate())
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tls=true");
        assertThatThrownBy(() -> MongoSessionStore.builder(server.uri())
                        .trustedCertificates(Path.of("/nonexistent/ca.pem"))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("/nonexistent/ca.pem");
    }
}
