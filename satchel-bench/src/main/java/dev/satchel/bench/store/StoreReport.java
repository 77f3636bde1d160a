package dev.satchel.bench.store;

import dev.satchel.bench.BarChart;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** The store benchmark's results and how they are written: Markdown tables and an SVG chart. */
final class StoreReport {
    private StoreReport() {}

    /** One store under one workload: throughput, latency, errors and the work it cost the server. */
    record Result(
            String name,
            String server,
            Workload workload,
            double opsPerSecond,
            Histogram latency,
            long errors,
            Map<String, Double> perOp,
            double roundTrips,
            List<String> monitor) {}

    /** What one Redis layout takes per session. */
    record Memory(String name, long bytesPerSession, double keysPerSession) {}

    /** The report in Markdown: a table per workload, ratios, the Redis ceiling, transcripts, memory. */
    static String markdown(StoreBenchOptions o, List<Result> results, String ceiling, List<Memory> memory) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                "%d threads, closed loop, %d sessions of %d attributes (~40 B each), %d s measured after %d s of"
                        + " warm-up, per store and workload.%n",
                o.threads(), o.sessions(), Contender.ATTRIBUTES, o.seconds(), o.warmup()));
        for (Workload w : Workload.values()) {
            List<Result> rows = results.stream().filter(r -> r.workload() == w).toList();
            if (rows.isEmpty()) {
                continue;
            }
            md.append(String.format("%n**Each request: %s.**%n%n", w.description));
            md.append(
                    "| store | req/s | p50 µs | p99 µs | p99.9 µs | errors | round trips | server work per request |\n");
            md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
            for (Result r : rows) {
                StringBuilder work = new StringBuilder();
                r.perOp().forEach((k, v) -> work.append(work.isEmpty() ? "" : ", ")
                        .append(k)
                        .append(" ")
                        .append(v == Math.rint(v) ? Long.toString(Math.round(v)) : String.format("%.2f", v)));
                md.append(String.format(
                        "| %s | %,.0f | %d | %d | %d | %d | %.2f | %s |%n",
                        r.name(),
                        r.opsPerSecond(),
                        r.latency().getValueAtPercentile(50),
                        r.latency().getValueAtPercentile(99),
                        r.latency().getValueAtPercentile(99.9),
                        r.errors(),
                        r.roundTrips(),
                        work.isEmpty() ? "nothing" : work));
            }
            md.append("\nRatios on the same server (throughput, and p99 where lower is better):\n\n");
            for (String server : List.of("redis", "postgresql")) {
                for (Result s : rows) {
                    if (!s.server().equals(server) || !s.name().startsWith("Satchel")) {
                        continue;
                    }
                    for (Result p : rows) {
                        if (p.server().equals(server) && p.name().startsWith("Spring")) {
                            md.append(String.format(
                                    "- %s / %s: %.2f× throughput, p99 %.2f×%n",
                                    s.name(),
                                    p.name(),
                                    s.opsPerSecond() / p.opsPerSecond(),
                                    s.latency().getValueAtPercentile(99)
                                            / (double) p.latency().getValueAtPercentile(99)));
                        }
                    }
                }
            }
        }
        md.append(String.format(
                "%n`redis-benchmark` on the same server, `HGETALL` of one session, %d clients: %s round trips/s."
                        + " Round trips each store made per second, as a share of that ceiling:%n%n",
                o.threads(), ceiling));
        if (!ceiling.equals("unknown")) {
            double max = Double.parseDouble(ceiling);
            for (Result r : results) {
                if (r.server().equals("redis")) {
                    md.append(String.format(
                            "- %s, %s: %.2f round trips per request, %.0f%% of the ceiling%n",
                            r.name(),
                            r.workload().name().toLowerCase(Locale.ROOT),
                            r.roundTrips(),
                            100 * r.opsPerSecond() * r.roundTrips() / max));
                }
            }
        }
        for (Result r : results) {
            if (!r.monitor().isEmpty()) {
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

    /** A horizontal bar chart of throughput, one bar per store and workload. */
    static String chart(List<Result> results) {
        return BarChart.svg(
                "Session store requests per second (more is better); green: Satchel, grey: Spring Session",
                results.stream()
                        .map(r -> new BarChart.Bar(
                                r.name() + ", " + r.workload().name().toLowerCase(Locale.ROOT),
                                r.opsPerSecond(),
                                String.format("%,.0f", r.opsPerSecond()),
                                r.name().startsWith("Satchel")))
                        .toList(),
                1000,
                420);
    }
}
