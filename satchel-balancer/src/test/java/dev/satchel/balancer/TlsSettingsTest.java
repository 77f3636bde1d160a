package dev.satchel.balancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsSettingsTest {
    @TempDir
    Path dir;

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private Path write(String name, String text) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, text, StandardCharsets.US_ASCII);
        return p;
    }

    @Test
    void aPemChainAndItsPkcs8Key_areRead() throws Exception {
        KeyStore.PrivateKeyEntry entry = SelfSignedCertificates.issue(dir, 2);
        X509Certificate cert = (X509Certificate) entry.getCertificate();
        Path certFile = write("cert.pem", pem("CERTIFICATE", cert.getEncoded()));
        Path keyFile = write("key.pem", pem("PRIVATE KEY", entry.getPrivateKey().getEncoded()));
        TlsSettings tls = TlsSettings.fromPem(certFile, keyFile);
        assertThat(tls.certificate()).isEqualTo(cert);
        assertThat(tls.fingerprint()).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");
    }

    @Test
    void aKeyOfAnotherCertificate_failsAtStartUp_namingBothFiles() throws Exception {
        KeyStore.PrivateKeyEntry one = SelfSignedCertificates.issue(dir, 2);
        KeyStore.PrivateKeyEntry other = SelfSignedCertificates.issue(dir, 2);
        Path certFile =
                write("cert.pem", pem("CERTIFICATE", one.getCertificate().getEncoded()));
        Path keyFile = write("key.pem", pem("PRIVATE KEY", other.getPrivateKey().getEncoded()));
        assertThatThrownBy(() -> TlsSettings.fromPem(certFile, keyFile))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not belong")
                .hasMessageContaining("key.pem")
                .hasMessageContaining("cert.pem");
        assertThatThrownBy(() -> TlsSettings.of(other.getPrivateKey(), List.of((X509Certificate) one.getCertificate())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not belong");
    }

    @Test
    void keysAndCertificatesInTheWrongForm_sayHowToConvertThem() throws Exception {
        KeyStore.PrivateKeyEntry entry = SelfSignedCertificates.issue(dir, 2);
        Path certFile =
                write("cert.pem", pem("CERTIFICATE", entry.getCertificate().getEncoded()));
        Path sec1 = write("ec.pem", pem("EC PRIVATE KEY", new byte[32]));
        assertThatThrownBy(() -> TlsSettings.fromPem(certFile, sec1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
        Path encrypted = write("enc.pem", pem("ENCRYPTED PRIVATE KEY", new byte[32]));
        assertThatThrownBy(() -> TlsSettings.fromPem(certFile, encrypted)).hasMessageContaining("is encrypted");
        Path garbageKey = write("garbage.pem", pem("PRIVATE KEY", new byte[] {1, 2, 3}));
        assertThatThrownBy(() -> TlsSettings.fromPem(certFile, garbageKey))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a EC key");
        Path notACert = write("notcert.pem", "hello\n");
        Path keyFile = write("key.pem", pem("PRIVATE KEY", entry.getPrivateKey().getEncoded()));
        assertThatThrownBy(() -> TlsSettings.fromPem(notACert, keyFile))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("notcert.pem");
        assertThatThrownBy(() -> TlsSettings.fromPem(dir.resolve("missing.pem"), keyFile))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot read the TLS certificate");
    }

    @Test
    void theEngine_isOpenSslWhereItLoads_andThePropertyPicksEither() {
        String before = System.getProperty("satchel.balancer.tls-engine");
        try {
            System.clearProperty("satchel.balancer.tls-engine");
            assertThat(TlsSettings.engine())
                    .isEqualTo(
                            io.netty.handler.ssl.OpenSsl.isAvailable()
                                    ? io.netty.handler.ssl.SslProvider.OPENSSL
                                    : io.netty.handler.ssl.SslProvider.JDK);
            System.setProperty("satchel.balancer.tls-engine", "jdk");
            assertThat(TlsSettings.engine()).isEqualTo(io.netty.handler.ssl.SslProvider.JDK);
            System.setProperty("satchel.balancer.tls-engine", "rot13");
            assertThatThrownBy(TlsSettings::engine).hasMessageContaining("openssl or jdk");
        } finally {
            if (before == null) {
                System.clearProperty("satchel.balancer.tls-engine");
            } else {
                System.setProperty("satchel.balancer.tls-engine", before);
            }
        }
    }

    @Test
    void boringSsl_loadsOnThisPlatform() {
        // The product ships netty-tcnative for linux-x86_64, which CI runs on: the fast engine is real.
        org.junit.jupiter.api.Assumptions.assumeTrue(
                System.getProperty("os.name").equals("Linux")
                        && System.getProperty("os.arch").equals("amd64"),
                "netty-tcnative is shipped for linux-x86_64 only");
        assertThat(io.netty.handler.ssl.OpenSsl.isAvailable())
                .as(String.valueOf(io.netty.handler.ssl.OpenSsl.unavailabilityCause()))
                .isTrue();
    }
}
