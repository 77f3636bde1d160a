package dev.satchel.cli;

import dev.satchel.cluster.ClusterKeystore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code satchel cluster-keystore FILE}: makes the key a cluster's nodes share for TLS between them. */
@Command(
        name = "cluster-keystore",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Writes a new PKCS#12 keystore with one EC P-256 key and its self-signed certificate,",
            "for satchel node --cluster-keystore. Copy the same file to every node of the cluster:",
            "holding it is what lets a process join. The password is read from $"
                    + NodeCommand.KEYSTORE_PASSWORD_VARIABLE + ";",
            "when that is not set, a random one is made and printed once, to give the nodes."
        })
final class ClusterKeystoreCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "Where to write the keystore; must not exist yet.")
    Path file;

    @Option(
            names = "--days",
            defaultValue = "825",
            description = "How long the certificate is valid, 1 to 3650 days (default: ${DEFAULT-VALUE}).")
    int days;

    @Override
    public Integer call() {
        if (days < 1 || days > 3650) {
            throw new ParameterException(spec.commandLine(), "--days must be 1 to 3650, not " + days);
        }
        String given = System.getenv(NodeCommand.KEYSTORE_PASSWORD_VARIABLE);
        boolean made = given == null || given.isEmpty();
        String password = made ? randomPassword() : given;
        try {
            ClusterKeystore.generate(file, password.toCharArray(), days);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        } catch (IllegalStateException e) {
            spec.commandLine().getErr().println("satchel cluster-keystore: " + e.getMessage());
            return 1;
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("Wrote " + file + " (owner-only), valid for " + days + " days. Give every node the same file:");
        out.println("  satchel node --store primary-backup --cluster-keystore " + file + " ...");
        if (made) {
            out.println("with its password in the environment (made now, shown only this once):");
            out.println("  export " + NodeCommand.KEYSTORE_PASSWORD_VARIABLE + "=" + password);
        } else {
            out.println("with the password from $" + NodeCommand.KEYSTORE_PASSWORD_VARIABLE
                    + " in each node's environment.");
        }
        return 0;
    }

    /** 144 random bits, URL-safe: for a key only machines read. */
    static String randomPassword() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
