package dev.satchel.cli;

import dev.satchel.cluster.ClusterTls;
import dev.satchel.core.SessionStore;
import dev.satchel.demo.ShopConfig;
import dev.satchel.demo.ShopNode;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code satchel node}: runs one shop node in the foreground until interrupted. */
@Command(
        name = "node",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {"Runs one shop node: the demo application with the Satchel session filter."},
        footer = {
            "",
            "Flags by --store: every store uses --name, --host, --port, --data-dir and",
            "--users-db-port; the cluster stores (replicated, replicated-async,",
            "primary-backup, primary-backup-async) also use --cluster-port and",
            "--cluster-peers (and --cluster-announce), and --cluster-keystore or",
            "--cluster-plaintext; the others ignore those.",
            "file:DIR keeps this node's sessions in DIR/<--name>: give each node its own",
            "--name, and start it again with the same one to find its sessions.",
            "",
            "Across hosts, give --host the address the other hosts reach (not 0.0.0.0):",
            "every socket binds to it and is announced with it. Open between hosts:",
            "  --port: HTTP, from the balancer;",
            "  --cluster-port, --cluster-port + 100 for failure detection, and",
            "    --cluster-port + 200 for synchronous saves on links, with",
            "    -Dsatchel.cluster.answer_links=true (off by default): between the",
            "    nodes of a cluster store;",
            "  --users-db-port: the users database, which the first node to open it",
            "    serves to the others; --data-dir must then be one directory that",
            "    every host sees (a shared file system).",
            "Behind NAT, a port forward or a relay, give --cluster-announce the address",
            "and port P the other nodes reach this node's cluster port by. Failure",
            "detection and save links then listen on P + 100 and P + 200 of --host (not",
            "--cluster-port + 100 and + 200), and P + 100 and P + 200 of the announced",
            "address must reach them there. --cluster-peers then lists each node's",
            "announced address.",
            "",
            "Traffic between the nodes of a cluster store is TLS: every node is given",
            "the same --cluster-keystore (satchel cluster-keystore makes one), and only",
            "processes holding its key can join or read the copies. Its password comes",
            "from the environment variable " + NodeCommand.KEYSTORE_PASSWORD_VARIABLE + ".",
            "--cluster-plaintext sends it unencrypted instead, for a network nobody",
            "else reaches. Failure detection (--cluster-port + 100) stays plain: it",
            "carries no session data."
        })
final class NodeCommand implements Callable<Integer> {
    /** Where {@code --cluster-keystore}'s password comes from: the environment, never the command line. */
    static final String KEYSTORE_PASSWORD_VARIABLE = "SATCHEL_CLUSTER_KEYSTORE_PASSWORD";

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
            description = "Address to listen on and to announce to peers: HTTP, the cluster and failure-detection"
                    + " ports, and the users database's server (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "9001", description = "Port to listen on (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(
            names = "--store",
            defaultValue = "memory",
            description = StoreOption.DESCRIPTION + " Default: ${DEFAULT-VALUE}.")
    String store;

    @Option(
            names = "--cluster-port",
            defaultValue = "7800",
            description = "Cluster stores only: the port nodes talk to each other on; failure detection listens on"
                    + " this port + 100 (default: ${DEFAULT-VALUE}).")
    int clusterPort;

    @Option(
            names = "--cluster-peers",
            defaultValue = "127.0.0.1[7800]",
            description =
                    "Cluster stores only: every node's host[port], comma-separated, each as that node's --host and"
                            + " --cluster-port (default: ${DEFAULT-VALUE}).")
    String clusterPeers;

    @Option(
            names = "--cluster-announce",
            paramLabel = "HOST:PORT",
            description = "Cluster stores only: where the other nodes reach this node's cluster port when not at"
                    + " --host and --cluster-port (NAT, a port forward, a relay). Failure detection then"
                    + " listens on PORT + 100 of --host, and PORT + 100 of HOST must reach it."
                    + " Default: --host and --cluster-port.")
    String clusterAnnounce;

    @Option(
            names = "--cluster-keystore",
            paramLabel = "FILE",
            description = "Cluster stores: the keystore (PKCS#12 or JKS, one key) that every node shares; traffic"
                    + " between the nodes is TLS and only its holders join. Password from $"
                    + KEYSTORE_PASSWORD_VARIABLE + ". satchel cluster-keystore makes one.")
    Path clusterKeystore;

    @Option(
            names = "--cluster-plaintext",
            description = "Cluster stores: send the traffic between the nodes unencrypted, and let any process that"
                    + " reaches --cluster-port join. Only on a network nobody else reaches.")
    boolean clusterPlaintext;

    @Option(
            names = "--data-dir",
            defaultValue = ".satchel-data",
            description = "Where the user database lives (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--users-db-port",
            defaultValue = "0",
            description = "Port of the users database's server, when this node is the one serving it; 0 picks"
                    + " any free port, which suits one host but not a firewall (default: ${DEFAULT-VALUE}).")
    int usersDbPort;

    @Option(
            names = "--idle-timeout",
            paramLabel = "SECONDS",
            defaultValue = "1800",
            description = "How long a session may go unused before it expires, 1 to 28800 seconds; every node of"
                    + " a cluster should have the same (default: ${DEFAULT-VALUE}, 30 minutes).")
    long idleTimeoutSeconds;

    @Option(names = "--parent-pid", hidden = true, description = "Exit when this process exits (set by satchel demo).")
    Long parentPid;

    /**
     * The TLS between the nodes from {@code --cluster-keystore}, or empty when {@code
     * --cluster-plaintext} said so; neither, or both, is refused.
     */
    Optional<ClusterTls> clusterTls(Map<String, String> environment) {
        if (clusterPlaintext == (clusterKeystore != null)) {
            throw new ParameterException(
                    spec.commandLine(),
                    clusterPlaintext
                            ? "give --cluster-keystore or --cluster-plaintext, not both"
                            : "--store " + store + " sends sessions between the nodes: give --cluster-keystore FILE"
                                    + " (TLS; satchel cluster-keystore makes one) or --cluster-plaintext");
        }
        if (clusterPlaintext) {
            return Optional.empty();
        }
        String password = environment.get(KEYSTORE_PASSWORD_VARIABLE);
        if (password == null || password.isEmpty()) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--cluster-keystore needs its password in the environment variable " + KEYSTORE_PASSWORD_VARIABLE);
        }
        try {
            return Optional.of(ClusterTls.fromKeystore(clusterKeystore, password.toCharArray()));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--cluster-keystore: " + e.getMessage());
        }
    }

