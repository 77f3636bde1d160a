package dev.satchel.bench.cluster;

import dev.satchel.bench.BarChart;
import dev.satchel.bench.cluster.PeerNode.Peer;
import dev.satchel.core.placement.Rendezvous;
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
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The clustering benchmark: the same app on N real node processes for each contender, one after
 * another in one run: Satchel's replicated (sync and async) and primary-backup stores, Tomcat's
 * DeltaManager (sync and async) and BackupManager, Hazelcast's replicated and partitioned maps.
 *
 * <p>For each: closed-loop clients with one session each, routed as a sticky balancer would (to
 * the node that created the session; for primary-backup, to the session's owner by the
 * {@code session-hash} ranking); throughput, latency percentiles, and the bytes the nodes sent each
 * other (TCP payload on the cluster ports, from the kernel's per-socket counters, {@code ss -ti})
 * per request. Then heap per node for {@code --memory} sessions at each node count of
 * {@code --memory-nodes}.
 *
 * <p>Usage: {@code java -cp satchel-bench/target/benchmarks.jar
 * dev.satchel.bench.cluster.ClusterPeersBench [--contenders a,b] [--nodes 3] [--seconds 10]
 * [--warmup 5] [--threads 8] [--sessions 2000] [--read-percent 0] [--memory 100000]
 * [--memory-nodes 3,6] [--out target]}. Writes {@code cluster-bench.md} and
 * {@code cluster-bench.svg}.
 *
 * <p>One file, over 500 lines: the harness, the contenders' processes and the report are one
 * program a reader follows from top to bottom.
 */
public final class ClusterPeersBench {
    private static final String HOST = "127.0.0.1";

    private ClusterPeersBench() {}

    record Options(
            List<Peer> contenders,
            int nodes,
            int seconds,
            int warmup,
            int threads,
            int sessions,
            int readPercent,
            int memorySessions,
            List<Integer> memoryNodes,
            Path out,
            String heap,
            boolean throughput,
            boolean failover) {}

    record Throughput(
            Peer peer, double perSecond, long p50, long p99, long p999, long errors, double clusterBytesPerRequest) {}

    record Memory(Peer peer, int nodes, double mbPerNode, long sessionsPerNode, long bytesPerSession) {}

    /**
     * One user's session as the client knows it: its cookie, the node a sticky balancer sends it
     * to, and the cart counter of its last acknowledged change. Used by one thread at a time.
     */
    static final class ClientSession {
        String cookie;
        int home;
        long acknowledged;

        ClientSession(String cookie, int home) {
            this.cookie = cookie;
            this.home = home;
        }
    }

    /**
     * What the consistency check saw: changes acknowledged, and acknowledged changes a later
     * response did not show (its cart counter was lower than the client's), with the sessions
     * they belonged to and those that came back as new sessions.
     */
    static final class Check {
        final AtomicLong acknowledged = new AtomicLong();
        final AtomicLong lostWrites = new AtomicLong();
        final AtomicLong sessionsWithLoss = new AtomicLong();
        final AtomicLong sessionsLost = new AtomicLong();
        final AtomicLong failedRequests = new AtomicLong();
        /** Answered requests in each half second since the check began: the outage, seen from a client. */
        final java.util.concurrent.atomic.AtomicLongArray answeredPerHalfSecond =
                new java.util.concurrent.atomic.AtomicLongArray(240);

        private final long began = System.nanoTime();

        /** Checks a 200 response's counter against what the client had acknowledged. */
        void answered(ClientSession s, HttpConnection.Response r, boolean write) {
            int slot = (int) ((System.nanoTime() - began) / 500_000_000L);
            if (slot < answeredPerHalfSecond.length()) {
                answeredPerHalfSecond.incrementAndGet(slot);
            }
            String[] fields = r.body().trim().split(" ");
            long read = fields.length >= 3 ? Long.parseLong(fields[2]) : 0;
            if (read < s.acknowledged) {
                lostWrites.addAndGet(s.acknowledged - read);
                sessionsWithLoss.incrementAndGet();
                if (read == 0 && r.setCookie().isPresent()) {
                    sessionsLost.incrementAndGet();
                }
            }
            if (write) {
                s.acknowledged = read + 1;
                acknowledged.incrementAndGet();
            } else {
                s.acknowledged = Math.max(s.acknowledged, read);
            }
        }
    }

    record Failover(
            Peer peer,
            long acknowledged,
            long lostWrites,
            long sessionsWithLoss,
            long sessionsLost,
            long failed,
            List<Long> answeredPerHalfSecond) {}

    public static void main(String[] argv) throws Exception {
        Options options = parse(argv);
        Files.createDirectories(options.out());
        List<Throughput> throughput = new ArrayList<>();
        if (options.throughput()) {
            // This JVM's own client code must be compiled and its heap grown before the first
            // contender is measured: without this round the first one measured at 57% of itself
            // measured later in the same run.
            System.out.printf("%n== warming up the client on %s, not recorded ==%n", Peer.UNSHARED.label());
            try (NodeGroup group = NodeGroup.start(Peer.UNSHARED, options.nodes(), options)) {
                List<ClientSession> sessions = create(group, options.sessions(), options.threads(), true);
                drive(
                        group,
                        sessions,
                        options,
                        Duration.ofSeconds(2L * options.warmup()),
                        new Recorder(3),
                        new Check());
            }
        }
        for (Peer peer : options.throughput() ? options.contenders() : List.<Peer>of()) {
            System.out.printf("%n== %s on %d nodes ==%n", peer.label(), options.nodes());
            try (NodeGroup group = NodeGroup.start(peer, options.nodes(), options)) {
                throughput.add(measureThroughput(peer, group, options));
            }
            Throughput t = throughput.get(throughput.size() - 1);
            System.out.printf(
                    "%s: %,.0f requests/s, p50 %,d µs, p99 %,d µs, %,.0f cluster bytes per request, %d errors%n",
                    peer.label(), t.perSecond(), t.p50(), t.p99(), t.clusterBytesPerRequest(), t.errors());
        }
        List<Memory> memory = new ArrayList<>();
        if (options.memorySessions() > 0) {
            for (Peer peer : options.contenders()) {
                if (peer == Peer.SATCHEL_REPLICATED_ASYNC || peer == Peer.TOMCAT_DELTA_ASYNC) {
                    continue; // the same copies as the synchronous mode
                }
                for (int n : options.memoryNodes()) {
                    System.out.printf(
                            "%n== memory: %s, %,d sessions on %d nodes ==%n",
                            peer.label(), options.memorySessions(), n);
                    try (NodeGroup group = NodeGroup.start(peer, n, options)) {
                        memory.add(measureMemory(peer, group, options.memorySessions(), options.threads()));
                    }
                    Memory m = memory.get(memory.size() - 1);
                    System.out.printf(
                            "%s at %d nodes: %.1f MB per node, %,d sessions per node%n",
                            peer.label(), n, m.mbPerNode(), m.sessionsPerNode());
                }
            }
        }
        List<Failover> failovers = new ArrayList<>();
        for (Peer peer : options.failover() ? options.contenders() : List.<Peer>of()) {
            if (peer == Peer.UNSHARED) {
                continue;
            }
            System.out.printf("%n== failover: %s on %d nodes, one killed ==%n", peer.label(), options.nodes());
            try (NodeGroup group = NodeGroup.start(peer, options.nodes(), options)) {
                failovers.add(measureFailover(peer, group, options));
            }
            Failover f = failovers.get(failovers.size() - 1);
            System.out.printf(
                    "%s: %,d acknowledged changes, %,d lost (in %,d sessions; %,d sessions lost), %,d requests failed%n",
                    peer.label(), f.acknowledged(), f.lostWrites(), f.sessionsWithLoss(), f.sessionsLost(), f.failed());
            System.out.println("  answered per half second (the kill at the middle): " + f.answeredPerHalfSecond());
        }
        String report = report(options, throughput, memory, failovers);
        Files.writeString(options.out().resolve("cluster-bench.md"), report);
        Files.writeString(options.out().resolve("cluster-bench.svg"), chart(throughput, options));
        System.out.println();
        System.out.println(report);
        System.out.println("Written: " + options.out().resolve("cluster-bench.md") + " and "
                + options.out().resolve("cluster-bench.svg"));
    }

    private static Throughput measureThroughput(Peer peer, NodeGroup group, Options options) throws Exception {
        List<ClientSession> sessions = create(group, options.sessions(), options.threads(), true);
        System.out.printf("created %,d sessions; warming up for %d s%n", sessions.size(), options.warmup());
        drive(group, sessions, options, Duration.ofSeconds(options.warmup()), new Recorder(3), new Check());
        Map<String, Long> before = clusterBytes(group.clusterPorts());
        Recorder recorder = new Recorder(TimeUnit.SECONDS.toMicros(60), 3);
        Check check = new Check();
        System.out.printf("measuring for %d s%n", options.seconds());
        long started = System.nanoTime();
        long requests = drive(group, sessions, options, Duration.ofSeconds(options.seconds()), recorder, check);
        double elapsed = (System.nanoTime() - started) / 1e9;
        Map<String, Long> after = clusterBytes(group.clusterPorts());
        long bytes = 0;
        for (Map.Entry<String, Long> e : after.entrySet()) {
            bytes += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        Histogram h = recorder.getIntervalHistogram();
        return new Throughput(
                peer,
                requests / elapsed,
                h.getValueAtPercentile(50),
                h.getValueAtPercentile(99),
                h.getValueAtPercentile(99.9),
                check.failedRequests.get() + check.lostWrites.get(),
                requests == 0 ? 0 : (double) bytes / requests);
    }

    private static Memory measureMemory(Peer peer, NodeGroup group, int count, int threads) throws Exception {
        long[] before = group.stats(0);
        create(group, count, threads, false);
        long[] after = group.stats(1);
        long bytes = 0;
        long held = 0;
        for (int i = 0; i < group.size(); i++) {
            bytes += after[2 * i] - before[2 * i];
            held += after[2 * i + 1];
        }
        double perNode = (double) bytes / group.size();
        long sessionsPerNode = held / group.size();
        return new Memory(
                peer,
                group.size(),
                perNode / (1 << 20),
                sessionsPerNode,
                sessionsPerNode == 0 ? 0 : (long) (perNode / sessionsPerNode));
    }

    /** Makes {@code count} sessions, one request each, spread over the nodes. */
    private static List<ClientSession> create(NodeGroup group, int count, int threads, boolean keep)
            throws InterruptedException {
        List<ClientSession> made = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        AtomicReference<String> failure = new AtomicReference<>();
        List<String> names =
                IntStream.range(0, group.size()).mapToObj(PeerNode::nodeName).toList();
        long progressEvery = Math.max(1, count / 10);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(started(() -> {
                HttpConnection[] connections = group.connect();
                try {
                    for (int i = next.getAndIncrement();
                            i < count && failure.get() == null;
                            i = next.getAndIncrement()) {
                        int node = i % group.size();
                        HttpConnection.Response r = connections[node].get("/cart", Optional.empty());
                        if (r.status() != 200 || r.setCookie().isEmpty()) {
                            failure.compareAndSet(null, "creating a session: HTTP " + r.status() + " " + r.body());
                            return;
                        }
                        if (keep) {
                            String cookie = r.setCookie().get();
                            int home = group.peer().routesBySessionHash()
                                    ? names.indexOf(Rendezvous.owner(cookie.substring(cookie.indexOf('=') + 1), names)
                                            .orElseThrow())
                                    : node;
                            made.add(new ClientSession(cookie, home));
                        }
                        if ((i + 1) % progressEvery == 0) {
                            System.out.printf("  %,d of %,d sessions%n", i + 1, count);
                        }
                    }
                } catch (IOException e) {
                    failure.compareAndSet(null, "creating a session: " + e);
                } finally {
                    Arrays.stream(connections).forEach(HttpConnection::close);
                }
            }));
        }
        for (Thread w : workers) {
            w.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException(failure.get());
        }
        return List.copyOf(made);
    }

    /**
     * Closed loop: each thread takes its share of the sessions in turn, for {@code duration},
     * checking every answer against what it had acknowledged. A session whose node was killed goes
     * where the balancer would send it next.
     */
    private static long drive(
            NodeGroup group,
            List<ClientSession> sessions,
            Options options,
            Duration duration,
            Recorder recorder,
            Check check)
            throws InterruptedException {
        AtomicLong requests = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        long end = System.nanoTime() + duration.toNanos();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < options.threads(); t++) {
            int thread = t;
            workers.add(started(() -> {
                HttpConnection[] connections = group.connect();
                List<ClientSession> mine = new ArrayList<>();
                for (int i = thread; i < sessions.size(); i += options.threads()) {
                    mine.add(sessions.get(i));
                }
                ThreadLocalRandom random = ThreadLocalRandom.current();
                long done = 0;
                try {
                    for (int k = 0; System.nanoTime() < end; k++) {
                        ClientSession s = mine.get(k % mine.size());
                        boolean write = random.nextInt(100) >= options.readPercent();
                        long start = System.nanoTime();
                        request(group, connections, s, write, check, firstError);
                        recorder.recordValue(Math.min(
                                TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start),
                                TimeUnit.SECONDS.toMicros(60)));
                        done++;
                    }
                } finally {
                    Arrays.stream(connections).forEach(HttpConnection::close);
                    requests.addAndGet(done);
                }
            }));
        }
        for (Thread w : workers) {
            w.join();
        }
        if (firstError.get() != null) {
            System.out.println("  first error: " + firstError.get());
        }
        return requests.get();
    }

    private static void request(
            NodeGroup group,
            HttpConnection[] connections,
            ClientSession s,
            boolean write,
            Check check,
            AtomicReference<String> firstError) {
        if (group.isDead(s.home)) {
            s.home = group.failover(s);
        }
        try {
            HttpConnection.Response r = connections[s.home].get(write ? "/cart" : "/cart?read", Optional.of(s.cookie));
            if (r.status() != 200) {
                check.failedRequests.incrementAndGet();
                firstError.compareAndSet(null, "HTTP " + r.status() + " " + r.body());
                return;
            }
            check.answered(s, r, write);
            r.setCookie().ifPresent(c -> s.cookie = c); // a new id (Tomcat's route), or a new session
        } catch (IOException e) {
            check.failedRequests.incrementAndGet();
            firstError.compareAndSet(null, e.toString());
        }
    }

    /**
     * Kills one node (SIGKILL) in the middle of the load, then reads every session once from
     * where it is served now: how many acknowledged changes the cluster lost.
     */
    private static Failover measureFailover(Peer peer, NodeGroup group, Options options) throws Exception {
        List<ClientSession> sessions = create(group, options.sessions(), options.threads(), true);
        Check warm = new Check();
        drive(group, sessions, options, Duration.ofSeconds(options.warmup()), new Recorder(3), warm);
        Check check = new Check();
        sessions.forEach(s -> s.acknowledged = Math.max(s.acknowledged, 0));
        Thread killer = started(() -> {
            try {
                TimeUnit.MILLISECONDS.sleep(options.seconds() * 1000L / 2);
                System.out.printf("  SIGKILL node 0 of %s%n", peer.label());
                group.kill(0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        drive(group, sessions, options, Duration.ofSeconds(options.seconds()), new Recorder(3), check);
        killer.join();
        // Every session once more, read-only, from where it lives now.
        HttpConnection[] connections = group.connect();
        AtomicReference<String> firstError = new AtomicReference<>();
        for (ClientSession s : sessions) {
            request(group, connections, s, false, check, firstError);
        }
        Arrays.stream(connections).forEach(HttpConnection::close);
        return new Failover(
                peer,
                check.acknowledged.get(),
                check.lostWrites.get(),
                check.sessionsWithLoss.get(),
                check.sessionsLost.get(),
                check.failedRequests.get(),
                IntStream.range(0, options.seconds() * 2)
                        .mapToObj(check.answeredPerHalfSecond::get)
                        .toList());
    }

    /**
     * Bytes sent so far on every established TCP connection that has a cluster port at one end,
     * by the kernel's count of payload sent ({@code bytes_sent} in {@code ss -ti}), per socket.
     */
    static Map<String, Long> clusterBytes(Set<Integer> clusterPorts) throws IOException, InterruptedException {
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

    /** N node processes of one contender, stopped (killed) on close. */
    static final class NodeGroup implements AutoCloseable {
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

        static NodeGroup start(Peer peer, int nodes, Options options) throws Exception {
            int httpBase = freeRange(nodes);
            int clusterBase = freeRange(nodes);
            String java =
                    Path.of(System.getProperty("java.home"), "bin", "java").toString();
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
                    processes.add(new ProcessBuilder(command)
                            .redirectErrorStream(true)
                            .redirectOutput(log.toFile())
                            .start());
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
                for (int i = 0; i < nodes; i++) {
                    Path log = logs.resolve(peer.label() + "-" + nodes + "-n" + i + ".log");
                    while (!Files.readString(log, StandardCharsets.ISO_8859_1).contains("READY")) {
                        if (!processes.get(i).isAlive() || System.nanoTime() > deadline) {
                            throw new IllegalStateException(
                                    "node " + i + " of " + peer.label() + " did not start; see " + log);
                        }
                        Thread.sleep(100);
                    }
                }
                System.out.printf("%d nodes of %s are up%n", nodes, peer.label());
                return group;
            } catch (Exception e) {
                group.close();
                throw e;
            }
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
                return Integer.parseInt(
                        Rendezvous.owner(id, living).orElseThrow().substring(1));
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

        Set<Integer> clusterPorts() {
            return IntStream.range(0, size()).mapToObj(i -> clusterBase + i).collect(Collectors.toSet());
        }

        HttpConnection[] connect() {
            HttpConnection[] connections = new HttpConnection[size()];
            for (int i = 0; i < size(); i++) {
                connections[i] = new HttpConnection(HOST, httpBase + i);
            }
            return connections;
        }

        /** Per node: heap in use after a full collection, then sessions held; {@code [2i]}, {@code [2i+1]}. */
        long[] stats(int round) throws IOException {
            long[] values = new long[2 * size()];
            for (int i = 0; i < size(); i++) {
                try (HttpConnection c = new HttpConnection(HOST, httpBase + i)) {
                    String[] answer = c.get("/bench/stats", Optional.empty())
                            .body()
                            .trim()
                            .split(" ");
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

        private static int freeRange(int count) throws IOException {
            for (int attempt = 0; attempt < 200; attempt++) {
                int base = 20_000 + ThreadLocalRandom.current().nextInt(30_000);
                boolean free = true;
                for (int p = base; p < base + count && free; p++) {
                    try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getByName(HOST))) {
                        s.setReuseAddress(true);
                    } catch (IOException e) {
                        free = false;
                    }
                }
                if (free) {
                    return base;
                }
            }
            throw new IOException("no free range of " + count + " ports on " + HOST);
        }
    }

    private static Thread started(Runnable work) {
        Thread t = new Thread(work, "bench-client");
        t.start();
        return t;
    }

    private static String report(
            Options o, List<Throughput> throughput, List<Memory> memory, List<Failover> failovers) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                "%d nodes, %d client threads, %,d sessions of 10 attributes, %d%% read-only requests, %d s"
                        + " measured after %d s of warm-up; every request of the rest reads the session and"
                        + " replaces one 64-character attribute.%n%n",
                o.nodes(), o.threads(), o.sessions(), o.readPercent(), o.seconds(), o.warmup()));
        md.append("| contender | requests/s | p50 µs | p99 µs | p99.9 µs | cluster bytes per request | errors |\n");
        md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Throughput t : throughput) {
            md.append(String.format(
                    "| %s | %,.0f | %,d | %,d | %,d | %,.0f | %d |%n",
                    t.peer().label(),
                    t.perSecond(),
                    t.p50(),
                    t.p99(),
                    t.p999(),
                    t.clusterBytesPerRequest(),
                    t.errors()));
        }
        Optional<Throughput> tomcatBest = throughput.stream()
                .filter(t -> t.peer().name().startsWith("TOMCAT"))
                .max((a, b) -> Double.compare(a.perSecond(), b.perSecond()));
        if (tomcatBest.isPresent()) {
            md.append(String.format(
                    "%nRatios against the fastest Tomcat manager (%s):%n%n",
                    tomcatBest.get().peer().label()));
            for (Throughput t : throughput) {
                if (t.peer().satchel()) {
                    md.append(String.format(
                            "- %s: %.2f×%n",
                            t.peer().label(), t.perSecond() / tomcatBest.get().perSecond()));
                }
            }
        }
        if (!memory.isEmpty()) {
            md.append(String.format(
                    "%nHeap per node after %,d sessions were made (used heap after a full collection,"
                            + " minus the same before):%n%n",
                    o.memorySessions()));
            md.append("| contender | nodes | MB per node | sessions held per node | bytes per held session |\n");
            md.append("| --- | ---: | ---: | ---: | ---: |\n");
            for (Memory m : memory) {
                md.append(String.format(
                        "| %s | %d | %.1f | %,d | %,d |%n",
                        m.peer().label(), m.nodes(), m.mbPerNode(), m.sessionsPerNode(), m.bytesPerSession()));
            }
        }
        if (!failovers.isEmpty()) {
            md.append(String.format(
                    "%nOne node of %d killed with SIGKILL halfway through %d s of load; then every session read"
                            + " once from where the balancer sends it now. A lost change is an acknowledged one"
                            + " that a later answer did not show:%n%n",
                    o.nodes(), o.seconds()));
            md.append("| contender | changes acknowledged | acknowledged changes lost | sessions with a loss"
                    + " | sessions lost | requests failed |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
            for (Failover f : failovers) {
                md.append(String.format(
                        "| %s | %,d | %,d | %,d | %,d | %,d |%n",
                        f.peer().label(),
                        f.acknowledged(),
                        f.lostWrites(),
                        f.sessionsWithLoss(),
                        f.sessionsLost(),
                        f.failed()));
            }
            md.append(
                    "\nRequests answered per half second, the kill in the middle (the outage as a client sees it):\n\n");
            for (Failover f : failovers) {
                md.append(String.format(
                        "- %s: %s%n",
                        f.peer().label(),
                        f.answeredPerHalfSecond().stream().map(String::valueOf).collect(Collectors.joining(" "))));
            }
        }
        return md.toString();
    }

    private static String chart(List<Throughput> all, Options o) {
        // The unshared ceiling is several times the rest: drawn, it would flatten every other bar.
        List<BarChart.Bar> bars = all.stream()
                .filter(t -> t.peer() != Peer.UNSHARED)
                .map(t -> new BarChart.Bar(
                        t.peer().label(),
                        t.perSecond(),
                        String.format("%,.0f (p99 %,d)", t.perSecond(), t.p99()),
                        t.peer().satchel()))
                .toList();
        return BarChart.svg(
                "Requests per second on " + o.nodes() + " node processes (more is better; no-sharing ceiling"
                        + " not drawn); p99 in µs; green: Satchel",
                bars,
                900,
                230);
    }

    private static Options parse(String[] argv) {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            if (argv[i].equals("--help") || argv[i].equals("-h")) {
                System.out.println("usage: ClusterPeersBench [--contenders a,b] [--nodes 3] [--seconds 10] [--warmup 5]"
                        + " [--threads 8] [--sessions 2000] [--read-percent 0] [--memory 100000]"
                        + " [--memory-nodes 3,6] [--heap 1g] [--throughput yes|no] [--failover yes|no] [--out target]"
                        + "\ncontenders: "
                        + Arrays.stream(Peer.values()).map(Peer::label).collect(Collectors.joining(", ")));
                System.exit(0);
            }
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) {
                System.err.println("expected --name value, got: " + argv[i] + " (see --help)");
                System.exit(2);
            }
            args.put(argv[i].substring(2), argv[++i]);
        }
        List<Peer> contenders = args.containsKey("contenders")
                ? Arrays.stream(args.get("contenders").split(","))
                        .map(Peer::named)
                        .toList()
                : List.of(Peer.values());
        return new Options(
                contenders,
                Integer.parseInt(args.getOrDefault("nodes", "3")),
                Integer.parseInt(args.getOrDefault("seconds", "10")),
                Integer.parseInt(args.getOrDefault("warmup", "5")),
                Integer.parseInt(args.getOrDefault("threads", "8")),
                Integer.parseInt(args.getOrDefault("sessions", "2000")),
                Integer.parseInt(args.getOrDefault("read-percent", "0")),
                Integer.parseInt(args.getOrDefault("memory", "100000")),
                Arrays.stream(args.getOrDefault("memory-nodes", "3,6").split(","))
                        .map(String::trim)
                        .map(Integer::parseInt)
                        .toList(),
                Path.of(args.getOrDefault("out", "target")),
                args.getOrDefault("heap", "1g").toLowerCase(Locale.ROOT),
                !args.getOrDefault("throughput", "yes").equals("no"),
                !args.getOrDefault("failover", "yes").equals("no"));
    }
}
