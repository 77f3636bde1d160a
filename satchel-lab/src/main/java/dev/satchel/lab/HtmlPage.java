package dev.satchel.lab;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * {@code index.html}: the whole report in one file that opens offline, from a zip or an e-mail:
 * inline CSS and SVG, no script, no font, image or link to fetch. Everything from the results
 * goes through {@link Html#escape}.
 */
final class HtmlPage {
    /** Anomalies listed per strategy; the counts in the tables include every one. */
    static final int ANOMALIES_SHOWN = 20;

    private static final String STYLE =
            """
            body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;\
            padding:1em 1.5em;color:#1d232a;background:#fff}
            h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #d5dbe1}
            h3{font-size:1.05em}
            pre{background:#f3f5f7;padding:.6em .8em;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
            .scroll{overflow-x:auto}
            table{border-collapse:collapse;font-size:.9em;margin:.5em 0}
            th,td{border:1px solid #d5dbe1;padding:.25em .5em;text-align:left;vertical-align:top}
            th{background:#f3f5f7}
            td.verdict{font-weight:600}
            .holds{background:#dff3e4}.holds-with-a-number{background:#e0eefb}
            .does-not-hold{background:#fde2e1}.not-seen{background:#eef6e8}.not-measured{background:#eceff2;color:#4a5560}
            .meta{color:#4a5560}
            svg.chart{width:100%;height:auto;max-width:1000px;display:block;margin:.5em 0}
            svg .grid{stroke:#e3e7eb;stroke-width:1}svg .axis{stroke:#5c6670;stroke-width:1}
            svg .tick,svg .value{font-size:11px;fill:#3b444d}svg .tick.right{fill:#8a4b00}
            svg .axis-title{font-size:12px;fill:#3b444d}svg .empty{font-size:14px;fill:#7b8690}
            svg .ok{fill:#5aa469}svg .failed{fill:#d9534f}svg .p99{fill:none;stroke:#e08a00;stroke-width:2}
            svg rect.p99{fill:#e08a00;stroke:none}
            svg .p50{fill:#6c9bd2}svg .p99bar{fill:#2f5d8a}
            svg .series0{fill:#2f5d8a;stroke:#2f5d8a}svg .series1{fill:#e08a00;stroke:#e08a00}
            svg .series2{fill:#5aa469;stroke:#5aa469}svg .series3{fill:#7a3e9d;stroke:#7a3e9d}
            svg polyline.line{fill:none;stroke-width:2}
            svg .part0{fill:#6c9bd2}svg .part1{fill:#2f5d8a}svg .part2{fill:#e08a00}svg .part3{fill:#7a3e9d}
            svg .fault{stroke:#7a3e9d;stroke-width:1.5;stroke-dasharray:4 3}
            svg .fault-label{font-size:11px;fill:#7a3e9d}
            dt{font-weight:600}dd{margin:0 0 .4em 1.5em}
            """;

    private HtmlPage() {}

    static String render(LabResults results, List<SeedClaim> claims) {
        StringBuilder h = new StringBuilder();
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>")
                .append(Html.escape(ReportText.TITLE + ", " + results.startedAt()))
                .append("</title>\n<style>\n")
                .append(STYLE)
                .append("</style>\n</head>\n<body>\n");
        h.append("<h1>").append(Html.escape(ReportText.TITLE)).append("</h1>\n");
        h.append("<p class=\"meta\">Run at ")
                .append(Html.escape(results.startedAt()))
                .append(" on ")
                .append(Html.escape(results.machine()))
                .append(".</p>\n");
        h.append("<p>Run it again with:</p>\n<pre><code>")
                .append(Html.escape(results.command()))
                .append("</code></pre>\n");
        h.append("<p>Settings: ")
                .append(Html.escape(ReportText.settingsLine(results.settings())))
                .append(".</p>\n");

        h.append("<h2>The seed&#39;s claims</h2>\n");
        claims(h, claims);

        h.append("<h2>Strategies</h2>\n");
        if (results.runs().isEmpty()) {
            h.append("<p>No strategy ran.</p>\n");
        } else {
            h.append(Html.table(
                    ReportText.STRATEGY_HEADERS,
                    results.runs().stream().map(ReportText::strategyCells).toList()));
        }

        h.append("<h2>Steady latency</h2>\n");
        h.append("<p>Before the first fault (the whole phase when there was none).</p>\n");
        h.append(SvgCharts.latencyBars(results.runs()));

        h.append("<h2>What a request costs</h2>\n");
        h.append("<p>").append(Html.escape(ReportText.RESOURCES_MEASURED)).append("</p>\n");
        if (!results.runs().isEmpty()) {
            h.append(Html.table(
                    ReportText.RESOURCE_HEADERS,
                    results.runs().stream().map(ReportText::resourceCells).toList()));
        }
        h.append(SvgCharts.wireBars(results.runs()));
        h.append(SvgCharts.cpuBars(results.runs()));
        if (ReportText.anyMemory(results.runs())) {
            h.append("<h2>What the sessions take in memory</h2>\n");
            h.append("<p>").append(Html.escape(ReportText.MEMORY_MEASURED)).append("</p>\n");
            h.append(Html.table(
                    ReportText.MEMORY_HEADERS,
                    results.runs().stream().map(ReportText::memoryCells).toList()));
        }
        if (results.settings().scales()) {
            h.append("<h2>As the cluster grows</h2>\n");
            h.append("<p>").append(Html.escape(ReportText.SCALING_MEASURED)).append("</p>\n");
            h.append(Html.table(
                    ReportText.SCALING_HEADERS,
                    results.runs().stream().map(ReportText::scalingCells).toList()));
            h.append(SvgCharts.scaling(
                    "bytes between the nodes per request, by cluster size",
                    "bytes per request",
                    results.runs(),
                    r -> java.util.Optional.ofNullable(r.resources().wireBytes().get(ResourceUse.BETWEEN_NODES))));
            if (ReportText.anyMemory(results.runs())) {
                h.append(SvgCharts.scaling(
                        "heap growth per node, by cluster size",
                        "MB per node",
                        results.runs(),
                        ReportText::heapPerNodeMegabytes));
            }
            h.append(SvgCharts.scaling(
                    "sessions held per node, by cluster size",
                    "sessions per node",
                    results.runs(),
                    ReportText::sessionsPerNode));
        }
        if (SoakText.any(results.runs())) {
            h.append("<h2>A soak: does memory stay flat?</h2>\n");
            h.append("<p>").append(Html.escape(SoakText.MEASURED)).append("</p>\n");
            h.append(Html.table(
                    SoakText.HEADERS,
                    results.runs().stream()
                            .filter(r -> r.soak().ran())
                            .map(SoakText::cells)
                            .toList()));
            h.append(SoakText.charts(results.runs()));
        }
        if (results.settings().delays()) {
            h.append("<h2>As the servers move apart</h2>\n");
            h.append("<p>").append(Html.escape(ReportText.DELAY_MEASURED)).append("</p>\n");
            h.append(Html.table(
                    ReportText.DELAY_HEADERS,
                    results.runs().stream().map(ReportText::delayCells).toList()));
            h.append(SvgCharts.byDelay(
                    "steady p50 latency, by delay added between servers",
                    "p50 ms",
                    results.runs(),
                    r -> r.steady().count() == 0
                            ? java.util.Optional.empty()
                            : java.util.Optional.of(r.steady().p50Micros() / 1000.0)));
            h.append(SvgCharts.byDelay(
                    "steady p99 latency, by delay added between servers",
                    "p99 ms",
                    results.runs(),
                    r -> r.steady().count() == 0
                            ? java.util.Optional.empty()
                            : java.util.Optional.of(r.steady().p99Micros() / 1000.0)));
        }

        for (StrategyRun r : results.runs()) {
            strategy(h, r);
        }

        h.append("<h2>Anomaly kinds</h2>\n<dl>\n");
        for (AnomalyKind k : AnomalyKind.values()) {
            h.append("<dt>")
                    .append(Html.escape(k.label()))
                    .append("</dt><dd>")
                    .append(Html.escape(k.meaning()))
                    .append(k.isDataAnomaly() ? " (data anomaly)" : " (failed request)")
                    .append("</dd>\n");
        }
        h.append("</dl>\n");

        if (!results.skipped().isEmpty()) {
            h.append("<h2>Skipped</h2>\n<ul>\n");
            results.skipped()
                    .forEach(s -> h.append("<li>").append(Html.escape(s)).append("</li>\n"));
            h.append("</ul>\n");
        }
        if (results.runs().stream().anyMatch(r -> !r.notes().isEmpty())) {
            h.append("<h2>Notes</h2>\n<ul>\n");
            for (StrategyRun r : results.runs()) {
                r.notes().forEach(n -> h.append("<li>")
                        .append(Html.escape(r.strategy() + ": " + n))
                        .append("</li>\n"));
            }
            h.append("</ul>\n");
        }
        return h.append("</body>\n</html>\n").toString();
    }

    /** The claims table; the verdict cell is coloured by its kind. */
    private static void claims(StringBuilder h, List<SeedClaim> claims) {
        h.append("<div class=\"scroll\"><table>\n<thead>")
                .append(Html.row("th", List.of("claim", "tested by", "verdict", "evidence")))
                .append("</thead>\n<tbody>\n");
        for (SeedClaim c : claims) {
            String cls = c.verdict().name().toLowerCase(Locale.ROOT).replace('_', '-');
            h.append("<tr><td>")
                    .append(Html.escape(c.claim()))
                    .append("</td><td>")
                    .append(Html.escape(c.testedBy()))
                    .append("</td><td class=\"verdict ")
                    .append(cls)
                    .append("\">")
                    .append(Html.escape(c.verdictWords()))
                    .append("</td><td>")
                    .append(Html.escape(c.evidence()))
                    .append("</td></tr>\n");
        }
        h.append("</tbody></table></div>\n");
    }

    /** One strategy: what it is, its timeline, and the first anomalies it kept. */
    private static void strategy(StringBuilder h, StrategyRun r) {
        h.append("<section>\n<h2>")
                .append(Html.escape(r.strategy() + (r.delayMillis() > 0 ? ", " + ReportText.delayAdded(r) : "")))
                .append("</h2>\n");
        h.append("<p>")
                .append(Html.escape(r.about()))
                .append("</p>\n<p class=\"meta\">store: <code>")
                .append(Html.escape(r.store()))
                .append("</code>; routing: ")
                .append(Html.escape(r.routing()))
                .append("; ")
                .append(r.requests())
                .append(" requests from ")
                .append(r.shoppers())
                .append(" shoppers in ")
                .append(Html.escape(Figures.tick(r.seconds())))
                .append(" s.</p>\n");
        h.append(SvgCharts.timeline(r));

        List<Anomaly> first = r.anomalies().stream()
                .sorted(Comparator.comparingLong(Anomaly::atMillis))
                .limit(ANOMALIES_SHOWN)
                .toList();
        h.append("<h3>Anomalies</h3>\n");
        if (first.isEmpty()) {
            h.append("<p>None kept.</p>\n");
        } else {
            h.append("<p>The first ")
                    .append(first.size())
                    .append(" by time of the ")
                    .append(r.anomalies().size())
                    .append(" kept (at most ")
                    .append(StrategyRun.KEPT_PER_KIND)
                    .append(" of each kind; the counts above include every one).</p>\n");
            h.append(Html.table(
                    List.of("time s", "kind", "node", "shopper", "detail"),
                    first.stream()
                            .map(a -> List.of(
                                    Figures.seconds(a.atMillis()), a.kind().label(), a.node(), a.shopper(), a.detail()))
                            .toList()));
        }
        h.append("</section>\n");
    }
}
