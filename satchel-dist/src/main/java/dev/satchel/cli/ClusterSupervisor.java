package dev.satchel.cli;

import dev.satchel.balancer.NodeAddress;
import dev.satchel.balancer.NodeControl;
import dev.satchel.cluster.ClusterKeystore;
import dev.satchel.demo.PrivateDataDir;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the demo's shop nodes as separate JVM processes, each a {@code satchel node}, and kills
 * (SIGKILL) and restarts them on request. A node that exits on its own (a crash, or an {@code
 * OutOfMemoryError}, on which nodes exit at once) is started again, after a pause that doubles
 * while it keeps dying young; one killed on request stays down until started. Each node watches
 * this process and exits if it dies, so no node outlives the demo. Thread-safe.
 */
final class ClusterSupervisor implements NodeControl, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterSupervisor.class);
    /** HotSpot's exit code under -XX:+ExitOnOutOfMemoryError. */
    private static final int OUT_OF_MEMORY_EXIT = 3;

    private static final Duration FIRST_RESTART_DELAY = Duration.ofSeconds(1);
    private static final Duration MAX_RESTART_DELAY = Duration.ofSeconds(30);
    /** A node that ran this long before it died is not crash-looping. */
    private static final Duration STABLE_AFTER = Duration.ofSeconds(60);

    private final String store;
    private final List<String> nodeOptions;
    /** Closed with the supervisor when it holds anything (a relay). */
    private final ClusterRoute route;

    private final Map<String, String> environment;
    private final Path dataDir;
    private final Map<String, NodeAddress> nodes = new LinkedHashMap<>();
    private final Map<String, Host> hosts = new LinkedHashMap<>();
    /** Where the other nodes reach each node's cluster port. */
    private final Map<String, InetSocketAddress> announced = new LinkedHashMap<>();

    private final Map<String, Process> processes = new LinkedHashMap<>();
    /** Nodes stopped through the admin API: they stay down until started. */
    private final Set<String> stoppedOnPurpose = new HashSet<>();

    private final Map<String, Duration> restartDelays = new HashMap<>();
    private final ScheduledExecutorService restarter = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "node-restarter");
        t.setDaemon(true);
        return t;
    });
    private boolean closing;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    ClusterSupervisor(int count, int basePort, String store, Path dataDir, Map<String, String> environment)
            throws IOException {
        this(count, basePort, store, dataDir, environment, i -> Host.loopback(), List.of(), ClusterRoute.DIRECT);
    }

    /**
     * With node {@code i} (1-based) on {@code hostOf.apply(i)}, e.g. a network namespace of its own,
     * {@code nodeOptions} added to every node's command line, e.g. {@code --idle-timeout 120}, and
     * each node's cluster port announced to the others as {@code route} says.
     *
     * @throws IOException when the route cannot be set up for a node
     */
    ClusterSupervisor(
            int count,
            int basePort,
            String store,
            Path dataDir,
            Map<String, String> environment,
            java.util.function.IntFunction<Host> hostOf,
            List<String> nodeOptions,
            ClusterRoute route)
            throws IOException {
        this.route = route;
        this.store = store;
        if (StoreOption.isClustered(store.strip().toLowerCase(java.util.Locale.ROOT))) {
            // A key made for this run, shared by its nodes: their copies travel over TLS, as they should anywhere.
            String password = ClusterKeystoreCommand.randomPassword();
            PrivateDataDir.open(dataDir);
            Path keystore = dataDir.resolve("cluster.p12");
            Files.deleteIfExists(keystore); // the last run's, whose password is gone
            ClusterKeystore.generate(keystore, password.toCharArray(), 30);
            Map<String, String> withPassword = new HashMap<>(environment);
            withPassword.put(NodeCommand.KEYSTORE_PASSWORD_VARIABLE, password);
            environment = withPassword;
            List<String> withKeystore = new ArrayList<>(nodeOptions);
            withKeystore.addAll(List.of("--cluster-keystore", keystore.toString()));
            nodeOptions = withKeystore;
        }
        this.nodeOptions = List.copyOf(nodeOptions);
        this.environment = Map.copyOf(environment);
        this.dataDir = dataDir;
        for (int i = 1; i <= count; i++) {
            String name = "node-" + i;
            Host host = hostOf.apply(i);
            hosts.put(name, host);
            NodeAddress a = new NodeAddress(name, host.address(), basePort + i - 1);
            nodes.put(name, a);
            try {
                announced.put(name, route.announce(new InetSocketAddress(a.host(), clusterPort(a))));
            } catch (IOException | RuntimeException e) {
                if (route instanceof AutoCloseable inBetween) {
                    try {
                        inBetween.close();
                    } catch (Exception suppressed) {
                        e.addSuppressed(suppressed);
                    }
                }
                throw e;
            }
        }
    }

    /** A node's port for the replicated store's traffic: its HTTP port plus 100. */
    private static int clusterPort(NodeAddress a) {
        return a.port() + 100;
    }

    /** Where the nodes reach each other's cluster ports: the announced addresses. */
    private String peers() {
        return String.join(
                ",",
                announced.values().stream()
                        .map(a -> a.getHostString() + "[" + a.getPort() + "]")
                        .toList());
    }

    /**
     * The ports the nodes connect to for each other's cluster traffic and failure detection, as
     * announced: the nodes' own, or in front of them a route's (a relay's own connection onward is
     * not the nodes' traffic).
     */
    List<Integer> clusterPorts() {
        return announced.values().stream()
                .flatMap(a -> java.util.stream.Stream.of(a.getPort(), a.getPort() + 100))
                .toList();
    }

    /** The variable whose JVM options every node is started with, after the defaults, so they win. */
    static final String NODE_JAVA_OPTIONS = "SATCHEL_NODE_JAVA_OPTS";

    /**
     * The nodes' extra JVM options from {@value #NODE_JAVA_OPTIONS}, split on white space (e.g.
     * {@code -Xmx1g}, or {@code -XX:TieredStopAtLevel=1}, which the build's tests use to start
     * nodes sooner); empty when unset.
     */
    static List<String> nodeJavaOptions(Map<String, String> environment) {
        String value = environment.getOrDefault(NODE_JAVA_OPTIONS, "").strip();
        return value.isEmpty() ? List.of() : List.of(value.split("\\s+"));
    }

    /** The process id of each node running now, by name. */
    synchronized Map<String, Long> livePids() {
        Map<String, Long> pids = new LinkedHashMap<>();
        processes.forEach((name, p) -> {
            if (p.isAlive()) {
                pids.put(name, p.pid());
            }
        });
        return pids;
    }

    List<NodeAddress> addresses() {
        return List.copyOf(nodes.values());
    }

    Path logOf(String node) {
        return dataDir.resolve("logs").resolve(node + ".log");
    }

    /** Starts every node and waits until each answers its health check. */
    void startAll(Duration timeout) throws IOException, InterruptedException {
        for (String name : nodes.keySet()) {
            spawn(name);
        }
        for (String name : nodes.keySet()) {
            awaitHealthy(name, timeout);
        }
    }

    @Override
    public synchronized void kill(String node) {
        Process p = processes.get(require(node));
        if (p == null || !p.isAlive()) {
            throw new IllegalStateException(node + " is not running");
        }
        stoppedOnPurpose.add(node);
        p.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no goodbye, like a crash
        LOG.warn("killed {} (pid {})", node, p.pid());
    }

    /**
     * Stops a node as an operator would for a deploy: SIGTERM, so its shutdown hook closes the shop
     * and leaves the cluster, then SIGKILL if it has not ended within {@code grace}.
     */
    void stop(String node, Duration grace) throws InterruptedException {
        Process p;
        synchronized (this) {
            p = processes.get(require(node));
            if (p == null || !p.isAlive()) {
                throw new IllegalStateException(node + " is not running");
            }
            stoppedOnPurpose.add(node);
            p.destroy();
        }
        if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            LOG.warn("{} did not stop within {} s of SIGTERM; killed it", node, grace.toSeconds());
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public synchronized void start(String node) {
        Process p = processes.get(require(node));
        if (p != null && p.isAlive()) {
            throw new IllegalStateException(node + " is already running");
        }
        stoppedOnPurpose.remove(node);
        try {
            spawn(node);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + node + ": " + e.getMessage(), e);
        }
    }

    /** Called when any node process ends; restarts it unless that was asked for or is moot. */
    private synchronized void exited(String name, Process p, long startedNanos) {
        if (closing || processes.get(name) != p || stoppedOnPurpose.contains(name)) {
            return;
        }
        int code = p.exitValue();
        Duration lived = Duration.ofNanos(System.nanoTime() - startedNanos);
        // A node that ran a while starts over at one second; one that keeps dying young waits longer.
        Duration delay = lived.compareTo(STABLE_AFTER) >= 0
                ? FIRST_RESTART_DELAY
                : restartDelays.getOrDefault(name, FIRST_RESTART_DELAY);
        restartDelays.put(name, min(delay.multipliedBy(2), MAX_RESTART_DELAY));
        LOG.warn(
                "{} exited on its own with code {}{}; starting it again in {} s (log {})",
                name,
                code,
                code == OUT_OF_MEMORY_EXIT ? " (out of memory)" : "",
                delay.toSeconds(),
                logOf(name));
        restarter.schedule(() -> restart(name, p), delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    private synchronized void restart(String name, Process died) {
        if (closing || processes.get(name) != died || stoppedOnPurpose.contains(name)) {
            return; // stopped, or started by hand meanwhile
        }
        try {
            spawn(name);
        } catch (IOException | RuntimeException e) {
            LOG.error("cannot start {} again: {}", name, e.toString());
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private String require(String node) {
        if (!nodes.containsKey(node)) {
            throw new IllegalArgumentException("no node named " + node + " in this demo");
        }
        return node;
    }

    private synchronized void spawn(String name) throws IOException {
        NodeAddress a = nodes.get(name);
        Path log = logOf(name);
        PrivateDataDir.open(dataDir); // the logs directory 0700
        if (!Files.exists(log)) {
            // Made before the node opens it, so it has its owner's mode, not the umask's.
            Files.createFile(log, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError")); // sizing: docs/ARCHITECTURE.md
        command.addAll(nodeJavaOptions(System.getenv()));
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(Main.class.getName());
        command.addAll(List.of(
                "node",
                "--name",
                name,
                "--host",
                a.host(),
                "--port",
                Integer.toString(a.port()),
                "--store",
                store,
                "--data-dir",
                dataDir.toString(),
                "--cluster-port",
                Integer.toString(clusterPort(a)),
                "--cluster-peers",
                peers(),
                "--parent-pid",
                Long.toString(ProcessHandle.current().pid())));
        InetSocketAddress announce = announced.get(name);
        if (announce.getPort() != clusterPort(a) || !announce.getHostString().equals(a.host())) {
            command.addAll(List.of("--cluster-announce", announce.getHostString() + ":" + announce.getPort()));
        }
        command.addAll(nodeOptions);
        ProcessBuilder builder = new ProcessBuilder(hosts.get(name).command(command));
        builder.environment().putAll(environment); // secrets travel in the environment, not the command line
        Process p = builder.redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logOf(name).toFile()))
                .start();
        processes.put(name, p);
        long startedNanos = System.nanoTime();
        p.onExit().thenRun(() -> exited(name, p, startedNanos));
        LOG.info("started {} on {} (pid {}, log {})", name, a.authority(), p.pid(), logOf(name));
    }

    void awaitHealthy(String name, Duration timeout) throws InterruptedException {
        URI health = URI.create("http://" + nodes.get(name).authority() + "/health");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Process p = processes.get(name);
            if (!p.isAlive()) {
                throw new IllegalStateException(name + " exited with " + p.exitValue() + "; see " + logOf(name));
            }
            try {
                HttpResponse<Void> r = http.send(
                        HttpRequest.newBuilder(health)
                                .timeout(Duration.ofSeconds(1))
                                .build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        throw new IllegalStateException(
                name + " did not become healthy within " + timeout.toSeconds() + " s; see " + logOf(name));
    }

    @Override
    public synchronized void close() {
        closing = true;
        restarter.shutdownNow();
        processes.values().forEach(Process::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); // one grace period for all
        for (Process p : processes.values()) {
            try {
                long left = deadline - System.nanoTime();
                if (!p.waitFor(Math.max(0, left), TimeUnit.NANOSECONDS)) {
                    // Gone for real before the demo exits: a node that still held its ports would
                    // refuse the next demo started on them.
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        if (route instanceof AutoCloseable inBetween) { // what stood between the nodes goes after them
            try {
                inBetween.close();
            } catch (Exception e) {
                LOG.warn("closing the route between the nodes: {}", e.toString());
            }
        }
    }
}
