package dev.satchel.lab;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Measures what a strategy's requests cost while the lab runs: CPU of the node and store
 * processes and of the balancer's threads, bytes on every kind of connection, and the store's own
 * operation count. Sampled once a second, so a process killed or a connection closed mid-run still
 * counts up to its last sample. A connection first seen later counts from its first byte; a
 * process first seen later (a restarted node) counts from then, so its start-up is left out.
 * Thread-safe: the timer samples while the lab finishes.
 */
final class ResourceSampler {
    private final Supplier<ClusterFootprint> footprint;
    private final Supplier<Optional<StoreOperations>> storeOperations;
    private final Supplier<Optional<List<SocketTraffic.End>>> sockets;
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();

    /** First and last CPU nanoseconds seen, per process id, split by role. */
    private final Map<Long, long[]> nodeCpu = new HashMap<>();

    private final Map<Long, long[]> storeCpu = new HashMap<>();
    /** First and last CPU nanoseconds seen, per balancer thread id. */
    private final Map<Long, long[]> balancerCpu = new HashMap<>();
    /** First and last bytes (sent + received) seen, per connection end counted, by path. */
    private final Map<String, Map<String, long[]>> wire = new LinkedHashMap<>();
    /** First and last data segments sent from the client end, per connection end counted, by path. */
    private final Map<String, Map<String, long[]>> segments = new LinkedHashMap<>();

    private Optional<StoreOperations> firstOperations = Optional.empty();
    private boolean ssMissing;
    private boolean started;

    ResourceSampler(Supplier<ClusterFootprint> footprint, Supplier<Optional<StoreOperations>> storeOperations) {
        this(
                footprint,
                storeOperations,
                () -> SocketTraffic.sample(footprint.get().namespaces()));
    }

    /** With the connections read by {@code sockets}: the kernel's through {@code ss}, or a test's. */
    ResourceSampler(
            Supplier<ClusterFootprint> footprint,
            Supplier<Optional<StoreOperations>> storeOperations,
            Supplier<Optional<List<SocketTraffic.End>>> sockets) {
        this.sockets = sockets;
        this.footprint = footprint;
        this.storeOperations = storeOperations;
        for (String path : List.of(
                ResourceUse.CLIENT_BALANCER,
                ResourceUse.BALANCER_NODES,
                ResourceUse.BETWEEN_NODES,
                ResourceUse.NODES_STORE)) {
            wire.put(path, new HashMap<>());
            segments.put(path, new HashMap<>());
        }
    }

    /** The first sample: the baseline every figure is counted from. */
    synchronized void start() {
        firstOperations = storeOperations.get();
        sample();
        started = true;
    }

