package dev.satchel.balancer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Throwaway self-signed certificates for demos and tests, made by the JDK's own {@code keytool}
 * (Java has no public API to issue a certificate, and Netty's generator needs BouncyCastle or JDK
 * internals). Never for production: no browser trusts them.
 */
public final class SelfSignedCertificates {
    private SelfSignedCertificates() {}

    /**
     * Issues an EC P-256 certificate for {@code localhost} and 127.0.0.1, valid for {@code days}.
     *
     * @param workDir where keytool writes its keystore; deleted again before this returns
     * @throws IllegalStateException if keytool is missing or fails
     */
    public static TlsSettings forLocalhost(Path workDir, int days) {
        KeyStore.PrivateKeyEntry entry = issue(workDir, days);
        return TlsSettings.of(entry.getPrivateKey(), List.of((X509Certificate) entry.getCertificate()));
    }

    /** A fresh key and its self-signed certificate, as {@link #forLocalhost} makes them. */
    static KeyStore.PrivateKeyEntry issue(Path workDir, int days) {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        if (!Files.isExecutable(keytool)) {
            throw new IllegalStateException("no keytool in " + keytool.getParent() + " to make a certificate with;"
                    + " give a certificate with --tls-cert and --tls-key instead");
        }
        String password = "throwaway";
        Path store = workDir.resolve("satchel-self-signed-" + System.nanoTime() + ".p12");
        try {
            Process p = new ProcessBuilder(
                            keytool.toString(),
                            "-genkeypair",
                            "-alias",
                            "satchel",
                            "-keyalg",
                            "EC",
                            "-groupname",
                            "secp256r1",
                            "-sigalg",
                            "SHA256withECDSA",
                            "-dname",
                            "CN=localhost",
                            "-ext",
                            "SAN=dns:localhost,ip:127.0.0.1,ip:::1",
                            "-validity",
                            String.valueOf(days),
                            "-storetype",
                            "PKCS12",
                            "-keystore",
                            store.toString(),
                            "-storepass",
                            password,
                            "-keypass",
                            password)
                    .redirectErrorStream(true)
                    .start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("keytool could not make a certificate: " + output.strip());
            }
            KeyStore keys = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(store)) {
                keys.load(in, password.toCharArray());
            }
            return (KeyStore.PrivateKeyEntry)
                    keys.getEntry("satchel", new KeyStore.PasswordProtection(password.toCharArray()));
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot make a self-signed certificate: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while making a certificate", e);
        } finally {
            try {
                Files.deleteIfExists(store);
            } catch (IOException e) {
                // a throwaway key in a temporary folder; nothing more to do
            }
        }
    }
}
