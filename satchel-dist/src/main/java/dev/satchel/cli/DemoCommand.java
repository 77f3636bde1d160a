package dev.satchel.cli;

import dev.satchel.balancer.Balancer;
import dev.satchel.balancer.BalancerConfig;
import dev.satchel.balancer.NodeAddress;
import dev.satchel.balancer.SelfSignedCertificates;
import dev.satchel.balancer.TlsSettings;
import dev.satchel.cookie.SealedAttributes;
import dev.satchel.cookie.SealedCookieSessions;
import dev.satchel.demo.PrivateDataDir;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code satchel demo}: a balancer and a cluster of shop nodes, each its own JVM, on this machine. */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Runs the demo shop as a cluster behind the balancer on this machine.",
            "",
            "The balancer listens on --port (8080), its admin API on --admin-port (8081),",
            "and --nodes shop nodes (3) run as separate JVM processes on ports 9001 and up.",
            "Kill a node from the admin API, or from the live view at /live on the admin",
            "port (nodes, sessions held, requests/s, your node; buttons need the token),",
            "and watch what happens to its sessions.",
            "Ctrl-C stops every process it started.",
            "",
            "The admin API needs a bearer token: unless --admin-token-file or",
            "SATCHEL_ADMIN_TOKEN gives one, the demo makes a random one per run, writes it",
            "to admin-token (0600) in --data-dir, and prints curl lines that send it.",
            "",
            "Each node runs with -Xmx256m; SATCHEL_NODE_JAVA_OPTS adds JVM options to every",
            "node (e.g. -Xmx1g), here and in satchel lab."
        })
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    BalancerOptions balancer;

    @Option(names = "--nodes", defaultValue = "3", description = "Number of shop nodes (default: ${DEFAULT-VALUE}).")
    int nodeCount;

    @Option(
            names = "--base-port",
            defaultValue = "9001",
            description = "Port of the first node; the others follow (default: ${DEFAULT-VALUE}).")
    int basePort;

    @Option(
            names = "--store",
            defaultValue = "primary-backup",
            description = StoreOption.DESCRIPTION + " Default: ${DEFAULT-VALUE}, so no external server is needed"
                    + " and losing a node loses no session.")
    String store;

    @Option(
            names = "--redis-maxmemory",
            defaultValue = "128mb",
            description = "With --store redis: the most memory the demo's redis-server takes; when full it"
                    + " evicts the sessions closest to expiry (volatile-ttl) (default: ${DEFAULT-VALUE}).")
    String redisMaxMemory;

    @Option(
            names = "--tls",
            description = "Serve the shop over HTTPS with a throwaway self-signed certificate for localhost,"
                    + " made for this run (browsers warn about it; curl needs -k). For a real certificate"
                    + " use --tls-cert and --tls-key.")
    boolean selfSignedTls;

    @Option(
            names = "--seal-at-rest",
            description = "Seal every attribute value (AES-256-GCM, Tink) before it reaches the session store,"
                    + " with a key made for this run: the store, a peer node or a file holds only ciphertext."
                    + " satchel node reads its key from " + SealedAttributes.KEYSET_VARIABLE + ".")
    boolean sealAtRest;

    @Option(
            names = "--data-dir",
            defaultValue = ".satchel-data",
            description = "Users database and node logs (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    /**
     * The balancer's --policy help states its own default, sticky-cookie, which is not the demo's:
     * here the help must say what the demo really picks.
     */
    static void describePolicyDefault(CommandSpec demo) {
        OptionSpec policy = demo.findOption("--policy");
        demo.remove(policy);
        demo.addOption(policy.toBuilder()
                .description("round-robin, least-connections, sticky-cookie, ip-hash or session-hash (default:"
                        + " session-hash with the primary-backup stores, which place sessions by the same hash;"
                        + " sticky-cookie with the others).")
                .build());
    }

    @Override
    public Integer call() throws Exception {
        if (nodeCount < 1 || nodeCount > 16) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--nodes must be 1 to 16, got " + nodeCount);
        }
        if (!DemoRedisServer.isMemorySize(redisMaxMemory)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--redis-maxmemory must be a size such as 128mb or 1gb, at least 1mb, got " + redisMaxMemory);
        }
        PrintWriter out = spec.commandLine().getOut();
        PrivateDataDir.open(dataDir); // before anything writes there: the directory and its logs 0700
        String adminToken;
        String adminAuth; // the header as the printed curl lines spell it
        Optional<TlsSettings> throwawayTls = Optional.empty();
        try {
            Optional<String> configured = balancer.configuredAdminToken(System.getenv());
            if (configured.isPresent()) {
                adminToken = configured.get();
                adminAuth = balancer.adminTokenFile != null
                        ? "Authorization: Bearer $(cat " + shellQuote(balancer.adminTokenFile.toAbsolutePath()) + ")"
                        : "Authorization: Bearer $" + BalancerOptions.ADMIN_TOKEN_VARIABLE;
            } else {
                adminToken = BalancerConfig.generateAdminToken();
                Path tokenFile = dataDir.toAbsolutePath().resolve("admin-token");
                Files.createDirectories(tokenFile.getParent());
                BalancerOptions.writeSecret(tokenFile, adminToken);
                adminAuth = "Authorization: Bearer $(cat " + shellQuote(tokenFile) + ")";
                out.println("Admin API token written to " + tokenFile + " (readable by you only)");
            }
            BalancerConfig.builder().adminToken(adminToken); // refuses a weak token before any node starts
            if (selfSignedTls && balancer.tlsCert != null) {
                throw new IllegalArgumentException("give --tls or --tls-cert and --tls-key, not both");
            }
            if (selfSignedTls) {
                throwawayTls = Optional.of(SelfSignedCertificates.forLocalhost(dataDir.toAbsolutePath(), 7));
            }
            BalancerConfig.Builder check = balancer.configure();
            throwawayTls.ifPresent(check::tls);
            check.build(); // refuses bad TLS files and options before any node starts
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        Optional<DemoRedisServer> redis = Optional.empty();
        String nodeStore = store;
        if (store.strip().equalsIgnoreCase("redis")) {
            try {
                redis = Optional.of(
                        DemoRedisServer.start(dataDir.toAbsolutePath().resolve("logs"), redisMaxMemory));
            } catch (IllegalStateException e) {
                spec.commandLine().getErr().println("satchel: " + e.getMessage());
                return 1;
            }
            nodeStore = redis.get().uri();
            out.println("Started redis-server on " + nodeStore + " for the session store (maxmemory " + redisMaxMemory
                    + ", volatile-ttl)");
        }
        Map<String, String> nodeEnvironment = new HashMap<>();
        if (sealAtRest && !StoreOption.isCookie(store)) {
            // One throwaway keyset for every node, so each opens what the others sealed.
            nodeEnvironment.put(SealedAttributes.KEYSET_VARIABLE, SealedCookieSessions.generateKeyset());
            out.println("Session values are sealed at rest with a key made for this demo run");
        }
        if (StoreOption.isCookie(store)) {
            // One throwaway keyset for this demo's nodes, so any node opens any node's cookies.
            nodeEnvironment.put(SealedCookieSessions.KEYSET_VARIABLE, SealedCookieSessions.generateKeyset());
            out.println("Sessions are sealed in the browser's cookie with a key made for this demo run");
        }
        try {
            String chosen = store.strip().toLowerCase(java.util.Locale.ROOT);
            // Cluster stores join their peers; checking one here would start a cluster of its own.
            if (chosen.startsWith("file:")) {
                StoreOption.checkFile(nodeStore, spec.commandLine()); // each node makes its own folder
            } else if (!StoreOption.isCookie(store) && !StoreOption.isClustered(chosen)) {
                StoreOption.open(nodeStore, spec.commandLine()).close(); // refuses a bad --store before any node starts
            }
        } catch (CommandLine.ParameterException e) {
            redis.ifPresent(DemoRedisServer::close);
            throw e;
        } catch (StoreOpenException e) {
            redis.ifPresent(DemoRedisServer::close);
            spec.commandLine().getErr().println("satchel: " + e.getMessage());
            return 1;
        }
        Optional<DemoRedisServer> localRedis = redis;
        ClusterSupervisor cluster =
                new ClusterSupervisor(nodeCount, basePort, nodeStore, dataDir.toAbsolutePath(), nodeEnvironment);
        CountDownLatch stopped = new CountDownLatch(1);
        Balancer[] running = new Balancer[1];
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            if (running[0] != null) {
                                running[0].close();
                            }
                            cluster.close();
                            localRedis.ifPresent(DemoRedisServer::close);
                            stopped.countDown();
                        },
                        "satchel-shutdown"));
        out.printf(
                "Starting %d shop nodes (store: %s, logs in %s)...%n",
                nodeCount,
                nodeStore.replaceAll("(?i)(password=)[^&;]*", "$1***").replaceAll("//[^@/]*@", "//***@"),
                dataDir.resolve("logs"));
        out.flush();
        try {
            cluster.startAll(Duration.ofSeconds(90));
        } catch (IllegalStateException e) {
            spec.commandLine().getErr().println("satchel: " + e.getMessage());
            return 1;
        }
        if (store.strip().toLowerCase(java.util.Locale.ROOT).startsWith("primary-backup")
                && !spec.commandLine().getParseResult().hasMatchedOption("--policy")) {
            // The balancer ranks sessions as the store places them: requests land on the owner.
            balancer.policy = "session-hash";
        }
        BalancerConfig.Builder config = balancer.configure();
        if (throwawayTls.isPresent()) {
            TlsSettings throwaway = throwawayTls.get();
            config.tls(throwaway);
            out.println("HTTPS with a self-signed certificate made for this run, valid 7 days, SHA-256"
                    + " fingerprint " + throwaway.fingerprint() + ".");
            out.println("Browsers warn about it, and curl needs -k. Not for production.");
        }
        cluster.addresses().forEach(config::node);
        config.adminToken(adminToken);
        running[0] = Balancer.start(config.build(), Optional.of(cluster));
        printGuide(out, running[0], adminAuth);
        stopped.await();
        return 0;
    }

    private void printGuide(PrintWriter out, Balancer b, String adminAuth) {
        boolean https = selfSignedTls || balancer.tlsCert != null;
        String site = (https ? "https" : "http") + "://localhost:" + b.address().getPort();
        String admin = "http://" + b.adminAddress().getHostString() + ":"
                + b.adminAddress().getPort();
        // Every admin call carries the token; a POST also says JSON, or the API answers 415.
        String get = "curl -sS -H \"" + adminAuth + "\" ";
        String post = "curl -sS -X POST -H \"" + adminAuth + "\" -H 'Content-Type: application/json' ";
        out.println("Satchel demo is serving " + site + " (policy " + balancer.policy + ")");
        for (NodeAddress n : b.nodes().stream()
                .map(v -> NodeAddress.parse(v.name() + "=" + v.address()))
                .toList()) {
            out.println("  " + n.name() + " on http://" + n.authority());
        }
        out.println();
        out.println("Open " + site + "/ in a browser: sign up, log in, fill a cart; each response names");
        out.println("its node in X-Served-By. Watch the cluster live, and kill, start or drain nodes there");
        out.println("(it asks for the admin token the curl lines below send): " + liveView(b));
        out.println("Or from a shell:");
        out.println("  " + get + admin + "/api/nodes");
        out.println("  " + post + admin + "/api/nodes/node-1/kill     # SIGKILL, like a crash");
        out.println("  " + post + admin + "/api/nodes/node-1/start");
        out.println("  " + post + admin + "/api/nodes/node-2/drain    # no new users; pinned ones stay");
        String kind = store.strip().toLowerCase(java.util.Locale.ROOT);
        if (kind.startsWith("redis")
                || kind.startsWith("jdbc:")
                || kind.startsWith("mongodb")
                || kind.equals("cookie")
                || StoreOption.isClustered(kind)) {
            out.println("Sessions live in "
                    + (kind.startsWith("redis")
                            ? "Redis"
                            : kind.startsWith("mongodb")
                                    ? "MongoDB"
                                    : kind.equals("cookie")
                                            ? "the browser's cookie"
                                            : kind.startsWith("replicated")
                                                    ? "every node (replicated)"
                                                    : kind.startsWith("primary-backup")
                                                            ? "an owner and a backup node"
                                                            : "the database")
                    + ": a user whose node is killed keeps their cart and login.");
            if (StoreOption.isClustered(kind)) {
                out.println("The nodes copy sessions to each other over TLS, with a key made for this run ("
                        + dataDir.toAbsolutePath().resolve("cluster.p12") + ").");
            }
        } else if (kind.startsWith("file:")) {
            out.println("Sessions live in each node's own folder: users pinned to a killed node lose their");
            out.println("session while it is down, and find it again when the node starts on its folder.");
        } else {
            out.println("With --store memory, users pinned to a killed node lose their session: that is");
            out.println("what sticky sessions cost. The default, --store primary-backup, keeps them.");
        }
        out.println("Press Ctrl-C to stop everything.");
        out.flush();
    }

    /**
     * The live view's address. On loopback it names {@code localhost}, as the shop's address does,
     * so the browser sends the page the shop's cookies and it can show the viewer's node.
     */
    static String liveView(Balancer b) {
        InetSocketAddress admin = b.adminAddress();
        String host = admin.getAddress().isLoopbackAddress() ? "localhost" : admin.getHostString();
        return "http://" + host + ":" + admin.getPort() + "/live";
    }

    /** A path as one sh word, whatever it holds. */
    private static String shellQuote(Path p) {
        return "'" + p.toString().replace("'", "'\\''") + "'";
    }
}
