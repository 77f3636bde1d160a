package dev.satchel.lab;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The report's words, table and charts for a soak ({@code --soak}), shared by the HTML page and the Markdown summary. */
final class SoakText {
    static final List<String> HEADERS = List.of(
            "strategy",
            "minutes",
            "idle timeout",
            "readings",
            "heap after GC, MB (lowest, first third → last)",
            "session copies held",
            "store",
            "verdict");

    static final String MEASURED = "A soak: steady load, no fault, the nodes' sessions expiring after the idle"
            + " timeout shown. Every few seconds the lab read each node's heap after a full collection, the"
            + " session copies the nodes said they held, and the Redis server's keys (a SQL table's rows are"
            + " not read yet). Once every"
            + " session alive at the start could have expired and been swept (a visit, the return, the idle"
            + " timeout and 30 s), the last third of the readings is set against the first third (for the heap"
            + " the lowest reading of each, since a login in flight holds 19 MiB for its hash; for the counts"
            + " the mean): flat when it stands at most " + Math.round(Soak.TOLERANCE * 100) + "% above it. A store that"
            + " never reclaimed an expired session would grow by every shopper that arrives.";

    private SoakText() {}

    /** Whether any run was a soak with readings to judge. */
    static boolean any(List<StrategyRun> runs) {
        return runs.stream().anyMatch(r -> r.soak().ran());
    }

    static List<String> cells(StrategyRun r) {
        Soak s = r.soak();
        return List.of(
                r.strategy(),
                Integer.toString(s.minutes()),
                s.idleTimeoutSeconds() + " s",
                s.samples().size() + " (" + s.steady().size() + " steady)",
                s.heap().map(c -> change(c, 1e6, 1)).orElse(ReportText.NONE),
                s.sessionsHeld().map(c -> change(c, 1, 0)).orElse(ReportText.NONE),
                s.storeItems().map(c -> change(c, 1, 0) + " " + s.storeUnit()).orElse(ReportText.NONE),
                verdict(s));
    }

    /** "flat", "grows" or not judged, as the table says it. */
    static String verdict(Soak s) {
        Optional<Boolean> holds = s.holds();
        if (!s.ran() || holds.isEmpty()) {
            return "not judged: too few readings after the sessions' first expiry";
        }
        return holds.get() ? "flat: expiry keeps up" : "grows";
    }

    private static String change(Soak.Change c, double unit, int decimals) {
        double growth = c.growth();
        long rounded = Math.round(growth * 100);
        String percent = Double.isInfinite(growth) ? "from none" : (rounded >= 0 ? "+" : "") + rounded + "%";
        return Figures.fixed(c.first() / unit, decimals) + " → " + Figures.fixed(c.last() / unit, decimals) + " ("
                + percent + ")";
    }

    /** The soak's charts: the heaps and the session copies over time, one line per strategy. */
    static String charts(List<StrategyRun> runs) {
        Map<String, List<double[]>> heap = new LinkedHashMap<>();
        Map<String, List<double[]>> held = new LinkedHashMap<>();
        for (StrategyRun r : runs) {
            if (!r.soak().ran()) {
                continue;
            }
            heap.put(
                    r.strategy(),
                    r.soak().samples().stream()
                            .filter(s -> s.nodesRead() > 0)
                            .map(s -> new double[] {s.second(), s.heapBytes() / 1e6})
                            .toList());
            if (r.soak().sessionsHeld().isPresent()) {
                held.put(
                        r.strategy(),
                        r.soak().samples().stream()
                                .map(s -> new double[] {s.second(), s.sessionsHeld()})
                                .toList());
            }
        }
        String charts = SvgCharts.overTime("the nodes' heaps after a full collection, all nodes", "MB", heap);
        if (!held.isEmpty()) {
            charts += SvgCharts.overTime("session copies the nodes hold, all nodes", "copies", held);
        }
        return charts;
    }
}
