package dev.satchel.bench.cluster;

import dev.satchel.bench.cluster.ClientLoad.ClientSession;
import dev.satchel.bench.cluster.PeerNode.Peer;
import dev.satchel.cluster.ClusterKeystore;
import dev.satchel.core.placement.Rendezvous;
import dev.satchel.testkit.Await;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/** N node processes of one contender, stopped (killed) on close. */
final class NodeGroup implements AutoCloseable {
    private static final String HOST = "127.0.0.1";
    /** Where the {@code -tls} contenders' nodes find the keystore they share. */
    static final String KEYSTORE_VARIABLE = "BENCH_CLUSTER_KEYSTORE";
    /** The benchmark's throwaway keystore's password. */
    static final String KEYSTORE_PASSWORD = "satchel-bench";

    private final Peer peer;
    private final List<Process> processes;
    private final int httpBase;
    private final int clusterBase;

    private NodeGroup(Peer peer, List<Process> processes, int httpBase, int clusterBase) {
        this.peer = peer;
        this.processes = processes;
        this.httpBase = httpBase;
        this.clusterBase = clusterBase;
    }

    static NodeGroup start(Peer peer, int nodes, PeersBenchOptions options) throws Exception {
        int httpBase = freeRange(nodes, 0);
        int clusterBase = freeRange(nodes, 0, 100, 200); // failure detection on + 100, answers on + 200
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("java.class.path");
        Path logs = Files.createDirectories(options.out().resolve("cluster-bench-logs"));
        List<Process> processes = new ArrayList<>();
        NodeGroup group = new NodeGroup(peer, processes, httpBase, clusterBase);
        Runtime.getRuntime().addShutdownHook(new Thread(group::close));
        try {
            for (int i = 0; i < nodes; i++) {
                Path log = logs.resolve(peer.label() + "-" + nodes + "-n" + i + ".log");
                List<String> command = new ArrayList<>(List.of(java));
                String extra = System.getenv("BENCH_NODE_OPTS"); // e.g. a profiler, for one run
                if (extra != null && !extra.isBlank()) {
                    command.addAll(Arrays.asList(extra.replace("{node}", peer.label() + "-n" + i)
                            .trim()
                            .split("\\s+")));
                }
                command.addAll(List.of(
                        "-Xms" + options.heap(),
                        "-Xmx" + options.heap(),
                        "-XX:+UseSerialGC",
                        "-Djava.net.preferIPv4Stack=true",
                        "-cp",
                        classPath,
                        PeerNode.class.getName(),
                        peer.label(),
                        Integer.toString(i),
                        Integer.toString(nodes),
                        Integer.toString(httpBase),
                        Integer.toString(clusterBase)));
                ProcessBuilder builder = new ProcessBuilder(command);
                if (peer.tls()) {
                    builder.environment().put(KEYSTORE_VARIABLE, keystore(logs).toString());
                }
                processes.add(builder.redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start());
            }
            Await.until(
                    Duration.ofSeconds(150),
                    () -> readyNodes(processes, logs, peer, nodes),
                    ready -> ready == nodes,
                    nodes + " nodes of " + peer.label() + " to print READY (value: how many did); see " + logs);
            System.out.printf("%d nodes of %s are up%n", nodes, peer.label());
            return group;
        } catch (Exception | AssertionError e) {
            group.close();
            throw e;
        }
    }

    /** The keystore the {@code -tls} contenders share, made once per output folder. */
    private static synchronized Path keystore(Path logs) {
        Path file = logs.resolve("cluster-bench.p12");
        if (!Files.exists(file)) {
            ClusterKeystore.generate(file, KEYSTORE_PASSWORD.toCharArray(), 30);
        }
        return file;
    }

