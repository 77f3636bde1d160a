package dev.satchel.lab;

import dev.satchel.lab.SeedClaim.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * The seed's claims about session clustering's costs, read from the bytes between the nodes and
 * the sessions each node held: bandwidth, every session on every server, and growth with the
 * cluster's size. Kept apart from {@link SeedClaims}, which reads the faults.
 */
final class ClusteringClaims {
    private final LabResults results;
    private final Function<String, Optional<StrategyRun>> run;

    ClusteringClaims(LabResults results, Function<String, Optional<StrategyRun>> run) {
        this.results = results;
        this.run = run;
    }

    /** Bytes between the nodes per request, from the kernel's counters, against memory's none. */
    SeedClaim bandwidth() {
        List<String> parts = new ArrayList<>();
        List<String> ran = new ArrayList<>();
        double most = 0;
        for (String clustered : List.of("replicated", "primary-backup")) {
            Optional<Double> bytes =
                    run.apply(clustered).map(r -> r.resources().wireBytes().get(ResourceUse.BETWEEN_NODES));
            if (bytes.isPresent()) {
                parts.add(clustered + " " + Figures.bytes(bytes.get()) + " B");
                ran.add(clustered);
                most = Math.max(most, bytes.get());
            }
        }
        if (ran.isEmpty()) {
            return SeedClaims.notMeasured(
                    SeedClaims.CLUSTERING_BANDWIDTH,
                    "replicated, primary-backup",
                    "no clustered strategy's bytes between nodes were measured here (they need iproute2's ss);"
                            + " --strategies replicated,primary-backup would measure them.");
        }
        String against = run.apply("memory")
                .map(m -> m.resources().wireBytes().get(ResourceUse.BALANCER_NODES))
                .map(b -> "; each request itself crossed " + Figures.bytes(b) + " B between balancer and node under"
                        + " memory")
                .orElse("");
        String evidence = String.join(", ", parts) + " per request between the nodes (TCP payload, both ways,"
                + " all cluster connections)" + against + ".";
        return most > 0
                ? new SeedClaim(
                        SeedClaims.CLUSTERING_BANDWIDTH,
                        String.join(", ", ran),
                        Verdict.HOLDS_WITH_A_NUMBER,
                        String.join(", ", parts) + " per request",
                        evidence)
                : new SeedClaim(
                        SeedClaims.CLUSTERING_BANDWIDTH, String.join(", ", ran), Verdict.DOES_NOT_HOLD, "", evidence);
    }

    /** What each node of the replicated run held at the end, beside primary-backup's and memory's. */
    SeedClaim everySessionEverywhere() {
        Optional<Map<String, Long>> replicated =
                run.apply("replicated").map(r -> r.resources().sessionsHeld()).filter(h -> h.size() > 1);
        if (replicated.isEmpty()) {
            return SeedClaims.notMeasured(
                    SeedClaims.EVERY_SESSION_EVERYWHERE,
                    "replicated",
                    "no replicated run counted the sessions of two or more nodes here; --strategies"
                            + " replicated,primary-backup,memory would.");
        }
        long least = replicated.get().values().stream()
                .mapToLong(Long::longValue)
                .min()
                .orElse(0);
        long most = replicated.get().values().stream()
                .mapToLong(Long::longValue)
                .max()
                .orElse(0);
        List<String> seen = new ArrayList<>();
        seen.add("replicated's nodes held " + held(replicated.get()) + " sessions");
        run.apply("primary-backup")
                .map(r -> r.resources().sessionsHeld())
                .filter(h -> !h.isEmpty())
                .ifPresent(h -> seen.add("primary-backup's " + held(h) + " (an owner's copy and a backup's)"));
        run.apply("memory")
                .map(r -> r.resources().sessionsHeld())
                .filter(h -> !h.isEmpty())
                .ifPresent(h -> seen.add("memory's " + held(h) + " (one copy, on the node that made it)"));
        String evidence = String.join("; ", seen) + ", at the end of the steady phase, before the fault.";
        boolean everywhere = most > 0 && least >= 0.95 * most;
        return everywhere
                ? new SeedClaim(
                        SeedClaims.EVERY_SESSION_EVERYWHERE,
                        "replicated",
                        Verdict.HOLDS_WITH_A_NUMBER,
                        "each of " + replicated.get().size() + " nodes held about " + most + " sessions",
                        evidence)
                : new SeedClaim(SeedClaims.EVERY_SESSION_EVERYWHERE, "replicated", Verdict.DOES_NOT_HOLD, "", evidence);
    }