    /**
     * {@code --cluster-announce} as an address; empty when not given. A name is resolved now, so a
     * typo fails at start, not when the first peer connects.
     */
    static Optional<InetSocketAddress> announced(String value, CommandLine commandLine) {
        if (value == null) {
            return Optional.empty();
        }
        int colon = value.lastIndexOf(':');
        String hostPart = colon > 0 ? value.substring(0, colon) : "";
        if (hostPart.startsWith("[") && hostPart.endsWith("]")) {
            hostPart = hostPart.substring(1, hostPart.length() - 1);
        }
        int announcedPort;
        try {
            announcedPort = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            announcedPort = -1;
        }
        if (hostPart.isBlank() || announcedPort < 1 || announcedPort > 65_335) {
            throw new ParameterException(
                    commandLine,
                    "--cluster-announce takes HOST:PORT, the port 1 to 65335 (failure detection and save links are"
                            + " announced at PORT + 100 and PORT + 200), not '" + value + "'");
        }
        InetSocketAddress address = new InetSocketAddress(hostPart, announcedPort);
        if (address.isUnresolved()) {
            throw new ParameterException(commandLine, "--cluster-announce: unknown host '" + hostPart + "'");
        }
        if (address.getAddress().isAnyLocalAddress()) {
            throw new ParameterException(
                    commandLine, "--cluster-announce " + value + " cannot be reached by peers; give an address");
        }
        return Optional.of(address);
    }

    @Override
    public Integer call() throws Exception {
        if (parentPid != null) {
            watchParent(parentPid);
        }
        if (StoreOption.isClustered(store) && isWildcard(host)) {
            throw new ParameterException(
                    spec.commandLine(),
                    "--host " + host + " cannot be announced to peers; give this host's address that the others reach");
        }
        announceUsersDatabaseOn(host);
        StoreOption.Cluster cluster = new StoreOption.Cluster(
                name,
                host,
                clusterPort,
                clusterPeers,
                announced(clusterAnnounce, spec.commandLine()),
                StoreOption.isClustered(store) ? clusterTls(System.getenv()) : Optional.empty());
        if (idleTimeoutSeconds < 1 || idleTimeoutSeconds > ShopConfig.MAX_IDLE_TIMEOUT.toSeconds()) {
            throw new ParameterException(
                    spec.commandLine(), "--idle-timeout must be 1 to 28800 seconds, not " + idleTimeoutSeconds);
        }
        ShopConfig config = new ShopConfig(
                name,
                host,
                port,
                dataDir,
                Clock.systemUTC(),
                usersDbPort,
                java.time.Duration.ofSeconds(idleTimeoutSeconds));
        return NodeRunner.run(spec, config, store, cluster);
    }

    /**
     * H2's auto-server writes the address other processes must connect to into the database's lock
     * file, and binds its server there. Without this it writes whatever the host name resolves to,
     * often a loopback address, and nodes on other hosts cannot reach the users. H2 reads the
     * property once, when its classes load, so this must run before anything opens a database.
     */
    private static void announceUsersDatabaseOn(String host) {
        if (System.getProperty("h2.bindAddress") == null) {
            // A wildcard --host names no address to announce, and H2 would listen on every
            // interface: keep the database on loopback, for this machine's nodes only.
            System.setProperty("h2.bindAddress", isWildcard(host) ? "127.0.0.1" : host);
        }
    }

    private static boolean isWildcard(String host) {
        try {
            return InetAddress.getByName(host).isAnyLocalAddress();
        } catch (UnknownHostException e) {
            return false; // the listeners will report the bad name themselves
        }
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
                    SessionStore opened = StoreOption.open(storeValue, spec.commandLine(), cluster);
                    SessionStore store = StoreOption.sealedAtRest(opened, System.getenv());
                    sessions = store;
                    node = startOrClose(store, () -> StoreOption.viewOf(opened)
                            .map(view -> ShopNode.start(config, store, view))
                            .orElseGet(() -> ShopNode.start(config, store)));
                }
            } catch (IllegalStateException | StoreOpenException e) {
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
