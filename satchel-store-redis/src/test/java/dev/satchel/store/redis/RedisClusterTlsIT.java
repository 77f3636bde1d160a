package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreContract;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.testkit.LocalRedisServer;
import dev.satchel.testkit.RedisClusterNodes;
import dev.satchel.testkit.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The store contract on a six-node Redis Cluster reached over TLS ({@code rediss-cluster://}), its
 * nodes speaking TLS to clients, on the cluster bus and for replication, with certificates from a CA
 * this test makes. The store is given one seed's address; every other master it writes to, it found
 * through the cluster and reached over TLS, verifying each certificate.
 */
class RedisClusterTlsIT extends SessionStoreContract {
    private static TestPki pki;
    private static TestPki otherPki;
    private static RedisClusterNodes cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        Path dir = Files.createTempDirectory("satchel-redis-cluster-tls");
        pki = TestPki.create(dir.resolve("pki"));
        otherPki = TestPki.create(dir.resolve("other-pki"));
        cluster = RedisClusterNodes.startTls(dir.resolve("nodes"), pki);
    }

    @AfterAll
    static void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Only the first node: the store must find the others, and reach them over TLS too. */
    private static String oneSeed() {
        String uri = cluster.uri();
        int comma = uri.indexOf(',');
        return comma < 0 ? uri : uri.substring(0, comma);
    }

    @Override
    protected SessionStore createStore(Clock clock) {
        return RedisSessionStore.builder(oneSeed())
                .trustedCertificates(pki.caCertificate())
                .clock(clock)
                .keyPrefix("t" + System.nanoTime() + ":")
                .build();
    }

    @Override
    protected boolean expectsConditionalSaves() {
        return true;
    }

    @Override
    protected void reclaimExpired(SessionStore store) {
        // Redis reclaims by TTL on its own clock; the fake clock's expiry is enforced on read.
    }

    @Test
    void sessionsReachEveryMaster_overTls_fromOneSeed() {
        Set<LocalRedisServer> masters = new HashSet<>();
        for (int i = 0; i < 30; i++) {
            SessionRecord r = create(Map.of("i", Integer.toString(i)));
            assertThat(store.load(r.id())).isPresent();
            masters.add(cluster.masterOf("{" + r.id().value() + "}"));
        }
        assertThat(masters).as("masters the sessions' slots belong to").hasSize(3);
        // Where the data landed, asked of each master on its plain port (open to the test only).
        for (LocalRedisServer master : masters) {
            assertThat(cluster.keysOn(master))
                    .as("keys on the master at " + master.port())
                    .isPositive();
        }
    }

    @Test
    void aClusterWhoseCertificatesComeFromAnotherCa_isNotTrusted_atStart() {
        assertThatThrownBy(() -> RedisSessionStore.builder(oneSeed())
                        .trustedCertificates(otherPki.caCertificate())
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("rediss-cluster://")
                .hasStackTraceContaining("PKIX path");
    }

    @Test
    void theTlsPorts_refusePlainClients() {
        String plain = oneSeed().replace("rediss-cluster://", "redis-cluster://");
        assertThatThrownBy(() -> RedisSessionStore.builder(plain).build())
                .isInstanceOf(SessionStoreUnavailableException.class);
    }
}
