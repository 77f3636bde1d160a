package dev.satchel.lab;

import java.util.List;

/** The words both report files share: the settings line and the strategy table's columns and cells. */
final class ReportText {
    static final String TITLE = "Satchel lab report";

    static final List<String> STRATEGY_HEADERS = List.of(
            "strategy",
            "routing",
            "nodes",
            "req/s",
            "steady p50 ms",
            "steady p99 ms",
            "during-fault p99 ms",
            "failed",
            "lost sessions",
            "lost writes",
            "stale reads",
            "resurrected",
            "shoppers harmed",
            "recovery s",
            "cookie B/request",
            "busiest node %");

    static final List<String> RESOURCE_HEADERS = List.of(
            "strategy",
            "nodes",
            "CPU µs/req: nodes",
            "balancer",
            "store server",
            "bytes/req: client to balancer",
            "balancer to nodes",
            "between nodes",
            "nodes to store",
            "round trips to store/req",
            "store ops/req",
            "sessions held per node");

    /** How the resource figures were taken, said once beside them. */
    static final String RESOURCES_MEASURED =
            "Per request answered in the steady phase, before the first fault. CPU: the"
                    + " node and store processes' user and system time, and the balancer's threads in the lab's JVM. Bytes:"
                    + " TCP payload both ways on each kind of connection, from the kernel's counters (ss), sampled every"
                    + " second, so a connection that opened and closed between two samples is missed. Round trips: TCP"
                    + " segments with data the nodes sent the store (one per request or pipelined batch, more for a"
                    + " message past one segment: 1,448 bytes on the namespaces' links, 64 KiB on loopback)."
                    + " Store operations:"
                    + " the server's own count (Redis commands, its scripts' own included; PostgreSQL transactions). Sessions held: each node's own"
                    + " count at the end of the phase. A dash: not measured here, or no such part.";

    static final List<String> MEMORY_HEADERS = List.of(
            "strategy",
            "nodes",
            "sessions made",
            "copies gained, all nodes",
            "node heap growth MB, all nodes",
            "heap B per copy",
            "nodes' heap B per session",
            "store B per session");

    static final String MEMORY_MEASURED = "After the run, with the shoppers gone: each node's heap read after a"
            + " full collection (the live objects the JDK's jcmd GC.class_histogram counts) and the store server's own figure"
            + " (Redis' used_memory), then " + MemoryReading.SESSIONS_PER_NODE
            + " fresh sessions per node made through the balancer,"
            + " one cart item each, then both read again. Copies gained: each node's own count, after minus"
            + " before. Per session: the growth of all nodes together over the sessions made, so a session kept on"
            + " every node costs every copy. Nodes that keep no sessions (a central store, sealed cookies) show"
            + " what making them left besides the sessions.";

    static final List<String> SCALING_HEADERS = List.of(
            "strategy",
            "nodes",
            "bytes/req between nodes",
            "bytes/req nodes to store",
            "sessions held per node",
            "node CPU µs/req",
            "steady p50 ms");

    static final String SCALING_MEASURED = "Each strategy at each cluster size, measured as above (steady phase,"
            + " per request). All-to-all replication sends each change to every other node, so its bytes between"
            + " nodes should grow with the size and each node should hold every session; primary-backup sends one"
            + " copy whatever the size, and each node holds a share.";

    static final List<String> DELAY_HEADERS = List.of(
            "strategy",
            "ms added each way",
            "where",
            "store round trips/req",
            "steady p50 ms",
            "steady p99 ms",
            "requests/s",
            "failed");

    static final String DELAY_MEASURED = "Each strategy with a hop between servers at each delay, held each way by"
            + " relays in the lab (this kernel has no netem): on every connection from the nodes to the store, or"
            + " between the nodes of a cluster store. A request that makes n round trips to the store should slow"
            + " by about 2 × n × the delay: that is what \"a network request per request\" costs once the store is"
            + " not on the same switch. A synchronous save to the other nodes waits one round trip between nodes"
            + " (the copies leave together), so a write should slow by about 2 × the delay; primary-backup's"
            + " non-owner reads pay another. memory and cookie have no such hop and ran at 0 ms only.";

    /** Shown where a figure does not apply, e.g. a fault window in a run without a fault. */
    static final String NONE = "–";

    private ReportText() {}