    /** How many nodes have printed READY; throws as soon as one has died instead. */
    private static int readyNodes(List<Process> processes, Path logs, Peer peer, int nodes) throws IOException {
        int ready = 0;
        for (int i = 0; i < nodes; i++) {
            Path log = logs.resolve(peer.label() + "-" + nodes + "-n" + i + ".log");
            if (Files.readString(log, StandardCharsets.ISO_8859_1).contains("READY")) {
                ready++;
            } else if (!processes.get(i).isAlive()) {
                throw new IllegalStateException("node " + i + " of " + peer.label() + " did not start; see " + log);
            }
        }
        return ready;
    }

    Peer peer() {
        return peer;
    }

    private final java.util.concurrent.atomic.AtomicIntegerArray dead =
            new java.util.concurrent.atomic.AtomicIntegerArray(16);

    boolean isDead(int node) {
        return dead.get(node) != 0;
    }

    /** SIGKILL, as a crash: no shutdown hook, no goodbye to the cluster. */
    void kill(int node) {
        dead.set(node, 1);
        processes.get(node).destroyForcibly();
    }

    /**
     * Where the balancer sends a session whose node died: for primary-backup, the session's
     * owner among the living (its backup until then); otherwise the next living node.
     */
    int failover(ClientSession s) {
        List<String> living = new ArrayList<>();
        for (int i = 0; i < size(); i++) {
            if (!isDead(i)) {
                living.add(PeerNode.nodeName(i));
            }
        }
        if (peer.routesBySessionHash()) {
            String id = s.cookie.substring(s.cookie.indexOf('=') + 1);
            return Integer.parseInt(Rendezvous.owner(id, living).orElseThrow().substring(1));
        }
        int next = s.home;
        do {
            next = (next + 1) % size();
        } while (isDead(next));
        return next;
    }

    int size() {
        return processes.size();
    }

    /** Bytes this group's nodes have sent one another so far, per socket (see {@link #clusterBytes}). */
    Map<String, Long> clusterBytesSent() throws IOException, InterruptedException {
        // + 200: Satchel's answer ports, on which a synchronous save's answer travels.
        return clusterBytes(IntStream.range(0, size())
                .flatMap(i -> IntStream.of(clusterBase + i, clusterBase + i + 200))
                .boxed()
                .collect(Collectors.toSet()));
    }

    HttpConnection[] connect() {
        HttpConnection[] connections = new HttpConnection[size()];
        for (int i = 0; i < size(); i++) {
            connections[i] = new HttpConnection(HOST, httpBase + i);
        }
        return connections;
    }

    /** Per node: heap in use after a full collection, then sessions held; {@code [2i]}, {@code [2i+1]}. */
    /**
     * CPU time the node processes have used so far, user and system, as the kernel counts it: the
     * cost of a request where throughput alone would hide it behind waiting.
     */
    Duration cpuTime() {
        Duration total = Duration.ZERO;
        for (Process p : processes) {
            total = total.plus(p.info().totalCpuDuration().orElse(Duration.ZERO));
        }
        return total;
    }

    /**
     * Context switches of every thread of the node processes so far, voluntary (a thread parked or
     * blocked, as one waiting for an acknowledgement) and not, from {@code /proc/PID/task/TID/status}
     * on Linux; 0 elsewhere. Threads that ended take their counts with them, so compare only
     * over a phase in which the pools stay up, as the measured one.
     */
    long contextSwitches() {
        long total = 0;
        for (Process p : processes) {
            Path tasks = Path.of("/proc", Long.toString(p.pid()), "task");
            try (java.util.stream.Stream<Path> threads = Files.list(tasks)) {
                for (Path thread : threads.toList()) {
                    total += switchesOf(thread.resolve("status"));
                }
            } catch (IOException | java.io.UncheckedIOException gone) {
                // not Linux, or the process ended: nothing to count
            }
        }
        return total;
    }

