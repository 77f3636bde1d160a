package dev.satchel.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** The top-level {@code satchel} command: prints help when run without a subcommand. */
@Command(
        name = "satchel",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Consistent HTTP sessions across a cluster of JVM web servers.",
            "",
            "Run 'satchel demo' for a three-node shop behind the balancer on this machine,",
            "'satchel lab' to measure every strategy under the same load and a node crash,",
            "or 'satchel <command> --help' for one command's options."
        },
        subcommands = {
            DemoCommand.class,
            LabCommand.class,
            NodeCommand.class,
            BalancerCommand.class,
            ClusterKeystoreCommand.class,
            CommandLine.HelpCommand.class
        })
public final class SatchelCommand implements Runnable {

    @Spec
    CommandSpec spec;

    /** The configured command line, shared by {@link Main} and the tests. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new SatchelCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        DemoCommand.describePolicyDefault(cl.getSubcommands().get("demo").getCommandSpec());
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
