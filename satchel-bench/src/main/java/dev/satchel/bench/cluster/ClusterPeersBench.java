package dev.satchel.bench.cluster;

import dev.satchel.bench.MachineState;
import dev.satchel.bench.Rounds;
import dev.satchel.bench.cluster.ClientLoad.Check;
import dev.satchel.bench.cluster.ClientLoad.ClientSession;
import dev.satchel.bench.cluster.PeerNode.Peer;
import dev.satchel.bench.cluster.PeersReport.Failover;
import dev.satchel.bench.cluster.PeersReport.Memory;
import dev.satchel.bench.cluster.PeersReport.Throughput;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The clustering benchmark: the same app on N real node processes for each contender, one after
 * another in one run: Satchel's replicated (sync and async) and primary-backup stores, Tomcat's
 * DeltaManager (sync and async) and BackupManager, Hazelcast's replicated and partitioned maps.
 *
 * <p>Throughput is measured in interleaved rounds: a warm-up round of every contender, not
 * recorded, then {@code --rounds} rounds of every contender in turn, each on fresh node processes.
 * The report gives every round, and for each pair the median of the per-round ratios with their
 * range, beside the load average before the run and the CPU steal during it.
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
 * [--warmup 5] [--rounds 3] [--threads 8] [--sessions 2000] [--read-percent 0] [--memory 100000]
 * [--memory-nodes 3,6] [--out target]}. Writes {@code cluster-bench.md} and
 * {@code cluster-bench.svg}.
 *
 * <p>This class runs the phases; {@link PeersBenchOptions} reads the command line, {@link NodeGroup}
 * starts and kills the node processes and counts their cluster bytes, {@link ClientLoad} is the
 * clients, and {@link PeersReport} writes the results.
 */
public final class ClusterPeersBench {
    private ClusterPeersBench() {}

