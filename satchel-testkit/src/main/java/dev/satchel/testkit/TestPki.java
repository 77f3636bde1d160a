package dev.satchel.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private certificate authority for tests, made with the openssl command line: a CA, a server
 * certificate for localhost and 127.0.0.1, and a client certificate, all EC P-256, valid two days,
 * keys unencrypted PKCS#8 PEM. What TLS-speaking servers (redis-server, PostgreSQL) and clients need.
 *
 * @param caCertificate the CA's certificate, what clients trust
 * @param serverCertificate signed by the CA, for DNS localhost and IP 127.0.0.1
 * @param serverKey its key
 * @param clientCertificate signed by the CA, CN satchel-client, for client authentication
 * @param clientKey its key
 */
public record TestPki(
        Path caCertificate, Path serverCertificate, Path serverKey, Path clientCertificate, Path clientKey) {

    /**
     * Makes a fresh CA and its two certificates in {@code dir}.
     *
     * @throws IllegalStateException if openssl is missing or fails
     */
    public static TestPki create(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path caKey = dir.resolve("ca.key");
        Path ca = dir.resolve("ca.crt");
        openssl(
                dir,
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=Satchel test CA",
                "-keyout",
                caKey.toString(),
                "-out",
                ca.toString());
        Path serverKey = dir.resolve("server.key");
        Path server = dir.resolve("server.crt");
        issue(
                dir,
                ca,
                caKey,
                "localhost",
                "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth",
                serverKey,
                server);
        Path clientKey = dir.resolve("client.key");
        Path client = dir.resolve("client.crt");
        issue(dir, ca, caKey, "satchel-client", "extendedKeyUsage=clientAuth", clientKey, client);
        return new TestPki(ca, server, serverKey, client, clientKey);
    }

    private static void issue(Path dir, Path ca, Path caKey, String cn, String extensions, Path key, Path cert)
            throws IOException, InterruptedException {
        Path csr = dir.resolve(cn + ".csr");
        Path ext = dir.resolve(cn + ".ext");
        Files.writeString(ext, extensions + "\n", StandardCharsets.US_ASCII);
        openssl(
                dir,
                "req",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-subj",
                "/CN=" + cn,
                "-keyout",
                key.toString(),
                "-out",
                csr.toString());
        openssl(
                dir,
                "x509",
                "-req",
                "-in",
                csr.toString(),
                "-CA",
                ca.toString(),
                "-CAkey",
                caKey.toString(),
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                ext.toString(),
                "-out",
                cert.toString());
    }

    private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("openssl is not on the PATH (apt-get install openssl)", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("openssl " + String.join(" ", args) + " failed: " + out);
        }
    }
}
