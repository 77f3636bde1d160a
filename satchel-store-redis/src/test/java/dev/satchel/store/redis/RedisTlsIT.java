package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreContract;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.testkit.LocalRedisServer;
import dev.satchel.testkit.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store contract over TLS with an ACL user and a client certificate, against a real
 * redis-server started with {@code tls-port} and certificates from a CA this test makes; and every
 * way the connection can be wrong fails at start-up, saying why.
 */
class RedisTlsIT extends SessionStoreContract {
    private static final String USER = "satchel";
    private static final String PASSWORD = "s3cret-for-the-test";
    private static TestPki pki;
    private static TestPki otherPki;
    private static LocalRedisServer server;

    @BeforeAll
    static void startRedis() throws Exception {
        Path dir = Files.createTempDirectory("satchel-redis-tls");
        pki = TestPki.create(dir.resolve("pki"));
        otherPki = TestPki.create(dir.resolve("other-pki"));
        server = LocalRedisServer.startTls(dir, pki, USER, PASSWORD);
    }

    @AfterAll
    static void stopRedis() {
        server.close();
    }

    private String prefix;
    private RedisSessionStore peer;

    private static String authorized() {
        return "rediss://" + USER + ":" + PASSWORD + "@127.0.0.1:" + server.port();
    }

    private RedisSessionStore.Builder fullyConfigured(Clock clock) {
        return RedisSessionStore.builder(authorized())
                .trustedCertificates(pki.caCertificate())
                .clientCertificate(pki.clientCertificate(), pki.clientKey())
                .clock(clock)
                .keyPrefix(prefix);
    }

    @Override
    protected SessionStore createStore(Clock clock) {
        prefix = "t" + System.nanoTime() + ":";
        return fullyConfigured(clock).build();
    }

    @Override
    protected boolean expectsConditionalSaves() {
        return true;
    }

    @Override
    protected SessionStore peerStore() {
        if (peer == null) {
            peer = fullyConfigured(clock).build();
        }
        return peer;
    }

    @AfterEach
    void closePeer() {
        if (peer != null) {
            peer.close();
            peer = null;
        }
    }

    @Override
    protected void reclaimExpired(SessionStore store) {
        // Redis reclaims by TTL on its own clock.
    }

    @Test
    void theTlsFiles_mayComeInTheUri_asTheCommandLineGivesThem() {
        String uri = authorized() + "?ca=" + pki.caCertificate() + "&cert=" + pki.clientCertificate() + "&key="
                + pki.clientKey();
        try (RedisSessionStore store =
                RedisSessionStore.builder(uri).clock(clock).keyPrefix("uri:").build()) {
            dev.satchel.core.SessionId id = dev.satchel.core.SessionId.random();
            assertThat(store.save(newSession(id).set("a", bytes("1")).build()))
                    .isEqualTo(SessionStore.SaveOutcome.CREATED);
            assertThat(store.load(id)).isPresent();
        }
    }

    @Test
    void aWrongPassword_failsAtStartUp_sayingSo() {
        String wrong = "rediss://" + USER + ":not-the-password@127.0.0.1:" + server.port();
        assertThatThrownBy(() -> RedisSessionStore.builder(wrong)
                        .trustedCertificates(pki.caCertificate())
                        .clientCertificate(pki.clientCertificate(), pki.clientKey())
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("WRONGPASS")
                .hasMessageNotContaining("not-the-password");
    }

    @Test
    void aServerCertificateFromAnotherCa_isNotTrusted() {
        assertThatThrownBy(() -> RedisSessionStore.builder(authorized())
                        .trustedCertificates(otherPki.caCertificate())
                        .clientCertificate(pki.clientCertificate(), pki.clientKey())
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("cannot connect to Redis")
                .hasMessageContaining("trust anchors");
    }

    @Test
    void withoutTheClientCertificate_theServerRefuses() {
        assertThatThrownBy(() -> RedisSessionStore.builder(authorized())
                        .trustedCertificates(pki.caCertificate())
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("cannot connect to Redis");
    }

    @Test
    void plainRedis_toTheTlsPort_fails() {
        assertThatThrownBy(() -> RedisSessionStore.builder(
                                "redis://" + USER + ":" + PASSWORD + "@127.0.0.1:" + server.port())
                        .timeout(java.time.Duration.ofSeconds(1))
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class);
    }

    @Test
    void tlsFilesThatAreMissing_orHalfGiven_orOnPlainRedis_areRefusedBeforeConnecting() {
        assertThatThrownBy(() -> RedisSessionStore.builder(authorized())
                        .trustedCertificates(Path.of("/no/such/ca.pem"))
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("/no/such/ca.pem");
        assertThatThrownBy(() -> RedisSessionStore.builder(authorized() + "?cert=" + pki.clientCertificate())
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs its key");
        assertThatThrownBy(() -> RedisSessionStore.builder("redis://127.0.0.1:1?ca=" + pki.caCertificate())
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("rediss://");
    }
}