    public static void main(String[] argv) throws Exception {
        PeersBenchOptions options = PeersBenchOptions.parse(argv);
        Files.createDirectories(options.out());
        List<Throughput> throughput = new ArrayList<>();
        MachineState.Probe machine = MachineState.begin();
        if (options.smoke()) {
            System.out.printf("%n** %s **%n", Rounds.SMOKE_NOTE);
        }
        // Round 0 warms up every contender and this JVM's client code, and is thrown away: without
        // it the first contender measured ran at 57% of itself measured later in the same run.
        // Then A, B, C, A, B, C, ...: drift on a shared machine falls on every contender alike.
        for (int round = options.smoke() ? 1 : 0; options.throughput() && round <= options.rounds(); round++) {
            System.out.printf(
                    "%n#### round %d of %d%s%n",
                    round, options.rounds(), round == 0 ? " (warm-up of every contender, not recorded)" : "");
            for (Peer peer : options.contenders()) {
                System.out.printf("%n== %s on %d nodes, round %d ==%n", peer.label(), options.nodes(), round);
                Throughput t;
                try (NodeGroup group = NodeGroup.start(peer, options.nodes(), options)) {
                    t = measureThroughput(peer, round, group, options);
                }
                if (round > 0) {
                    throughput.add(t);
                }
                System.out.printf(
                        "%s, round %d: %,.0f requests/s, p50 %,d µs, p99 %,d µs, %,.0f cluster bytes per request,"
                                + " %,.0f µs of node CPU and %.1f context switches per request, %,.0f µs of the"
                                + " clients' CPU, %d errors%n",
                        peer.label(),
                        round,
                        t.perSecond(),
                        t.p50(),
                        t.p99(),
                        t.clusterBytesPerRequest(),
                        t.nodeCpuMicrosPerRequest(),
                        t.contextSwitchesPerRequest(),
                        t.clientCpuMicrosPerRequest(),
                        t.errors());
            }
        }
        MachineState state = machine.end();
        if (options.throughput()) {
            System.out.println(state.describe());
        }
        List<Memory> memory = new ArrayList<>();
        if (options.memorySessions() > 0) {
            for (Peer peer : options.contenders()) {
                if (peer == Peer.SATCHEL_REPLICATED_ASYNC
                        || peer == Peer.TOMCAT_DELTA_ASYNC
                        || peer == Peer.SATCHEL_PRIMARY_BACKUP_LINKS
                        || peer == Peer.SATCHEL_REPLICATED_LINKS
                        || peer.tls()) {
                    continue; // the same copies as the synchronous, plain mode
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
        String report = PeersReport.report(options, throughput, state, memory, failovers);
        Files.writeString(options.out().resolve("cluster-bench.md"), report);
        Files.writeString(options.out().resolve("cluster-bench.svg"), PeersReport.chart(throughput, state, options));
        System.out.println();
        System.out.println(report);
        System.out.println("Written: " + options.out().resolve("cluster-bench.md") + " and "
                + options.out().resolve("cluster-bench.svg"));
    }

    private static Throughput measureThroughput(Peer peer, int round, NodeGroup group, PeersBenchOptions options)
            throws Exception {
        List<ClientSession> sessions = ClientLoad.create(group, options.sessions(), options.threads(), true);
        System.out.printf("created %,d sessions; warming up for %d s%n", sessions.size(), options.warmup());
        ClientLoad.drive(group, sessions, options, Duration.ofSeconds(options.warmup()), new Recorder(3), new Check());
        int warmedFor = options.warmup() + settle(group, sessions, options);
        Map<String, Long> before = group.clusterBytesSent();
        Duration cpuBefore = group.cpuTime();
        long switchesBefore = group.contextSwitches();
        Map<String, Long> threadsBefore = group.cpuTicksByThread();
        long clientCpuBefore = clientCpuNanos();
        Recorder recorder = new Recorder(TimeUnit.SECONDS.toMicros(60), 3);
        Check check = new Check();
        System.out.printf("measuring for %d s%n", options.seconds());
        long started = System.nanoTime();
        long requests =
                ClientLoad.drive(group, sessions, options, Duration.ofSeconds(options.seconds()), recorder, check);
        double elapsed = (System.nanoTime() - started) / 1e9;
        Map<String, Long> after = group.clusterBytesSent();
        Duration cpu = group.cpuTime().minus(cpuBefore);
        long switches = group.contextSwitches() - switchesBefore;
        Map<String, Long> threadsAfter = group.cpuTicksByThread();
        long clientCpu = clientCpuNanos() - clientCpuBefore;
        printCpuByThread(threadsBefore, threadsAfter, requests);
        long bytes = 0;
        for (Map.Entry<String, Long> e : after.entrySet()) {
            bytes += e.getValue() - before.getOrDefault(e.getKey(), 0L);
        }
        Histogram h = recorder.getIntervalHistogram();
        return new Throughput(
                peer,
                round,
                requests / elapsed,
                h.getValueAtPercentile(50),
                h.getValueAtPercentile(99),
                h.getValueAtPercentile(99.9),
                check.failedRequests.get() + check.lostWrites.get(),
                requests == 0 ? 0 : (double) bytes / requests,
                requests == 0 ? 0 : cpu.toNanos() / 1e3 / requests,
                requests == 0 ? 0 : (double) switches / requests,
                requests == 0 ? 0 : clientCpu / 1e3 / requests,
                warmedFor,
                compilerShare(threadsBefore, threadsAfter));
    }

    /** This JVM's CPU time: the clients share the machine with the nodes they measure. */
    private static long clientCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static final int SETTLE_STEP_SECONDS = 5;

    /**
     * Warms on in steps until the JIT compilers' share of the nodes' CPU falls under
     * {@code --settle} percent, or {@code --settle-max} seconds of warm-up have passed. On two
     * shared cores the compilers of three fresh JVMs were still taking 20-30% of the nodes' CPU
     * after 25 s, and how far each JVM had got decided a round more than the product did. Returns
     * the seconds added.
     */
    private static int settle(NodeGroup group, List<ClientSession> sessions, PeersBenchOptions options)
            throws Exception {
        int added = 0;
        while (options.settlePercent() > 0 && options.warmup() + added < options.settleMaxSeconds()) {
            Map<String, Long> before = group.cpuTicksByThread();
            ClientLoad.drive(
                    group, sessions, options, Duration.ofSeconds(SETTLE_STEP_SECONDS), new Recorder(3), new Check());
            added += SETTLE_STEP_SECONDS;
            double share = compilerShare(before, group.cpuTicksByThread());
            System.out.printf(
                    "warm-up %d s: JIT compilers took %.1f%% of the nodes' CPU in the last %d s%n",
                    options.warmup() + added, 100 * share, SETTLE_STEP_SECONDS);
            if (share * 100 < options.settlePercent()) {
                return added;
            }
        }
        if (options.settlePercent() > 0) {
            System.out.printf(
                    "warm-up stopped at --settle-max %d s before the compilers settled%n", options.settleMaxSeconds());
        }
        return added;
    }

    /** The JIT compiler threads' part of all the node threads' CPU between two readings. */
    private static double compilerShare(Map<String, Long> before, Map<String, Long> after) {
        long all = 0;
        long compilers = 0;
        for (Map.Entry<String, Long> e : after.entrySet()) {
            long used = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            all += used;
            if (e.getKey().contains("CompilerThre")) {
                compilers += used;
            }
        }
        return all <= 0 ? 0 : (double) compilers / all;
    }

    /** The ten threads (by node and name) that used the most CPU over the phase, per request. */
    private static void printCpuByThread(Map<String, Long> before, Map<String, Long> after, long requests) {
        if (requests == 0 || after.isEmpty()) {
            return;
        }
        double microsPerTick = 1e6 / 100; // USER_HZ is 100 on Linux
        StringBuilder line = new StringBuilder("node CPU µs per request by thread:");
        after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .limit(10)
                .forEach(e ->
                        line.append(String.format(" %s %.0f;", e.getKey(), e.getValue() * microsPerTick / requests)));
        System.out.println(line);
    }

    private static Memory measureMemory(Peer peer, NodeGroup group, int count, int threads) throws Exception {
        long[] before = group.stats(0);
        ClientLoad.create(group, count, threads, false);
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

    /**
     * Kills one node (SIGKILL) in the middle of the load, then reads every session once from
     * where it is served now: how many acknowledged changes the cluster lost.
     */
    private static Failover measureFailover(Peer peer, NodeGroup group, PeersBenchOptions options) throws Exception {
        List<ClientSession> sessions = ClientLoad.create(group, options.sessions(), options.threads(), true);
        Check warm = new Check();
        ClientLoad.drive(group, sessions, options, Duration.ofSeconds(options.warmup()), new Recorder(3), warm);
        Check check = new Check();
        sessions.forEach(s -> s.acknowledged = Math.max(s.acknowledged, 0));
        Thread killer = ClientLoad.started(() -> {
            try {
                TimeUnit.MILLISECONDS.sleep(options.seconds() * 1000L / 2);
                System.out.printf("  SIGKILL node 0 of %s%n", peer.label());
                group.kill(0);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        ClientLoad.drive(group, sessions, options, Duration.ofSeconds(options.seconds()), new Recorder(3), check);
        killer.join();
        // Every session once more, read-only, from where it lives now.
        HttpConnection[] connections = group.connect();
        AtomicReference<String> firstError = new AtomicReference<>();
        for (ClientSession s : sessions) {
            ClientLoad.request(group, connections, s, false, check, firstError);
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
}
