package dev.satchel.cli;

import dev.satchel.balancer.Balancer;
import dev.satchel.balancer.BalancerConfig;
import dev.satchel.balancer.ConfigExport;
import dev.satchel.balancer.NodeAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code satchel balancer}: the session-aware reverse proxy in front of nodes you run yourself. */
@Command(
        name = "balancer",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Runs the session-aware balancer in front of nodes you run yourself.",
            "",
            "With --export haproxy|nginx, prints an equivalent configuration instead.",
            "",
            "The admin API answers only calls carrying its bearer token, from --admin-token-file",
            "or SATCHEL_ADMIN_TOKEN. Given neither, the balancer makes a random token for this run",
            "and prints the file (0600, in a new private directory) it wrote it to."
        })
final class BalancerCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    BalancerOptions options;

    @Option(
            names = "--node",
            required = true,
            paramLabel = "NAME=HOST:PORT",
            description = "A backend node; repeat for each, e.g. --node node-1=127.0.0.1:9001.")
    List<String> nodes;

    @Option(
            names = "--export",
            paramLabel = "haproxy|nginx",
            description = "Print an equivalent configuration and exit.")
    String export;

    @Override
    public Integer call() throws Exception {
        BalancerConfig config;
        Optional<String> token;
        BalancerConfig.Builder b;
        try {
            b = options.configure();
            nodes.forEach(n -> b.node(NodeAddress.parse(n)));
            // An export needs no token; reading one anyway reports a bad file before it matters.
            token = options.configuredAdminToken(System.getenv());
            token.ifPresent(b::adminToken);
            config = b.build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Optional<Path> generatedTokenFile = Optional.empty();
        if (export == null && token.isEmpty()) {
            // Safe and still usable: a token for this run only, in a file only this user reads.
            String fresh = BalancerConfig.generateAdminToken();
            Path file = Files.createTempDirectory("satchel-admin-").resolve("admin-token");
            BalancerOptions.writeSecret(file, fresh);
            config = b.adminToken(fresh).build();
            generatedTokenFile = Optional.of(file);
        }
        if (export != null) {
            try {
                spec.commandLine().getOut().print(ConfigExport.export(export, config));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            spec.commandLine().getOut().flush();
            return 0;
        }
        Balancer balancer = Balancer.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Optional<Path> ownTokenFile = generatedTokenFile;
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            balancer.close();
                            ownTokenFile.ifPresent(BalancerCommand::deleteQuietly);
                            stopped.countDown();
                        },
                        "satchel-shutdown"));
        spec.commandLine()
                .getOut()
                .printf(
                        "Satchel balancer (%s) on http://%s, admin API on http://%s%n",
                        config.policy().label(),
                        balancer.address().getHostString() + ":"
                                + balancer.address().getPort(),
                        balancer.adminAddress().getHostString() + ":"
                                + balancer.adminAddress().getPort());
        generatedTokenFile.ifPresent(file -> spec.commandLine()
                .getOut()
                .printf(
                        "No admin token configured: made one for this run in %s (0600). Use it as%n"
                                + "  curl -s -H \"Authorization: Bearer $(cat '%s')\" http://%s:%d/api/nodes%n",
                        file,
                        file,
                        balancer.adminAddress().getHostString(),
                        balancer.adminAddress().getPort()));
        spec.commandLine().getOut().flush();
        stopped.await();
        return 0;
    }

    private static void deleteQuietly(Path tokenFile) {
        try {
            Files.deleteIfExists(tokenFile);
            Files.deleteIfExists(tokenFile.getParent());
        } catch (java.io.IOException e) {
            System.err.println("satchel: cannot delete " + tokenFile + ": " + e.getMessage());
        }
    }
}