    /** One line that says how the run was set up. */
    static String settingsLine(LabSettings s) {
        String fault = s.killsANode()
                ? "kill a node at " + s.faultAtSeconds() + " s, down " + s.downSeconds() + " s"
                : s.promotesTheStore()
                        ? "kill the replicated Redis's master at " + s.faultAtSeconds() + " s for Sentinel to promote"
                                + " its replica; the old master back " + s.downSeconds() + " s later"
                        : s.killsTheStore()
                                ? "kill the store's server at " + s.faultAtSeconds() + " s, down " + s.downSeconds()
                                        + " s"
                                : s.partitionsANode()
                                        ? "cut a node off the network at " + s.faultAtSeconds() + " s, for "
                                                + s.downSeconds() + " s"
                                        : s.fault();
        String returns = s.returnAfterSeconds() > 0
                ? "shoppers come back " + s.returnAfterSeconds() + " s after their visit; "
                : "";
        String logins = s.loginPercent() > 0
                ? s.loginPercent() + "% of shoppers log in mid-visit and are asked who they are; "
                : "";
        return "strategies " + String.join(", ", s.strategies()) + "; " + s.nodes() + " nodes; "
                + Figures.tick(s.shoppersPerSecond()) + " new shoppers/s; think " + s.thinkMillis() + " ms; "
                + logins + returns + "sessions expire after " + s.idleTimeoutSeconds() + " s idle; warm-up "
                + s.warmupSeconds() + " s; measured " + s.seconds() + " s"
                + (s.soaks() ? " (a soak of " + s.soakMinutes() + " min)" : "") + "; fault: " + fault
                + "; redis persistence: "
                + s.redisPersistence() + "; seed " + s.seed() + "; network: "
                + (s.onNamespaces() ? "a network namespace per node and for the store, on a bridge" : "loopback")
                + (s.lossPercent() > 0
                        ? "; " + Figures.tick(s.lossPercent()) + "% of packets dropped between the nodes and to the"
                                + " store"
                        : "");
    }

    /** One run's cells, in the order of {@link #STRATEGY_HEADERS}. */
    static List<String> strategyCells(StrategyRun r) {
        return List.of(
                r.strategy(),
                r.routing(),
                nodes(r),
                Figures.fixed(r.requestsPerSecond(), 1),
                latency(r.steady(), r.steady().p50Micros()),
                latency(r.steady(), r.steady().p99Micros()),
                latency(r.duringFault(), r.duringFault().p99Micros()),
                Long.toString(r.failed()),
                Long.toString(r.count(AnomalyKind.LOST_SESSION)),
                Long.toString(r.count(AnomalyKind.LOST_WRITE)),
                Long.toString(r.count(AnomalyKind.STALE_READ)),
                Long.toString(r.count(AnomalyKind.RESURRECTED)),
                Long.toString(r.shoppersHarmed()),
                r.recovery().measured() ? Figures.seconds(r.recovery().millis()) : NONE,
                Figures.bytes(r.cookieBytesPerRequest()),
                r.servedBy().isEmpty() ? NONE : Figures.fixed(100 * r.busiestNodeShare(), 0));
    }

    /** One run's resource cells, in the order of {@link #RESOURCE_HEADERS}. */
    static List<String> resourceCells(StrategyRun r) {
        ResourceUse u = r.resources();
        String ops = u.storeOperations().isEmpty()
                ? NONE
                : u.storeOperations().entrySet().stream()
                        .map(e -> Figures.fixed(e.getValue(), 2) + " " + e.getKey())
                        .collect(java.util.stream.Collectors.joining(", "));
        return List.of(
                r.strategy(),
                nodes(r),
                figure(u.cpuMicros(), ResourceUse.NODES, 0),
                figure(u.cpuMicros(), ResourceUse.BALANCER, 0),
                figure(u.cpuMicros(), ResourceUse.STORE, 0),
                figure(u.wireBytes(), ResourceUse.CLIENT_BALANCER, 0),
                figure(u.wireBytes(), ResourceUse.BALANCER_NODES, 0),
                figure(u.wireBytes(), ResourceUse.BETWEEN_NODES, 0),
                figure(u.wireBytes(), ResourceUse.NODES_STORE, 0),
                figure(u.sends(), ResourceUse.NODES_STORE, 2),
                ops,
                u.sessionsHeld().isEmpty()
                        ? NONE
                        : u.sessionsHeld().values().stream()
                                .map(String::valueOf)
                                .collect(java.util.stream.Collectors.joining(" / ")));
    }

