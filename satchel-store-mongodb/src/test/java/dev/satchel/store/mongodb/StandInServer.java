package dev.satchel.store.mongodb;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.satchel.testkit.TestPki;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;

/**
 * mongo-java-server on a free port of this machine: a MongoDB wire-protocol server written in Java
 * (see {@link MongoStandInSessionStoreIT} for what it does and does not prove).
 *
 * <p>It calls itself MongoDB 4.0 (wire version 7), and the current driver refuses servers older than
 * 4.2 (wire version 8) at the handshake. The commands the store sends (find, update, delete,
 * createIndexes) are the same in both, so the stand-in is told to announce 4.2; nothing else
 * about it changes.
 */
final class StandInServer implements AutoCloseable {

    private static final MongoVersion ANNOUNCED = new MongoVersion() {
        @Override
        public List<Integer> getVersionArray() {
            return List.of(4, 2, 0);
        }

        @Override
        public int getWireVersion() {
            return 8;
        }
    };

    private final MongoServer server;
    private final String uri;

    StandInServer() {
        this.server = new MongoServer(new MemoryBackend().version(ANNOUNCED));
        InetSocketAddress address = server.bind();
        this.uri = "mongodb://" + address.getHostString() + ":" + address.getPort();
    }

    private StandInServer(PrivateKey key, X509Certificate certificate) {
        this.server = new MongoServer(new MemoryBackend().version(ANNOUNCED));
        server.enableSsl(key, null, certificate);
        server.bind("127.0.0.1", 0);
        InetSocketAddress address = server.getLocalAddress();
        this.uri = "mongodb://localhost:" + address.getPort() + "/?tls=true";
    }

    /**
     * A stand-in that speaks only TLS, with {@code pki}'s server certificate (for localhost and
     * 127.0.0.1). Its {@link #uri()} names localhost, with {@code tls=true}.
     */
    static StandInServer withTls(TestPki pki) throws Exception {
        X509Certificate certificate;
        try (InputStream in = Files.newInputStream(pki.serverCertificate())) {
            certificate =
                    (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        String pem = Files.readString(pki.serverKey())
                .replaceAll("-----[A-Z ]+-----", "")
                .replaceAll("\\s", "");
        PrivateKey key = KeyFactory.getInstance("EC")
                .generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        return new StandInServer(key, certificate);
    }

    /** {@code mongodb://HOST:PORT} of the running server. */
    String uri() {
        return uri;
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
