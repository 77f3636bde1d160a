package dev.satchel.cli;

import dev.satchel.balancer.NodeAddress;
import dev.satchel.balancer.NodeControl;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the demo's shop nodes as separate JVM processes, each a {@code satchel node}, and kills
 * (SIGKILL) and restarts them on request. Each node watches this process and exits if it dies, so
 * no node outlives the demo. Thread-safe.
 */
final class ClusterSupervisor implements NodeControl, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterSupervisor.class);

    private final String store;
    private final Map<String, String> environment;
    private final Path dataDir;
    private final Map<String, NodeAddress> nodes = new LinkedHashMap<>();
    private final Map<String, Process> processes = new LinkedHashMap<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    ClusterSupervisor(int count, int basePort, String store, Path dataDir, Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
        this.store = store;
        this.dataDir = dataDir;
        for (int i = 1; i <= count; i++) {
            String name = "node-" + i;
            nodes.put(name, new NodeAddress(name, "127.0.0.1", basePort + i - 1));
        }
    }

    /** A node's port for the replicated store's traffic: its HTTP port plus 100. */
    private static int clusterPort(NodeAddress a) {
        return a.port() + 100;
    }

    private String peers() {
        return String.join(
                ",",
                nodes.values().stream()
                        .map(n -> n.host() + "[" + clusterPort(n) + "]")
                        .toList());
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
        p.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no goodbye, like a crash
        LOG.warn("killed {} (pid {})", node, p.pid());
    }

    @Override
    public synchronized void start(String node) {
        Process p = processes.get(require(node));
        if (p != null && p.isAlive()) {
            throw new IllegalStateException(node + " is already running");
        }
        try {
            spawn(node);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + node + ": " + e.getMessage(), e);
        }
    }

    private String require(String node) {
        if (!nodes.containsKey(node)) {
            throw new IllegalArgumentException("no node named " + node + " in this demo");
        }
        return node;
    }

    private synchronized void spawn(String name) throws IOException {
        NodeAddress a = nodes.get(name);
        Files.createDirectories(logOf(name).getParent());
        List<String> command = new ArrayList<>();
        command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError")); // sizing: docs/ARCHITECTURE.md
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
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment); // secrets travel in the environment, not the command line
        Process p = builder.redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logOf(name).toFile()))
                .start();
        processes.put(name, p);
        LOG.info("started {} on {} (pid {}, log {})", name, a.authority(), p.pid(), logOf(name));
    }

    private void awaitHealthy(String name, Duration timeout) throws InterruptedException {
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
    }
}
