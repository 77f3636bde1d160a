package dev.satchel.cli;

import dev.satchel.demo.ShopConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code satchel demo}: the shop with server-side sessions, ready to try in a browser or with curl. */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        description = {
            "Runs the demo shop on http://localhost:8080 with server-side sessions,",
            "and prints what to try. Stop it with Ctrl-C."
        })
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--host",
            defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--store", defaultValue = "memory", description = StoreOption.DESCRIPTION)
    String store;

    @Option(
            names = "--data-dir",
            defaultValue = ".satchel-data",
            description = "Where the user database lives (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        ShopConfig config = new ShopConfig("node-1", host, port, dataDir, Clock.systemUTC());
        return NodeCommand.NodeRunner.run(spec, config, store, true);
    }
}
