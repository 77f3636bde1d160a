package dev.satchel.cli;

import dev.satchel.balancer.Balancer;
import dev.satchel.balancer.BalancerConfig;
import dev.satchel.balancer.ConfigExport;
import dev.satchel.balancer.NodeAddress;
import java.util.List;
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
        description = {
            "Runs the session-aware balancer in front of nodes you run yourself.",
            "",
            "With --export haproxy|nginx, prints an equivalent configuration instead."
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
        try {
            BalancerConfig.Builder b = options.configure();
            nodes.forEach(n -> b.node(NodeAddress.parse(n)));
            config = b.build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
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
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            balancer.close();
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
        spec.commandLine().getOut().flush();
        stopped.await();
        return 0;
    }
}
