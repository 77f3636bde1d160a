package dev.satchel.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS between the nodes of a cluster: every JGroups connection (session copies, acknowledgements,
 * views, merges) is encrypted, and each side must show a certificate the other trusts, so a
 * process without the key can neither read the copies nor join and inject its own.
 *
 * <p>Built from one keystore (PKCS#12, or JKS): its single private key and certificate are this
 * node's identity, and every certificate in it is trusted, both its own chain and any trusted
 * entries. The simplest setup is one keystore with one self-signed key copied to every node
 * ({@code satchel cluster-keystore} writes one); with a private CA, give each node its own key
 * signed by the CA and add the CA's certificate as a trusted entry. Peers are not checked by host
 * name: membership is the key, not the address. Immutable.
 *
 * <p>Failure detection ({@code FD_SOCK2}) keeps its own plain port: it carries no session data,
 * only whether a connection to a peer is open.
 */
public final class ClusterTls {
    /** TLS 1.3 first; 1.2 for peers whose JDK lacks it. Nothing older. */
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final Path keystore;
    private final SSLContext context;
    private final X509Certificate identity;

    private ClusterTls(Path keystore, SSLContext context, X509Certificate identity) {
        this.keystore = keystore;
        this.context = context;
        this.identity = identity;
    }

    /**
     * Reads {@code keystore} with {@code password}, which opens both the file and its key.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it: missing,
     *     unreadable, a wrong password, no key or more than one, a certificate out of its dates
     */
    public static ClusterTls fromKeystore(Path keystore, char[] password) {
        Objects.requireNonNull(keystore, "keystore");
        Objects.requireNonNull(password, "password");
        if (!Files.isRegularFile(keystore)) {
            throw new IllegalArgumentException("cluster keystore " + keystore + " is not a file");
        }
        KeyStore store = load(keystore, password);
        try {
            String alias = onlyKey(store, keystore);
            X509Certificate identity = (X509Certificate) store.getCertificate(alias);
            checkDates(identity, keystore);
            KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            keys.init(store, password);
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(trusted(store));
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
            return new ClusterTls(keystore, context, identity);
        } catch (UnrecoverableKeyException e) {
            throw new IllegalArgumentException(
                    "cannot open the key in cluster keystore " + keystore
                            + ": its password differs from the keystore's (give both the same)",
                    e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot use cluster keystore " + keystore + ": " + e.getMessage(), e);
        }
    }

    /** The file this was read from, for logs. */
    public Path keystore() {
        return keystore;
    }

    /** The subject of this node's certificate, for logs. */
    public String identity() {
        return identity.getSubjectX500Principal().getName();
    }

    SSLContext context() {
        return context;
    }

    private static KeyStore load(Path file, char[] password) {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            try {
                store.load(in, password);
                return store;
            } catch (IOException e) {
                return loadAsJks(file, password, e);
            }
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(unreadable(file, e), e);
        }
    }

    /** A JKS file, or a PKCS#12 one whose password is wrong: the JDK says which by its cause. */
    private static KeyStore loadAsJks(Path file, char[] password, IOException first)
            throws IOException, GeneralSecurityException {
        if (first.getCause() instanceof UnrecoverableKeyException) {
            throw first;
        }
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore store = KeyStore.getInstance("JKS");
            store.load(in, password);
            return store;
        } catch (IOException e) {
            first.addSuppressed(e);
            throw first;
        }
    }

    private static String unreadable(Path file, Exception e) {
        if (e.getCause() instanceof UnrecoverableKeyException
                || String.valueOf(e.getMessage()).contains("password was incorrect")) {
            return "cannot open cluster keystore " + file + ": wrong password";
        }
        return "cannot read cluster keystore " + file + " (PKCS#12 or JKS): " + e.getMessage();
    }

    private static String onlyKey(KeyStore store, Path file) throws GeneralSecurityException {
        List<String> keys = new ArrayList<>();
        for (String alias : Collections.list(store.aliases())) {
            if (store.isKeyEntry(alias) && store.getCertificate(alias) instanceof X509Certificate) {
                keys.add(alias);
            }
        }
        if (keys.size() != 1) {
            throw new IllegalArgumentException("cluster keystore " + file + " must hold exactly one private key"
                    + " with its certificate, and holds " + keys.size() + (keys.isEmpty() ? "" : ": " + keys));
        }
        return keys.get(0);
    }

    private static void checkDates(X509Certificate certificate, Path file) {
        try {
            certificate.checkValidity();
        } catch (CertificateExpiredException | CertificateNotYetValidException e) {
            throw new IllegalArgumentException(
                    "the certificate in cluster keystore " + file + " is valid from "
                            + certificate.getNotBefore().toInstant() + " to "
                            + certificate.getNotAfter().toInstant()
                            + ", not now",
                    e);
        }
    }

    /** Every certificate in the keystore: trusted entries, and each key's chain. */
    private static KeyStore trusted(KeyStore store) throws GeneralSecurityException {
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        try {
            trusted.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException(e);
        }
        int n = 0;
        for (String alias : Collections.list(store.aliases())) {
            Certificate[] chain = store.isKeyEntry(alias)
                    ? store.getCertificateChain(alias)
                    : new Certificate[] {store.getCertificate(alias)};
            for (Certificate c : chain == null ? new Certificate[0] : chain) {
                trusted.setCertificateEntry("trusted-" + n++, c);
            }
        }
        return trusted;
    }

    @Override
    public String toString() {
        return "ClusterTls[" + keystore + ", " + identity() + "]";
    }
}
