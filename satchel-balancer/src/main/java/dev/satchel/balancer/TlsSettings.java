package dev.satchel.balancer;

import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.SSLException;

/**
 * The certificate chain and private key the balancer terminates TLS with, checked when made: a key
 * that does not belong to the certificate, or a file that holds neither, fails here, at start-up,
 * with a message that says what to do, not at the first handshake. Immutable.
 *
 * <p>TLS 1.2 and 1.3 only, with the ciphers of Mozilla's "intermediate" profile: AES-GCM and
 * ChaCha20-Poly1305 with forward secrecy, nothing older.
 */
public final class TlsSettings {
    /** TLS 1.3's three suites, then TLS 1.2's ECDHE with AEAD (Mozilla's intermediate profile). */
    static final List<String> CIPHERS = List.of(
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");

    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final PrivateKey key;
    private final List<X509Certificate> chain;

    private TlsSettings(PrivateKey key, List<X509Certificate> chain) {
        this.key = key;
        this.chain = chain;
    }

    /**
     * A key and its certificate chain, leaf first.
     *
     * @throws IllegalArgumentException if the chain is empty or the key is not the leaf's
     */
    public static TlsSettings of(PrivateKey key, List<X509Certificate> chain) {
        Objects.requireNonNull(key, "key");
        if (chain == null || chain.isEmpty()) {
            throw new IllegalArgumentException("a TLS certificate chain needs at least one certificate");
        }
        List<X509Certificate> copy = List.copyOf(chain);
        if (!belongsTo(key, copy.get(0))) {
            throw new IllegalArgumentException("the private key does not belong to the certificate "
                    + copy.get(0).getSubjectX500Principal().getName());
        }
        return new TlsSettings(key, copy);
    }

    /**
     * Reads a PEM certificate chain (leaf first, as web servers take it) and an unencrypted PKCS#8
     * PEM key ({@code BEGIN PRIVATE KEY}, what {@code openssl genpkey} and {@code openssl req
     * -newkey} write).
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static TlsSettings fromPem(Path certificateChain, Path privateKey) {
        List<X509Certificate> chain = readCertificates(certificateChain);
        PrivateKey key = readKey(privateKey, chain.get(0).getPublicKey().getAlgorithm());
        if (!belongsTo(key, chain.get(0))) {
            throw new IllegalArgumentException(
                    "the key in " + privateKey + " does not belong to the first certificate in " + certificateChain);
        }
        return new TlsSettings(key, List.copyOf(chain));
    }

    /** The leaf certificate: the one the balancer presents. */
    public X509Certificate certificate() {
        return chain.get(0);
    }

    /** The leaf certificate's SHA-256 fingerprint, colon-separated hex, as browsers show it. */
    public String fingerprint() {
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256").digest(certificate().getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    /**
     * The TLS engine: OpenSSL's API on BoringSSL (netty-tcnative) where its native library loads,
     * else the JDK's. The system property {@code satchel.balancer.tls-engine} ({@code openssl} or
     * {@code jdk}) picks one, for comparing them.
     */
    static SslProvider engine() {
        String asked =
                System.getProperty("satchel.balancer.tls-engine", "").strip().toLowerCase(Locale.ROOT);
        return switch (asked) {
            case "jdk" -> SslProvider.JDK;
            case "openssl" -> {
                if (!OpenSsl.isAvailable()) {
                    throw new IllegalStateException("satchel.balancer.tls-engine=openssl, but OpenSSL cannot load: "
                            + OpenSsl.unavailabilityCause());
                }
                yield SslProvider.OPENSSL;
            }
            case "" -> OpenSsl.isAvailable() ? SslProvider.OPENSSL : SslProvider.JDK;
            default -> throw new IllegalStateException(
                    "satchel.balancer.tls-engine must be openssl or jdk, not " + asked);
        };
    }

    /** A server context on the given engine. */
    SslContext serverContext(SslProvider provider) {
        try {
            return SslContextBuilder.forServer(key, chain.toArray(X509Certificate[]::new))
                    .sslProvider(provider)
                    .protocols(PROTOCOLS)
                    .ciphers(CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
                    .build();
        } catch (SSLException e) {
            throw new IllegalArgumentException("cannot set up TLS with this certificate and key: " + e.getMessage(), e);
        }
    }

    private static List<X509Certificate> readCertificates(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            List<X509Certificate> chain = new ArrayList<>();
            CertificateFactory.getInstance("X.509")
                    .generateCertificates(in)
                    .forEach(c -> chain.add((X509Certificate) c));
            if (chain.isEmpty()) {
                throw new IllegalArgumentException(file + " holds no certificate");
            }
            return chain;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the TLS certificate " + file + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    file + " is not a PEM certificate chain (BEGIN CERTIFICATE): " + e.getMessage(), e);
        }
    }

    private static PrivateKey readKey(Path file, String algorithm) {
        String pem;
        try {
            pem = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the TLS key " + file + ": " + e.getMessage(), e);
        }
        if (pem.contains("BEGIN ENCRYPTED PRIVATE KEY")) {
            throw new IllegalArgumentException(file + " is encrypted; the balancer needs it unencrypted"
                    + " (openssl pkcs8 -in " + file + " -out key.pem), readable by its user only");
        }
        if (pem.contains("BEGIN RSA PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY")) {
            throw new IllegalArgumentException(file + " is a PKCS#1 or SEC1 key; convert it to PKCS#8 with"
                    + " openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pem");
        }
        String begin = "-----BEGIN PRIVATE KEY-----";
        String end = "-----END PRIVATE KEY-----";
        int from = pem.indexOf(begin);
        int to = pem.indexOf(end);
        if (from < 0 || to < from) {
            throw new IllegalArgumentException(file + " holds no PEM private key (BEGIN PRIVATE KEY)");
        }
        try {
            byte[] der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
            String keyAlgorithm = algorithm.toUpperCase(Locale.ROOT).equals("EDDSA") ? "Ed25519" : algorithm;
            return KeyFactory.getInstance(keyAlgorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    file + " is not a " + algorithm + " key, the kind the certificate needs: " + e.getMessage(), e);
        }
    }

    /** Whether the key signs what the certificate's public key verifies. */
    private static boolean belongsTo(PrivateKey key, X509Certificate certificate) {
        String algorithm =
                switch (key.getAlgorithm().toUpperCase(Locale.ROOT)) {
                    case "RSA" -> "SHA256withRSA";
                    case "EC" -> "SHA256withECDSA";
                    case "ED25519", "EDDSA" -> "Ed25519";
                    default -> throw new IllegalArgumentException(
                            "a " + key.getAlgorithm() + " key; the balancer takes RSA, EC or Ed25519");
                };
        try {
            byte[] probe = "satchel".getBytes(StandardCharsets.US_ASCII);
            Signature sign = Signature.getInstance(algorithm);
            sign.initSign(key);
            sign.update(probe);
            byte[] signature = sign.sign();
            Signature verify = Signature.getInstance(algorithm);
            verify.initVerify(certificate.getPublicKey());
            verify.update(probe);
            return verify.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }
}