    /** One run's memory cells, in the order of {@link #MEMORY_HEADERS}. */
    static List<String> memoryCells(StrategyRun r) {
        SessionMemory m = r.resources().memory();
        return List.of(
                r.strategy(),
                nodes(r),
                m.sessionsMade() > 0 ? Integer.toString(m.sessionsMade()) : NONE,
                m.heapsRead() && !m.copiesGained().isEmpty() ? Long.toString(m.copiesGainedInAll()) : NONE,
                m.heapsRead() ? Figures.fixed(m.clusterHeapGrowth() / 1e6, 1) : NONE,
                m.bytesPerCopy().map(Figures::bytes).orElse(NONE),
                m.clusterBytesPerSession().map(Figures::bytes).orElse(NONE),
                m.storeBytesPerSession().map(Figures::bytes).orElse(NONE));
    }

    /** Whether any run read the memory of its nodes or its store. */
    static boolean anyMemory(List<StrategyRun> runs) {
        return runs.stream()
                .map(r -> r.resources().memory())
                .anyMatch(m -> m.heapsRead() || m.storeGrowth().measured());
    }

    /** One run's cells in the scaling table, in the order of {@link #SCALING_HEADERS}. */
    static List<String> scalingCells(StrategyRun r) {
        ResourceUse u = r.resources();
        return List.of(
                r.strategy(),
                nodes(r),
                figure(u.wireBytes(), ResourceUse.BETWEEN_NODES, 0),
                figure(u.wireBytes(), ResourceUse.NODES_STORE, 0),
                sessionsPerNode(r).map(v -> Figures.fixed(v, 0)).orElse(NONE),
                figure(u.cpuMicros(), ResourceUse.NODES, 0),
                latency(r.steady(), r.steady().p50Micros()));
    }

    /** One run's cells in the delay table, in the order of {@link #DELAY_HEADERS}. */
    static List<String> delayCells(StrategyRun r) {
        boolean betweenNodes = betweenNodes(r);
        return List.of(
                r.strategy(),
                Integer.toString(r.delayMillis()),
                betweenNodes ? "between nodes" : "to the store",
                betweenNodes ? NONE : figure(r.resources().sends(), ResourceUse.NODES_STORE, 2),
                latency(r.steady(), r.steady().p50Micros()),
                latency(r.steady(), r.steady().p99Micros()),
                Figures.fixed(r.requestsPerSecond(), 0),
                Long.toString(r.failed()));
    }

    /** Where a delay run held its delay: between the nodes for a cluster store, else to the store. */
    private static boolean betweenNodes(StrategyRun r) {
        return LabStrategy.named(r.strategy())
                .map(LabStrategy::nodesTalkToEachOther)
                .orElse(false);
    }

    /** The run's added delay in words, e.g. "10 ms added between the nodes". */
    static String delayAdded(StrategyRun r) {
        return r.delayMillis() + " ms added " + (betweenNodes(r) ? "between the nodes" : "to the store");
    }

    /** The mean of what the nodes said they held; empty when they keep no sessions of their own. */
    static java.util.Optional<Double> sessionsPerNode(StrategyRun r) {
        var held = r.resources().sessionsHeld().values();
        return held.isEmpty()
                ? java.util.Optional.empty()
                : java.util.Optional.of(
                        held.stream().mapToLong(Long::longValue).average().orElse(0));
    }

    /** The nodes' mean heap growth in MB; empty when their heaps were not read. */
    static java.util.Optional<Double> heapPerNodeMegabytes(StrategyRun r) {
        SessionMemory m = r.resources().memory();
        return !m.heapsRead()
                ? java.util.Optional.empty()
                : java.util.Optional.of(
                        m.clusterHeapGrowth() / 1e6 / m.nodeHeapGrowth().size());
    }

    private static String nodes(StrategyRun r) {
        return r.nodes() > 0 ? Integer.toString(r.nodes()) : NONE;
    }

    private static String figure(java.util.Map<String, Double> m, String key, int decimals) {
        Double v = m.get(key);
        return v == null ? NONE : Figures.fixed(v, decimals);
    }

    /** A percentile, or a dash when the window had no requests (0 ms would read as fast). */
    private static String latency(LatencySummary window, long micros) {
        return window.count() == 0 ? NONE : Figures.ms(micros);
    }
}