    /** One reading of every counter; call about once a second. */
    synchronized void sample() {
        ClusterFootprint now = footprint.get();
        now.nodeProcesses().values().forEach(pid -> cpuOf(pid).ifPresent(ns -> seen(nodeCpu, pid, ns)));
        now.storeProcesses().values().forEach(pid -> cpuOf(pid).ifPresent(ns -> seen(storeCpu, pid, ns)));
        String balancerThreads = now.balancerThreads();
        if (!balancerThreads.isEmpty() && threads.isThreadCpuTimeSupported()) {
            for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
                if (t != null && t.getThreadName().startsWith(balancerThreads)) {
                    long ns = threads.getThreadCpuTime(t.getThreadId());
                    if (ns >= 0) {
                        seen(balancerCpu, t.getThreadId(), ns);
                    }
                }
            }
        }
        Optional<List<SocketTraffic.End>> ends = sockets.get();
        if (ends.isEmpty()) {
            ssMissing = true;
            return;
        }
        for (SocketTraffic.End end : ends.get()) {
            // Each connection is counted once, at its client's end: the end whose peer is the
            // service. Both ends are in one namespace on loopback; across namespaces the client's
            // is in the one it was opened from, and every namespace is read.
            // A connection opened after the first sample counts from its first byte.
            pathOf(end.peerPort(), now).ifPresent(path -> {
                count(wire.get(path), end.key(), end.sent() + end.received());
                count(segments.get(path), end.key(), end.segmentsOut());
            });
        }
    }

    /** The figures from the first sample to a last one taken now, per request answered. */
    synchronized ResourceUse finish(long requests, Map<String, Long> sessionsHeld) {
        sample();
        double per = Math.max(1, requests);
        Map<String, Double> cpu = new LinkedHashMap<>();
        List<String> unmeasured = new ArrayList<>();
        if (!nodeCpu.isEmpty()) {
            cpu.put(ResourceUse.NODES, grown(nodeCpu) / 1_000.0 / per);
        } else {
            unmeasured.add("the nodes' CPU: no node process could be read");
        }
        if (!balancerCpu.isEmpty()) {
            cpu.put(ResourceUse.BALANCER, grown(balancerCpu) / 1_000.0 / per);
        } else {
            unmeasured.add("the balancer's CPU: it runs outside the lab's JVM, or this JVM cannot time threads");
        }
        if (!storeCpu.isEmpty()) {
            cpu.put(ResourceUse.STORE, grown(storeCpu) / 1_000.0 / per);
        }
        Map<String, Double> bytes = new LinkedHashMap<>();
        Map<String, Double> sends = new LinkedHashMap<>();
        if (ssMissing) {
            unmeasured.add("bytes on the wire: iproute2's ss is not installed or failed");
        } else {
            wire.forEach((path, ends) -> {
                if (!ends.isEmpty()) {
                    bytes.put(path, grown(ends) / per);
                    sends.put(path, grown(segments.get(path)) / per);
                }
            });
        }
        Map<String, Double> operations = new LinkedHashMap<>();
        Optional<StoreOperations> last = storeOperations.get();
        if (firstOperations.isPresent() && last.isPresent()) {
            long done = last.get().count() - firstOperations.get().count();
            if (done >= 0) {
                operations.put(last.get().unit(), done / per);
            } else {
                unmeasured.add("the store's operations: its counter started again (the server restarted)");
            }
        }
        return new ResourceUse(requests, cpu, bytes, sends, operations, sessionsHeld, unmeasured);
    }

    /** A connection's counter; one opened after the first sample counts from zero. */
    private void count(Map<String, long[]> counted, String key, long value) {
        if (started && !counted.containsKey(key)) {
            counted.put(key, new long[] {0, 0, 0});
        }
        seen(counted, key, value);
    }

    private static Optional<String> pathOf(int peerPort, ClusterFootprint f) {
        if (peerPort == f.balancerPort()) {
            return Optional.of(ResourceUse.CLIENT_BALANCER);
        }
        if (f.nodePorts().contains(peerPort)) {
            return Optional.of(ResourceUse.BALANCER_NODES);
        }
        if (f.clusterPorts().contains(peerPort)) {
            return Optional.of(ResourceUse.BETWEEN_NODES);
        }
        if (f.storePorts().contains(peerPort)) {
            return Optional.of(ResourceUse.NODES_STORE);
        }
        return Optional.empty();
    }

    private static Optional<Long> cpuOf(long pid) {
        return ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).map(Duration::toNanos);
    }

    /** Keeps the first and the latest reading; a counter that went down is a new one from zero. */
    private static <K> void seen(Map<K, long[]> readings, K key, long value) {
        long[] r = readings.get(key);
        if (r == null) {
            readings.put(key, new long[] {value, value, 0});
        } else if (value < r[1]) {
            r[2] += r[1] - r[0]; // what the old one had grown by stays counted
            r[0] = 0;
            r[1] = value;
        } else {
            r[1] = value;
        }
    }

    private static long grown(Map<?, long[]> readings) {
        long sum = 0;
        for (long[] r : readings.values()) {
            sum += r[1] - r[0] + r[2];
        }
        return sum;
    }
}
