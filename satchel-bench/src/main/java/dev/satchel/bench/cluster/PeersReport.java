package dev.satchel.bench.cluster;

import dev.satchel.bench.BarChart;
import dev.satchel.bench.MachineState;
import dev.satchel.bench.Rounds;
import dev.satchel.bench.cluster.PeerNode.Peer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** The clustering benchmark's results and how they are written: Markdown tables and an SVG chart. */
final class PeersReport {
    private PeersReport() {}

    /** One contender's figures in one round (rounds count from 1). */
    record Throughput(
            Peer peer,
            int round,
            double perSecond,
            long p50,
            long p99,
            long p999,
            long errors,
            double clusterBytesPerRequest,
            double nodeCpuMicrosPerRequest,
            double contextSwitchesPerRequest,
            double clientCpuMicrosPerRequest,
            int warmupSeconds,
            double compilerShare) {}

    record Memory(Peer peer, int nodes, double mbPerNode, long sessionsPerNode, long bytesPerSession) {}

    record Failover(
            Peer peer,
            long acknowledged,
            long lostWrites,
            long sessionsWithLoss,
            long sessionsLost,
            long failed,
            List<Long> answeredPerHalfSecond) {}

    /**
     * The pairs compared, Satchel first: each mode against its Tomcat counterpart, and the
     * synchronous modes against Hazelcast's maps. A pair is reported when both ran.
     */
    static final List<List<Peer>> PAIRS = List.of(
            List.of(Peer.SATCHEL_PRIMARY_BACKUP, Peer.TOMCAT_BACKUP),
            List.of(Peer.SATCHEL_REPLICATED, Peer.TOMCAT_DELTA),
            List.of(Peer.SATCHEL_REPLICATED_ASYNC, Peer.TOMCAT_DELTA_ASYNC),
            List.of(Peer.SATCHEL_PRIMARY_BACKUP, Peer.HAZELCAST_PARTITIONED),
            List.of(Peer.SATCHEL_REPLICATED, Peer.HAZELCAST_REPLICATED),
            List.of(Peer.SATCHEL_PRIMARY_BACKUP_TLS, Peer.SATCHEL_PRIMARY_BACKUP),
            List.of(Peer.SATCHEL_PRIMARY_BACKUP_LINKS, Peer.SATCHEL_PRIMARY_BACKUP),
            List.of(Peer.SATCHEL_PRIMARY_BACKUP_LINKS, Peer.TOMCAT_BACKUP),
            List.of(Peer.SATCHEL_REPLICATED_LINKS, Peer.SATCHEL_REPLICATED),
            List.of(Peer.SATCHEL_REPLICATED_LINKS, Peer.TOMCAT_DELTA),
            List.of(Peer.SATCHEL_REPLICATED_TLS, Peer.SATCHEL_REPLICATED));

