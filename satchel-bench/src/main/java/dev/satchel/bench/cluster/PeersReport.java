package dev.satchel.bench.cluster;

import dev.satchel.bench.BarChart;
import dev.satchel.bench.cluster.PeerNode.Peer;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** The clustering benchmark's results and how they are written: Markdown tables and an SVG chart. */
final class PeersReport {
    private PeersReport() {}

    record Throughput(
            Peer peer, double perSecond, long p50, long p99, long p999, long errors, double clusterBytesPerRequest) {}

    record Memory(Peer peer, int nodes, double mbPerNode, long sessionsPerNode, long bytesPerSession) {}

    record Failover(
            Peer peer,
            long acknowledged,
            long lostWrites,
            long sessionsWithLoss,
            long sessionsLost,
            long failed,
            List<Long> answeredPerHalfSecond) {}

    static String report(
            PeersBenchOptions o, List<Throughput> throughput, List<Memory> memory, List<Failover> failovers) {
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

    static String chart(List<Throughput> all, PeersBenchOptions o) {
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
}
