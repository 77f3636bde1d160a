package dev.satchel.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Writes a keystore a cluster can share for {@link ClusterTls}: one EC P-256 key and its
 * self-signed certificate, made by the JDK's own {@code keytool} (Java has no public API to issue
 * a certificate). Copy the same file to every node: holding it is what makes a process a member.
 */
public final class ClusterKeystore {
    private static final String PASSWORD_VARIABLE = "SATCHEL_KEYTOOL_PASSWORD";

    private ClusterKeystore() {}

    /**
     * Writes a new PKCS#12 keystore to {@code file}, readable by its owner only, valid for {@code
     * days}. The password reaches keytool through its environment, never its command line.
     *
     * @throws IllegalArgumentException if {@code file} exists, or the password is shorter than 6
     *     characters (keytool's minimum)
     * @throws IllegalStateException if the JDK has no keytool, or keytool fails
     */
    public static Path generate(Path file, char[] password, int days) {
        Objects.requireNonNull(file, "file");
        if (password.length < 6) {
            throw new IllegalArgumentException("a keystore password needs at least 6 characters");
        }
        if (days < 1) {
            throw new IllegalArgumentException("days must be at least 1: " + days);
        }
        if (Files.exists(file)) {
            throw new IllegalArgumentException(file + " exists already; a new cluster key goes to a new file");
        }
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        if (!Files.isExecutable(keytool)) {
            throw new IllegalStateException("no keytool in " + keytool.getParent() + " to make a key with");
        }
        try {
            ProcessBuilder builder = new ProcessBuilder(
                    keytool.toString(),
                    "-genkeypair",
                    "-alias",
                    "satchel-cluster",
                    "-keyalg",
                    "EC",
                    "-groupname",
                    "secp256r1",
                    "-sigalg",
                    "SHA256withECDSA",
                    "-dname",
                    "CN=satchel-cluster",
                    "-validity",
                    String.valueOf(days),
                    "-storetype",
                    "PKCS12",
                    "-keystore",
                    file.toString(),
                    "-storepass:env",
                    PASSWORD_VARIABLE,
                    "-keypass:env",
                    PASSWORD_VARIABLE);
            builder.environment().put(PASSWORD_VARIABLE, new String(password));
            Process p = builder.redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("keytool could not make a cluster key: " + output.strip());
            }
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            return file;
        } catch (IOException e) {
            throw new IllegalStateException("cannot write cluster keystore " + file + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while making a cluster key", e);
        }
    }
}
