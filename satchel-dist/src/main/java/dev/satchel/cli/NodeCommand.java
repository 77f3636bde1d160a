package dev.satchel.cli;

import dev.satchel.core.SessionStore;
import dev.satchel.demo.ShopConfig;
import dev.satchel.demo.ShopNode;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code satchel node}: runs one shop node in the foreground until interrupted. */
@Command(
        name = "node",
        mixinStandardHelpOptions = true,
        description = {"Runs one shop node: the demo application with the Satchel session filter."})
final class NodeCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--name",
            defaultValue = "node-1",
            description = "Node name, sent as X-Served-By and used as the id route (default: ${DEFAULT-VALUE}).")
    String name;

    @Option(
            names = "--host",
            defaultValue = "127.0.0.1",
            description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "9001", description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--store", defaultValue = "memory", description = StoreOption.DESCRIPTION)
    String store;

    @Option(
            names = "--cluster-port",
            defaultValue = "7800",
            description = "With --store replicated: the port nodes talk to each other on (default: ${DEFAULT-VALUE}).")
    int clusterPort;

    @Option(
            names = "--cluster-peers",
            defaultValue = "127.0.0.1[7800]",
            description =
                    "With --store replicated: every node's host[port], comma-separated (default: ${DEFAULT-VALUE}).")
    String clusterPeers;

    @Option(
            names = "--data-dir",
            defaultValue = ".satchel-data",
            description = "Where the user database lives (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(names = "--parent-pid", hidden = true, description = "Exit when this process exits (set by satchel demo).")
    Long parentPid;

    @Override
    public Integer call() throws Exception {
        if (parentPid != null) {
            watchParent(parentPid);
        }
        StoreOption.Cluster cluster = new StoreOption.Cluster(name, host, clusterPort, clusterPeers);
        return NodeRunner.run(spec, new ShopConfig(name, host, port, dataDir, Clock.systemUTC()), store, cluster);
    }

    /** A node the demo started must not outlive it, even if the demo was killed with SIGKILL. */
    private static void watchParent(long pid) {
        ProcessHandle.of(pid)
                .ifPresentOrElse(
                        parent -> parent.onExit()
                                .thenRun(() -> Runtime.getRuntime().halt(0)),
                        () -> Runtime.getRuntime().halt(0));
    }

    /** Starts a node, prints where it is, and blocks until the JVM is asked to stop. */
    static final class NodeRunner {
        private NodeRunner() {}

        static int run(CommandSpec spec, ShopConfig config, String storeValue, StoreOption.Cluster cluster)
                throws Exception {
            AutoCloseable sessions;
            ShopNode node;
            try {
                if (StoreOption.isCookie(storeValue)) {
                    StoreOption.Sealed sealed = StoreOption.openSealer(config.dataDir(), spec.commandLine());
                    sessions = sealed;
                    node = startOrClose(sealed, () -> ShopNode.start(config, sealed.sealer()));
                } else {
                    SessionStore store = StoreOption.open(storeValue, spec.commandLine(), cluster);
                    sessions = store;
                    node = startOrClose(store, () -> ShopNode.start(config, store));
                }
            } catch (IllegalStateException e) {
                spec.commandLine().getErr().println("satchel: " + e.getMessage());
                return 1;
            }
            Runtime.getRuntime()
                    .addShutdownHook(new Thread(
                            () -> {
                                node.close();
                                try {
                                    sessions.close();
                                } catch (Exception e) {
                                    System.err.println("satchel: closing the session store: " + e.getMessage());
                                }
                            },
                            "satchel-shutdown"));
            var out = spec.commandLine().getOut();
            out.println("Satchel " + config.nodeName() + " is serving " + node.uri() + " (store: " + storeValue + ")");
            out.flush();
            node.join();
            return 0;
        }

        private static ShopNode startOrClose(AutoCloseable resource, java.util.function.Supplier<ShopNode> start)
                throws Exception {
            try {
                return start.get();
            } catch (RuntimeException e) {
                resource.close();
                throw e;
            }
        }
    }
}