    static String report(
            PeersBenchOptions o,
            List<Throughput> throughput,
            MachineState machine,
            List<Memory> memory,
            List<Failover> failovers) {
        StringBuilder md = new StringBuilder();
        if (!throughput.isEmpty()) {
            md.append(String.format(
                    "%d nodes, %d client threads, %,d sessions of 10 attributes, %d%% read-only requests; %s,"
                            + " each round on fresh node processes, %d s measured after %d s of warm-up%s; every"
                            + " request of the rest reads the session and replaces one 64-character attribute.%n%n",
                    o.nodes(),
                    o.threads(),
                    o.sessions(),
                    o.readPercent(),
                    o.smoke()
                            ? o.rounds() + " round(s) of every contender, no warm-up round"
                            : "a warm-up round of every contender (not recorded), then " + o.rounds()
                                    + " interleaved rounds",
                    o.seconds(),
                    o.warmup(),
                    o.settlePercent() > 0
                            ? " or more, until the JIT compilers took under " + o.settlePercent()
                                    + "% of the nodes' CPU (at most " + o.settleMaxSeconds() + " s)"
                            : ""));
            if (o.smoke()) {
                md.append("**").append(Rounds.SMOKE_NOTE).append(".**\n\n");
            }
            md.append("Machine: ").append(machine.describe()).append(".\n\n");
            rounds(md, throughput);
            ratios(md, o, throughput);
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

    static String chart(List<Throughput> all, MachineState machine, PeersBenchOptions o) {
        // The unshared ceiling is several times the rest: drawn, it would flatten every other bar.
        List<BarChart.Bar> bars = contenders(all).stream()
                .filter(p -> p != Peer.UNSHARED)
                .map(p -> {
                    List<Throughput> rounds = of(p, all);
                    double median = Rounds.median(perSecond(rounds));
                    return new BarChart.Bar(
                            p.label(),
                            median,
                            String.format(
                                    "%,.0f (rounds %s; p99 %,.0f)",
                                    median,
                                    rounds.stream()
                                            .map(t -> String.format("%,.0f", t.perSecond()))
                                            .collect(Collectors.joining(" / ")),
                                    Rounds.median(p99(rounds))),
                            p.satchel());
                })
                .toList();
        List<String> notes = new ArrayList<>();
        if (o.smoke()) {
            notes.add(Rounds.SMOKE_NOTE);
        } else {
            pairs(all).forEach(pair -> notes.add(pairLine(pair.get(0), pair.get(1), all)));
        }
        notes.add(machine.describe());
        return BarChart.svg(
                "Median requests per second of " + o.rounds() + " interleaved round(s) on " + o.nodes()
                        + " node processes (more is better; no-sharing ceiling not drawn); p99 in µs; green: Satchel",
                bars,
                1100,
                230,
                notes);
    }

    /** Every round's figure of every contender, then the medians over the rounds. */
    private static void rounds(StringBuilder md, List<Throughput> throughput) {
        int rounds = throughput.stream().mapToInt(Throughput::round).max().orElse(0);
        md.append("Every round, requests/s and p99 µs:\n\n| contender |");
        for (int r = 1; r <= rounds; r++) {
            md.append(" round ").append(r).append(" |");
        }
        md.append("\n| --- |").append(" ---: |".repeat(rounds)).append('\n');
        for (Peer p : contenders(throughput)) {
            md.append("| ").append(p.label()).append(" |");
            for (Throughput t : of(p, throughput)) {
                md.append(String.format(" %,.0f, p99 %,d |", t.perSecond(), t.p99()));
            }
            md.append('\n');
        }
        md.append("\nMedians over the rounds (errors: the sum):\n\n");
        md.append("| contender | requests/s | p50 µs | p99 µs | p99.9 µs | cluster bytes per request"
                + " | node CPU µs per request | node context switches per request | client CPU µs per request"
                + " | warm-up s | JIT compiler share of node CPU | errors |\n");
        md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Peer p : contenders(throughput)) {
            List<Throughput> rs = of(p, throughput);
            md.append(String.format(
                    "| %s | %,.0f | %,.0f | %,.0f | %,.0f | %,.0f | %,.0f | %.1f | %,.0f | %.0f | %.1f%% | %d |%n",
                    p.label(),
                    Rounds.median(perSecond(rs)),
                    Rounds.median(rs.stream().map(t -> (double) t.p50()).toList()),
                    Rounds.median(p99(rs)),
                    Rounds.median(rs.stream().map(t -> (double) t.p999()).toList()),
                    Rounds.median(
                            rs.stream().map(Throughput::clusterBytesPerRequest).toList()),
                    Rounds.median(
                            rs.stream().map(Throughput::nodeCpuMicrosPerRequest).toList()),
                    Rounds.median(rs.stream()
                            .map(Throughput::contextSwitchesPerRequest)
                            .toList()),
                    Rounds.median(rs.stream()
                            .map(Throughput::clientCpuMicrosPerRequest)
                            .toList()),
                    Rounds.median(
                            rs.stream().map(t -> (double) t.warmupSeconds()).toList()),
                    100
                            * Rounds.median(
                                    rs.stream().map(Throughput::compilerShare).toList()),
                    rs.stream().mapToLong(Throughput::errors).sum()));
        }
    }

    /** Each pair's median per-round ratio and its range; none for a smoke run. */
    private static void ratios(StringBuilder md, PeersBenchOptions o, List<Throughput> throughput) {
        if (o.smoke()) {
            md.append("\nNo ratios: ").append(Rounds.SMOKE_NOTE).append(".\n");
            return;
        }
        List<List<Peer>> pairs = pairs(throughput);
        if (!pairs.isEmpty()) {
            md.append("\nRatios of requests/s, round i of the first over round i of the second: the median and"
                    + " the range over the rounds; p99 medians beside them (lower is better):\n\n");
            for (List<Peer> pair : pairs) {
                md.append("- ")
                        .append(pairLine(pair.get(0), pair.get(1), throughput))
                        .append('\n');
            }
        }
        Optional<Peer> fastestTomcat = contenders(throughput).stream()
                .filter(p -> p.name().startsWith("TOMCAT"))
                .max(Comparator.comparingDouble(p -> Rounds.median(perSecond(of(p, throughput)))));
        if (fastestTomcat.isPresent() && contenders(throughput).stream().anyMatch(Peer::satchel)) {
            md.append("\nAgainst the fastest Tomcat manager by median, the same way:\n\n");
            for (Peer p : contenders(throughput)) {
                if (p.satchel()) {
                    md.append("- ")
                            .append(pairLine(p, fastestTomcat.get(), throughput))
                            .append('\n');
                }
            }
        }
    }

    private static String pairLine(Peer a, Peer b, List<Throughput> all) {
        List<Throughput> ra = of(a, all);
        List<Throughput> rb = of(b, all);
        return String.format(
                "%s / %s: %s; p99 %,.0f vs %,.0f µs",
                a.label(),
                b.label(),
                Rounds.ratios(perSecond(ra), perSecond(rb)).asRatio(),
                Rounds.median(p99(ra)),
                Rounds.median(p99(rb)));
    }

    private static List<List<Peer>> pairs(List<Throughput> throughput) {
        List<Peer> ran = contenders(throughput);
        return PAIRS.stream().filter(ran::containsAll).toList();
    }

    /** The contenders measured, in the order they ran. */
    private static List<Peer> contenders(List<Throughput> throughput) {
        return throughput.stream().map(Throughput::peer).distinct().toList();
    }

    /** One contender's rounds, in order. */
    private static List<Throughput> of(Peer p, List<Throughput> throughput) {
        return throughput.stream()
                .filter(t -> t.peer() == p)
                .sorted(Comparator.comparingInt(Throughput::round))
                .toList();
    }

    private static List<Double> perSecond(List<Throughput> rounds) {
        return rounds.stream().map(Throughput::perSecond).toList();
    }

    private static List<Double> p99(List<Throughput> rounds) {
        return rounds.stream().map(t -> (double) t.p99()).toList();
    }
}
