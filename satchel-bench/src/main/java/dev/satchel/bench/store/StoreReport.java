package dev.satchel.bench.store;

import dev.satchel.bench.BarChart;
import dev.satchel.bench.MachineState;
import dev.satchel.bench.Rounds;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/** The store benchmark's results and how they are written: Markdown tables and an SVG chart. */
final class StoreReport {
    private StoreReport() {}

    /**
     * One store under one workload in one round (rounds count from 1): throughput, latency, errors
     * and the work it cost the server (counted once per store and workload, the same in every round).
     */
    record Result(
            String name,
            String server,
            Workload workload,
            int round,
            double opsPerSecond,
            Histogram latency,
            long errors,
            Map<String, Double> perOp,
            double roundTrips,
            List<String> monitor) {}

    /** What one Redis layout takes per session. */
    record Memory(String name, long bytesPerSession, double keysPerSession) {}

    /** The report in Markdown: tables per workload (every round, then medians), ratios, ceiling, memory. */
    static String markdown(
            StoreBenchOptions o, List<Result> results, MachineState machine, String ceiling, List<Memory> memory) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                "%d threads, closed loop, %d sessions of %d attributes (~40 B each); %s, %d s measured after"
                        + " %d s of warm-up, per store and workload.%n%n",
                o.threads(),
                o.sessions(),
                Contender.ATTRIBUTES,
                o.smoke()
                        ? o.rounds() + " round(s) of every store, no warm-up round"
                        : "a warm-up round of every store (not recorded), then " + o.rounds() + " interleaved rounds",
                o.seconds(),
                o.warmup()));
        if (o.smoke()) {
            md.append("**").append(Rounds.SMOKE_NOTE).append(".**\n\n");
        }
        md.append("Machine: ").append(machine.describe()).append(".\n");
        for (Workload w : Workload.values()) {
            List<Result> rows = results.stream().filter(r -> r.workload() == w).toList();
            if (rows.isEmpty()) {
                continue;
            }
            md.append(String.format("%n**Each request: %s.**%n%n", w.description));
            int rounds = rows.stream().mapToInt(Result::round).max().orElse(0);
            md.append("Every round, req/s and p99 µs:\n\n| store |");
            for (int r = 1; r <= rounds; r++) {
                md.append(" round ").append(r).append(" |");
            }
            md.append("\n| --- |").append(" ---: |".repeat(rounds)).append('\n');
            for (String name : names(rows)) {
                md.append("| ").append(name).append(" |");
                for (Result r : of(name, rows)) {
                    md.append(String.format(
                            " %,.0f, p99 %,d |", r.opsPerSecond(), r.latency().getValueAtPercentile(99)));
                }
                md.append('\n');
            }
            md.append("\nMedians over the rounds (errors: the sum):\n\n");
            md.append(
                    "| store | req/s | p50 µs | p99 µs | p99.9 µs | errors | round trips | server work per request |\n");
            md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
            for (String name : names(rows)) {
                List<Result> rs = of(name, rows);
                Result first = rs.get(0);
                StringBuilder work = new StringBuilder();
                first.perOp().forEach((k, v) -> work.append(work.isEmpty() ? "" : ", ")
                        .append(k)
                        .append(" ")
                        .append(v == Math.rint(v) ? Long.toString(Math.round(v)) : String.format("%.2f", v)));
                md.append(String.format(
                        "| %s | %,.0f | %,.0f | %,.0f | %,.0f | %d | %.2f | %s |%n",
                        name,
                        median(rs, Result::opsPerSecond),
                        median(rs, r -> r.latency().getValueAtPercentile(50)),
                        median(rs, r -> r.latency().getValueAtPercentile(99)),
                        median(rs, r -> r.latency().getValueAtPercentile(99.9)),
                        rs.stream().mapToLong(Result::errors).sum(),
                        first.roundTrips(),
                        work.isEmpty() ? "nothing" : work));
            }
            if (o.smoke()) {
                md.append("\nNo ratios: ").append(Rounds.SMOKE_NOTE).append(".\n");
                continue;
            }
            List<String> lines = ratioLines(rows);
            if (!lines.isEmpty()) {
                md.append("\nRatios, round i of one store over round i of the other: Satchel's over Spring's on the"
                        + " same server (p99 medians beside them, lower is better), and the file store over the"
                        + " memory store and over Satchel Redis; the median and the range of the throughput"
                        + " ratios:\n\n");
                lines.forEach(l -> md.append("- ").append(l).append('\n'));
            }
        }
        md.append(String.format(
                "%n`redis-benchmark` on the same server, `HGETALL` of one session, %d clients: %s round trips/s."
                        + " Round trips each store made per second (median round), as a share of that ceiling:%n%n",
                o.threads(), ceiling));
        if (!ceiling.equals("unknown")) {
            double max = Double.parseDouble(ceiling);
            for (Workload w : Workload.values()) {
                List<Result> rows = results.stream()
                        .filter(r -> r.workload() == w && r.server().equals("redis"))
                        .toList();
                for (String name : names(rows)) {
                    List<Result> rs = of(name, rows);
                    md.append(String.format(
                            "- %s, %s: %.2f round trips per request, %.0f%% of the ceiling%n",
                            name,
                            w.name().toLowerCase(Locale.ROOT),
                            rs.get(0).roundTrips(),
                            100 * median(rs, Result::opsPerSecond) * rs.get(0).roundTrips() / max));
                }
            }
        }
        for (Result r : results) {
            if (!r.monitor().isEmpty() && r.round() == 1) {
                md.append(String.format(
                        "%n`MONITOR`, one request, %s, %s:%n%n```%n",
                        r.name(), r.workload().name().toLowerCase(Locale.ROOT)));
                r.monitor().forEach(l -> md.append(l).append('\n'));
                md.append("```\n");
            }
        }
        if (!memory.isEmpty()) {
            md.append(String.format(
                    "%nMemory in Redis, %,d sessions of %d attributes (`used_memory` delta):%n%n",
                    o.memorySessions(), Contender.ATTRIBUTES));
            md.append("| layout | bytes per session | keys per session |\n| --- | ---: | ---: |\n");
            for (Memory m : memory) {
                md.append(String.format("| %s | %,d | %.2f |%n", m.name(), m.bytesPerSession(), m.keysPerSession()));
            }
        }
        return md.toString();
    }

    /** Median throughput per store and workload, every round's figure beside it; ratios under the bars. */
    static String chart(StoreBenchOptions o, List<Result> results, MachineState machine) {
        List<BarChart.Bar> bars = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        for (Workload w : Workload.values()) {
            List<Result> rows = results.stream().filter(r -> r.workload() == w).toList();
            for (String name : names(rows)) {
                List<Result> rs = of(name, rows);
                double median = median(rs, Result::opsPerSecond);
                bars.add(new BarChart.Bar(
                        name + ", " + w.name().toLowerCase(Locale.ROOT),
                        median,
                        String.format(
                                "%,.0f (rounds %s; p99 %,.0f)",
                                median,
                                rs.stream()
                                        .map(r -> String.format("%,.0f", r.opsPerSecond()))
                                        .collect(Collectors.joining(" / ")),
                                median(rs, r -> r.latency().getValueAtPercentile(99))),
                        name.startsWith("Satchel")));
            }
            if (!o.smoke()) {
                ratioLines(rows).forEach(l -> notes.add(w.name().toLowerCase(Locale.ROOT) + ": " + l));
            }
        }
        if (o.smoke()) {
            notes.add(Rounds.SMOKE_NOTE);
        }
        notes.add(machine.describe());
        return BarChart.svg(
                "Session store requests per second, median of " + o.rounds() + " interleaved round(s) (more is"
                        + " better); p99 in µs; green: Satchel, grey: Spring Session",
                bars,
                1250,
                420,
                notes);
    }

    /** Every Satchel store against every Spring repository on the same server, round by round. */
    private static List<String> ratioLines(List<Result> rows) {
        List<String> lines = new ArrayList<>();
        for (String server : List.of("redis", "postgresql")) {
            List<String> here =
                    names(rows.stream().filter(r -> r.server().equals(server)).toList());
            for (String s : here) {
                for (String p : here) {
                    if (s.startsWith("Satchel") && p.startsWith("Spring")) {
                        List<Result> rs = of(s, rows);
                        List<Result> rp = of(p, rows);
                        lines.add(String.format(
                                "%s / %s: %s; p99 %,.0f vs %,.0f µs",
                                s,
                                p,
                                Rounds.ratios(perSecond(rs), perSecond(rp)).asRatio(),
                                median(rs, r -> r.latency().getValueAtPercentile(99)),
                                median(rp, r -> r.latency().getValueAtPercentile(99))));
                    }
                }
            }
        }
        // The file store against the node's other own store and the shared one it would replace.
        List<String> all = names(rows);
        for (String file : all) {
            if (!file.startsWith("Satchel file")) {
                continue;
            }
            for (String peer : List.of("Satchel memory", "Satchel Redis")) {
                if (all.contains(peer)) {
                    lines.add(String.format(
                            "%s / %s: %s",
                            file,
                            peer,
                            Rounds.ratios(perSecond(of(file, rows)), perSecond(of(peer, rows)))
                                    .asRatio()));
                }
            }
        }
        // Encryption at rest: each sealed store against the same store unsealed.
        for (String sealed : all) {
            String plain = sealed.replace(" sealed", "");
            if (sealed.endsWith(" sealed") && all.contains(plain)) {
                lines.add(String.format(
                        "%s / %s: %s",
                        sealed,
                        plain,
                        Rounds.ratios(perSecond(of(sealed, rows)), perSecond(of(plain, rows)))
                                .asRatio()));
            }
        }
        return lines;
    }

    /** The stores measured, in the order they ran. */
    private static List<String> names(List<Result> rows) {
        return rows.stream().map(Result::name).distinct().toList();
    }

    /** One store's rounds, in order. */
    private static List<Result> of(String name, List<Result> rows) {
        return rows.stream()
                .filter(r -> r.name().equals(name))
                .sorted(Comparator.comparingInt(Result::round))
                .toList();
    }

    private static List<Double> perSecond(List<Result> rounds) {
        return rounds.stream().map(Result::opsPerSecond).toList();
    }

    private static double median(List<Result> rounds, ToDoubleFunction<Result> figure) {
        return Rounds.median(rounds.stream().map(figure::applyAsDouble).toList());
    }
}