    /**
     * From a scaling run: replicated's bytes between nodes per request at its smallest and largest
     * size, beside primary-backup's. All-to-all sends each change to N-1 others, so it should grow.
     */
    SeedClaim growsWithServers() {
        List<StrategyRun> replicated = sized("replicated");
        if (replicated.size() < 2) {
            return SeedClaims.notMeasured(
                    SeedClaims.GROWS_WITH_SERVERS,
                    "replicated at several sizes",
                    "this run had one cluster size; ./satchel lab --strategies replicated,primary-backup"
                            + " --nodes 2,4,6 --fault none measures it.");
        }
        StrategyRun small = replicated.get(0);
        StrategyRun large = replicated.get(replicated.size() - 1);
        double from = small.resources().wireBytes().get(ResourceUse.BETWEEN_NODES);
        double to = large.resources().wireBytes().get(ResourceUse.BETWEEN_NODES);
        double growth = to / Math.max(from, 1);
        String span = "replicated " + Figures.bytes(from) + " B at " + small.nodes() + " nodes, " + Figures.bytes(to)
                + " B at " + large.nodes() + " (x" + Figures.fixed(growth, 1) + ")";
        List<StrategyRun> backup = sized("primary-backup");
        String beside = "";
        if (backup.size() >= 2) {
            StrategyRun b0 = backup.get(0);
            StrategyRun b1 = backup.get(backup.size() - 1);
            double bFrom = b0.resources().wireBytes().get(ResourceUse.BETWEEN_NODES);
            double bTo = b1.resources().wireBytes().get(ResourceUse.BETWEEN_NODES);
            beside = "; primary-backup " + Figures.bytes(bFrom) + " B at " + b0.nodes() + " nodes, "
                    + Figures.bytes(bTo) + " B at " + b1.nodes() + " (x" + Figures.fixed(bTo / Math.max(bFrom, 1), 1)
                    + ")";
        }
        String evidence = span + " between the nodes per request" + beside
                + "; all-to-all sends each change to every other node, so N-1 would give x"
                + Figures.fixed((large.nodes() - 1.0) / (small.nodes() - 1.0), 1) + ".";
        return growth >= 1.5
                ? new SeedClaim(
                        SeedClaims.GROWS_WITH_SERVERS,
                        "replicated at " + small.nodes() + " to " + large.nodes() + " nodes",
                        Verdict.HOLDS_WITH_A_NUMBER,
                        "x" + Figures.fixed(growth, 1) + " the bytes per request from " + small.nodes() + " to "
                                + large.nodes() + " nodes",
                        evidence)
                : new SeedClaim(
                        SeedClaims.GROWS_WITH_SERVERS,
                        "replicated at " + small.nodes() + " to " + large.nodes() + " nodes",
                        Verdict.DOES_NOT_HOLD,
                        "",
                        evidence);
    }

    /**
     * What a session costs all the nodes' heaps, primary-backup against replicated: two copies of a
     * session against one on every node, so the seed's "less memory than all-to-all" should show
     * from three nodes on.
     */
    SeedClaim backupUsesLessMemory() {
        Optional<StrategyRun> backup = run.apply("primary-backup").filter(ClusteringClaims::heapsRead);
        Optional<StrategyRun> replicated = run.apply("replicated").filter(ClusteringClaims::heapsRead);
        if (backup.isEmpty() || replicated.isEmpty()) {
            return SeedClaims.notMeasured(
                    SeedClaims.BACKUP_LESS_MEMORY,
                    "primary-backup vs replicated",
                    "this run did not read the heaps of both primary-backup's and replicated's nodes;"
                            + " --strategies replicated,primary-backup would.");
        }
        StrategyRun b = backup.get();
        StrategyRun r = replicated.get();
        if (b.nodes() != r.nodes()) {
            return SeedClaims.notMeasured(
                    SeedClaims.BACKUP_LESS_MEMORY,
                    "primary-backup vs replicated",
                    "the two ran on clusters of different sizes here, so their heaps do not compare.");
        }
        SessionMemory bm = b.resources().memory();
        SessionMemory rm = r.resources().memory();
        double bPer = bm.clusterBytesPerSession().orElse(0.0);
        double rPer = rm.clusterBytesPerSession().orElse(0.0);
        double ratio = bPer / Math.max(1, rPer);
        String evidence = "On " + b.nodes() + " nodes, a fresh session cost all the nodes' heaps " + Figures.bytes(bPer)
                + " B under primary-backup (" + copies(bm) + ") and " + Figures.bytes(rPer) + " B under replicated ("
                + copies(rm) + ")." + floor() + " Heaps read after a full collection, around "
                + bm.sessionsMade() + " and " + rm.sessionsMade() + " sessions made after the run.";
        return rPer > 0 && ratio < 0.9
                ? new SeedClaim(
                        SeedClaims.BACKUP_LESS_MEMORY,
                        "primary-backup vs replicated",
                        Verdict.HOLDS_WITH_A_NUMBER,
                        Figures.fixed(ratio, 2) + "x replicated's heap per session on " + b.nodes() + " nodes",
                        evidence)
                : new SeedClaim(
                        SeedClaims.BACKUP_LESS_MEMORY,
                        "primary-backup vs replicated",
                        Verdict.DOES_NOT_HOLD,
                        "",
                        evidence + (b.nodes() <= 2 ? " On two nodes both keep two copies of each session." : ""));
    }

    private static String copies(SessionMemory m) {
        return Figures.fixed((double) m.copiesGainedInAll() / Math.max(1, m.sessionsMade()), 1) + " copies of each";
    }

    private static boolean heapsRead(StrategyRun r) {
        return r.resources().memory().heapsRead();
    }

    /** What making sessions left in heaps that keep none, from such a run; or nothing. */
    private String floor() {
        for (String keepsNone : List.of("cookie", "redis", "sql")) {
            Optional<StrategyRun> none = run.apply(keepsNone).filter(ClusteringClaims::heapsRead);
            if (none.isPresent()) {
                return " " + keepsNone + "'s nodes, which keep no sessions, grew "
                        + Figures.bytes(none.get()
                                .resources()
                                .memory()
                                .clusterBytesPerSession()
                                .orElse(0.0))
                        + " B per session made.";
            }
        }
        return "";
    }

    /** The strategy's runs that measured bytes between nodes, smallest cluster first. */
    private List<StrategyRun> sized(String strategy) {
        return results.runs().stream()
                .filter(r -> r.strategy().equals(strategy) && r.nodes() > 0)
                .filter(r -> r.resources().wireBytes().containsKey(ResourceUse.BETWEEN_NODES))
                .sorted(java.util.Comparator.comparingInt(StrategyRun::nodes))
                .toList();
    }

    private static String held(Map<String, Long> perNode) {
        return perNode.values().stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(", "));
    }
}
