package dev.satchel.lab;

import java.util.List;

/** The words both report files share: the settings line and the strategy table's columns and cells. */
final class ReportText {
    static final String TITLE = "Satchel lab report";

    static final List<String> STRATEGY_HEADERS = List.of(
            "strategy",
            "routing",
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

    /** Shown where a figure does not apply, e.g. a fault window in a run without a fault. */
    static final String NONE = "–";

    private ReportText() {}

    /** One line that says how the run was set up. */
    static String settingsLine(LabSettings s) {
        String fault = s.killsANode()
                ? "kill a node at " + s.faultAtSeconds() + " s, down " + s.downSeconds() + " s"
                : s.killsTheStore()
                        ? "kill the store's server at " + s.faultAtSeconds() + " s, down " + s.downSeconds() + " s"
                        : s.fault();
        String returns = s.returnAfterSeconds() > 0
                ? "shoppers come back " + s.returnAfterSeconds() + " s after their visit; "
                : "";
        return "strategies " + String.join(", ", s.strategies()) + "; " + s.nodes() + " nodes; "
                + Figures.tick(s.shoppersPerSecond()) + " new shoppers/s; think " + s.thinkMillis() + " ms; "
                + returns + "warm-up "
                + s.warmupSeconds() + " s; measured " + s.seconds() + " s; fault: " + fault + "; redis persistence: "
                + s.redisPersistence() + "; seed " + s.seed();
    }

    /** One run's cells, in the order of {@link #STRATEGY_HEADERS}. */
    static List<String> strategyCells(StrategyRun r) {
        return List.of(
                r.strategy(),
                r.routing(),
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

    /** A percentile, or a dash when the window had no requests (0 ms would read as fast). */
    private static String latency(LatencySummary window, long micros) {
        return window.count() == 0 ? NONE : Figures.ms(micros);
    }
}
