package dev.satchel.store.mongodb;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A private CA for the store's TLS connections. The Java driver trusts only the JDK's CAs unless
 * handed an {@link SSLContext}, and does not read the {@code tlsCAFile} option other MongoDB
 * drivers take; the store reads it from the connection string itself, so {@code satchel node
 * --store mongodb://...?tls=true&tlsCAFile=ca.pem} works as it does elsewhere.
 */
final class MongoTls {

    private static final String CA_FILE_OPTION = "tlscafile";

    private MongoTls() {}

    /** A connection string with the {@code tlsCAFile} option taken out, and the file it named. */
    record Split(String connectionString, Optional<Path> caFile) {}

    static Split split(String connectionString) {
        int q = connectionString.indexOf('?');
        if (q < 0) {
            return new Split(connectionString, Optional.empty());
        }
        List<String> kept = new ArrayList<>();
        Optional<Path> ca = Optional.empty();
        for (String pair : connectionString.substring(q + 1).split("&")) {
            int eq = pair.indexOf('=');
            String name = (eq < 0 ? pair : pair.substring(0, eq)).toLowerCase(Locale.ROOT);
            if (name.equals(CA_FILE_OPTION) && eq > 0) {
                ca = Optional.of(Path.of(
                        java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8)));
            } else if (!pair.isEmpty()) {
                kept.add(pair);
            }
        }
        String rest = connectionString.substring(0, q) + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
        return new Split(rest, ca);
    }

    /**
     * A TLS context that trusts the CA certificates in {@code caPem} and nothing else.
     *
     * @throws IllegalArgumentException if the file cannot be read or holds no certificate
     */
    static SSLContext trusting(Path caPem) {
        try (InputStream in = Files.newInputStream(caPem)) {
            Collection<? extends Certificate> certificates =
                    CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certificates.isEmpty()) {
                throw new IllegalArgumentException("no certificate in the MongoDB CA file " + caPem);
            }
            KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
            trusted.load(null, null);
            int i = 0;
            for (Certificate certificate : certificates) {
                trusted.setCertificateEntry("ca-" + i++, certificate);
            }
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, trust.getTrustManagers(), null);
            return context;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the MongoDB CA file " + caPem + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "the MongoDB CA file " + caPem + " holds no usable certificate: " + e.getMessage(), e);
        }
    }
}