    /**
     * CPU time so far of every thread of the node processes, in clock ticks, summed by node and
     * thread name with its digits dropped ("n0 http-nio-exec-"): where a round's CPU went, which
     * the process totals cannot tell. From {@code /proc/PID/task/TID/stat} and {@code comm} on
     * Linux (names cut to 15 characters there); empty elsewhere.
     */
    Map<String, Long> cpuTicksByThread() {
        Map<String, Long> ticks = new HashMap<>();
        for (int i = 0; i < processes.size(); i++) {
            Path tasks = Path.of("/proc", Long.toString(processes.get(i).pid()), "task");
            try (java.util.stream.Stream<Path> threads = Files.list(tasks)) {
                for (Path thread : threads.toList()) {
                    try {
                        String name =
                                Files.readString(thread.resolve("comm")).trim().replaceAll("[0-9]+", "#");
                        String stat = Files.readString(thread.resolve("stat"));
                        String[] fields =
                                stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        long used = Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime
                        ticks.merge("n" + i + " " + name, used, Long::sum);
                    } catch (IOException | RuntimeException threadEnded) {
                        // gone between the listing and the read
                    }
                }
            } catch (IOException | java.io.UncheckedIOException gone) {
                // not Linux, or the process ended
            }
        }
        return ticks;
    }

    private static long switchesOf(Path status) {
        long sum = 0;
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                    sum += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                }
            }
        } catch (IOException | NumberFormatException threadEnded) {
            return 0;
        }
        return sum;
    }

    long[] stats(int round) throws IOException {
        long[] values = new long[2 * size()];
        for (int i = 0; i < size(); i++) {
            try (HttpConnection c = new HttpConnection(HOST, httpBase + i)) {
                String[] answer =
                        c.get("/bench/stats", Optional.empty()).body().trim().split(" ");
                values[2 * i] = Long.parseLong(answer[0]);
                values[2 * i + 1] = Long.parseLong(answer[1]);
            }
        }
        return values;
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroy(); // SIGTERM: a recording started with BENCH_NODE_OPTS is written out
        }
        for (Process p : processes) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A base port from which {@code count} ports are free, and so are the same ports + each offset. */
    private static int freeRange(int count, int... offsets) throws IOException {
        for (int attempt = 0; attempt < 200; attempt++) {
            int base = 20_000 + ThreadLocalRandom.current().nextInt(30_000);
            boolean free = true;
            for (int p = base; p < base + count && free; p++) {
                for (int offset : offsets) {
                    try (ServerSocket s = new ServerSocket(p + offset, 1, InetAddress.getByName(HOST))) {
                        s.setReuseAddress(true);
                    } catch (IOException e) {
                        free = false;
                    }
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IOException("no free range of " + count + " ports on " + HOST);
    }

    /**
     * Bytes sent so far on every established TCP connection that has a cluster port at one end,
     * by the kernel's count of payload sent ({@code bytes_sent} in {@code ss -ti}), per socket.
     */
    private static Map<String, Long> clusterBytes(Set<Integer> clusterPorts) throws IOException, InterruptedException {
        Process ss = new ProcessBuilder("ss", "-tinH", "state", "established")
                .redirectErrorStream(true)
                .start();
        String output = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        ss.waitFor();
        Map<String, Long> sent = new HashMap<>();
        String socket = null;
        for (String line : output.split("\n")) {
            if (!line.startsWith("\t") && !line.startsWith(" ")) {
                String[] fields = line.trim().split("\\s+");
                socket = fields.length >= 4
                                && (isClusterPort(fields[2], clusterPorts) || isClusterPort(fields[3], clusterPorts))
                        ? fields[2] + ">" + fields[3]
                        : null;
            } else if (socket != null) {
                int at = line.indexOf("bytes_sent:");
                if (at >= 0) {
                    int end = at + "bytes_sent:".length();
                    int stop = end;
                    while (stop < line.length() && Character.isDigit(line.charAt(stop))) {
                        stop++;
                    }
                    sent.put(socket, Long.parseLong(line.substring(end, stop)));
                }
                socket = null;
            }
        }
        return sent;
    }

    private static boolean isClusterPort(String endpoint, Set<Integer> ports) {
        int colon = endpoint.lastIndexOf(':');
        try {
            return colon > 0 && ports.contains(Integer.parseInt(endpoint.substring(colon + 1)));
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
