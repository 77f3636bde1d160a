package dev.satchel.lab;

import java.util.List;

/**
 * The report's charts as inline SVG: no script, no external file, a {@code viewBox} so they scale
 * to the page. Scales start at 1 when the data is empty or zero, so nothing divides by zero and
 * no {@code NaN} reaches a coordinate.
 */
final class SvgCharts {
    private static final int WIDTH = 800;
    private static final int HEIGHT = 280;
    private static final int LEFT = 64;
    private static final int RIGHT = 64;
    private static final int TOP = 48;
    private static final int BOTTOM = 64;
    private static final int TICKS = 5;
    private static final double PLOT_W = WIDTH - LEFT - RIGHT;
    private static final double PLOT_H = HEIGHT - TOP - BOTTOM;
    private static final double BASE = TOP + PLOT_H;

    private SvgCharts() {}

    /**
     * One strategy's measured phase second by second: successes and failures as stacked bars on
     * the left scale, the p99 latency as a line on the right scale, and a marker at each fault.
     */
    static String timeline(StrategyRun run) {
        List<SecondSample> t = run.timeline();
        int lastSecond = t.stream().mapToInt(SecondSample::second).max().orElse(-1);
        double span = Math.max(Math.max(t.size(), lastSecond + 1), 1);
        long most = t.stream().mapToLong(s -> s.succeeded() + s.failed()).max().orElse(0);
        double reqMax = Figures.niceCeiling(Math.max(most, 5)); // whole-number ticks on a quiet run
        double msMax = Figures.niceCeiling(
                t.stream().mapToLong(SecondSample::p99Micros).max().orElse(0) / 1000.0);

        StringBuilder svg = open(run.strategy() + ": requests per second (ok and failed) and p99 latency");
        for (int i = 0; i <= TICKS; i++) {
            double y = BASE - PLOT_H * i / TICKS;
            svg.append(line(LEFT, y, LEFT + PLOT_W, y, "grid"));
            svg.append(text(LEFT - 6, y + 4, "end", "tick", Figures.tick(reqMax * i / TICKS)));
            svg.append(text(LEFT + PLOT_W + 6, y + 4, "start", "tick right", Figures.tick(msMax * i / TICKS)));
        }
        xAxis(svg, span);
        svg.append(verticalTitle(16, "requests per second"));
        svg.append(verticalTitle(WIDTH - 12, "p99 ms"));

        double slot = PLOT_W / span;
        double barW = slot > 3 ? slot * 0.85 : slot;
        StringBuilder p99 = new StringBuilder();
        for (SecondSample s : t) {
            double x = LEFT + slot * Math.max(0, s.second());
            double okH = PLOT_H * s.succeeded() / reqMax;
            double failH = PLOT_H * s.failed() / reqMax;
            svg.append("<g><title>")
                    .append(Html.escape("second " + s.second() + ": " + s.succeeded() + " ok, " + s.failed()
                            + " failed, " + s.anomalies() + " data anomalies, p99 " + Figures.ms(s.p99Micros())
                            + " ms"))
                    .append("</title>");
            svg.append(rect(x, BASE - okH, barW, okH, "ok"));
            svg.append(rect(x, BASE - okH - failH, barW, failH, "failed"));
            svg.append("</g>\n");
            double y = BASE - PLOT_H * Math.min(1, s.p99Micros() / 1000.0 / msMax);
            p99.append(Figures.coord(x + barW / 2))
                    .append(',')
                    .append(Figures.coord(y))
                    .append(' ');
        }
        if (t.size() > 1) {
            svg.append("<polyline class=\"p99\" points=\"")
                    .append(p99.toString().strip())
                    .append("\"><title>p99 latency per second, ms (right scale)</title></polyline>\n");
        }
        if (t.isEmpty()) {
            svg.append(text(LEFT + PLOT_W / 2, TOP + PLOT_H / 2, "middle", "empty", "no seconds recorded"));
        }

        List<FaultEvent> faults = run.faults();
        for (int i = 0; i < faults.size(); i++) {
            FaultEvent f = faults.get(i);
            double x = LEFT + PLOT_W * Math.min(1, Math.max(0, f.atMillis() / 1000.0 / span));
            String label = f.action() + " " + f.target();
            String anchor = x > LEFT + PLOT_W * 0.8 ? "end" : "start";
            double labelX = anchor.equals("end") ? x - 3 : x + 3;
            svg.append("<g><title>")
                    .append(Html.escape(label + " at " + Figures.seconds(f.atMillis()) + " s"))
                    .append("</title>");
            svg.append(line(x, TOP - 14 - (i % 2) * 12, x, BASE, "fault"));
            svg.append(text(labelX, TOP - 16 - (i % 2) * 12, anchor, "fault-label", label));
            svg.append("</g>\n");
        }

        legend(svg, List.of("ok", "failed", "p99"), List.of("succeeded", "failed", "p99 ms (right)"));
        return svg.append("</svg>\n").toString();
    }

    /** Steady-phase p50 and p99 of every strategy, side by side. */
    static String latencyBars(List<StrategyRun> runs) {
        double msMax = Figures.niceCeiling(
                runs.stream().mapToLong(r -> r.steady().p99Micros()).max().orElse(0) / 1000.0);
        StringBuilder svg = open("steady p50 and p99 latency by strategy, ms");
        leftScale(svg, msMax, "ms, steady phase");
        double group = PLOT_W / Math.max(runs.size(), 1);
        for (int i = 0; i < runs.size(); i++) {
            StrategyRun r = runs.get(i);
            double x = LEFT + group * i;
            svg.append(category(x + group / 2, runs, r));
            if (r.steady().count() == 0) {
                svg.append(text(x + group / 2, BASE - 6, "middle", "empty", "no data"));
                continue;
            }
            bar(svg, x + group * 0.15, group * 0.33, r.steady().p50Micros(), msMax, "p50", r.strategy());
            bar(svg, x + group * 0.52, group * 0.33, r.steady().p99Micros(), msMax, "p99bar", r.strategy());
        }
        if (runs.isEmpty()) {
            svg.append(text(LEFT + PLOT_W / 2, TOP + PLOT_H / 2, "middle", "empty", "no strategy ran"));
        }
        legend(svg, List.of("p50", "p99bar"), List.of("p50", "p99"));
        return svg.append("</svg>\n").toString();
    }

    /** Bytes on the wire per request, stacked by path, per strategy. */
    static String wireBars(List<StrategyRun> runs) {
        return stackedBars(
                "bytes on the wire per request by path, per strategy",
                "bytes per request",
                runs,
                List.of(
                        ResourceUse.CLIENT_BALANCER,
                        ResourceUse.BALANCER_NODES,
                        ResourceUse.BETWEEN_NODES,
                        ResourceUse.NODES_STORE),
                r -> r.resources().wireBytes(),
                " B");
    }

    /** CPU time per request, stacked by part, per strategy. */
    static String cpuBars(List<StrategyRun> runs) {
        return stackedBars(
                "CPU time per request by part, per strategy, µs",
                "µs of CPU per request",
                runs,
                List.of(ResourceUse.NODES, ResourceUse.BALANCER, ResourceUse.STORE),
                r -> r.resources().cpuMicros(),
                " µs");
    }

    private static String stackedBars(
            String title,
            String axis,
            List<StrategyRun> runs,
            List<String> parts,
            java.util.function.Function<StrategyRun, java.util.Map<String, Double>> values,
            String unit) {
        double most = runs.stream()
                .mapToDouble(r -> values.apply(r).values().stream()
                        .mapToDouble(Double::doubleValue)
                        .sum())
                .max()
                .orElse(0);
        double max = Figures.niceCeiling(most);
        StringBuilder svg = open(title);
        leftScale(svg, max, axis);
        double group = PLOT_W / Math.max(runs.size(), 1);
        for (int i = 0; i < runs.size(); i++) {
            StrategyRun r = runs.get(i);
            double x = LEFT + group * i + group * 0.2;
            double w = group * 0.6;
            svg.append(category(x + w / 2, runs, r));
            java.util.Map<String, Double> v = values.apply(r);
            if (v.isEmpty()) {
                svg.append(text(x + w / 2, BASE - 6, "middle", "empty", "not measured"));
                continue;
            }
            double y = BASE;
            double total = 0;
            for (int p = 0; p < parts.size(); p++) {
                double value = v.getOrDefault(parts.get(p), 0.0);
                double h = PLOT_H * Math.min(1, value / max);
                y -= h;
                total += value;
                svg.append("<g><title>")
                        .append(Html.escape(r.strategy() + ", " + parts.get(p) + ": " + Figures.fixed(value, 0) + unit))
                        .append("</title>")
                        .append(rect(x, y, w, h, "part" + p))
                        .append("</g>\n");
            }
            svg.append(text(x + w / 2, y - 4, "middle", "value", Figures.fixed(total, 0)));
        }
        if (runs.isEmpty()) {
            svg.append(text(LEFT + PLOT_W / 2, TOP + PLOT_H / 2, "middle", "empty", "no strategy ran"));
        }
        List<String> classes = new java.util.ArrayList<>();
        for (int p = 0; p < parts.size(); p++) {
            classes.add("part" + p);
        }
        legend(svg, classes, parts);
        return svg.append("</svg>\n").toString();
    }

    /**
     * A scaling run: one line per strategy of {@code value} against the cluster size; a run
     * without the figure leaves a gap.
     */
    static String scaling(
            String title,
            String axis,
            List<StrategyRun> runs,
            java.util.function.Function<StrategyRun, java.util.Optional<Double>> value) {
        return lines(
                title,
                axis,
                "nodes in the cluster",
                " nodes",
                runs.stream().filter(r -> r.nodes() > 0).toList(),
                StrategyRun::nodes,
                value);
    }

    /**
     * A delay run: one line per strategy of {@code value} against the delay added each way between
     * the nodes and the store; a run without the figure leaves a gap.
     */
    static String byDelay(
            String title,
            String axis,
            List<StrategyRun> runs,
            java.util.function.Function<StrategyRun, java.util.Optional<Double>> value) {
        return lines(
                title,
                axis,
                "delay added each way to the store (ms)",
                " ms added",
                runs,
                StrategyRun::delayMillis,
                value);
    }

    /** One line per strategy of {@code value} against {@code xOf}, one slot per value of it. */
    private static String lines(
            String title,
            String axis,
            String xTitle,
            String xUnit,
            List<StrategyRun> runs,
            java.util.function.ToIntFunction<StrategyRun> xOf,
            java.util.function.Function<StrategyRun, java.util.Optional<Double>> value) {
        List<Integer> sizes =
                runs.stream().map(xOf::applyAsInt).distinct().sorted().toList();
        List<String> strategies =
                runs.stream().map(StrategyRun::strategy).distinct().toList();
        double max = Figures.niceCeiling(runs.stream()
                .map(value)
                .flatMap(java.util.Optional::stream)
                .mapToDouble(Double::doubleValue)
                .max()
                .orElse(0));
        StringBuilder svg = open(title);
        leftScale(svg, max, axis);
        svg.append(text(LEFT + PLOT_W / 2, HEIGHT - 6, "middle", "axis-title", xTitle));
        double slot = PLOT_W / Math.max(sizes.size(), 1);
        for (int i = 0; i < sizes.size(); i++) {
            svg.append(text(LEFT + slot * (i + 0.5), BASE + 16, "middle", "tick", Integer.toString(sizes.get(i))));
        }
        List<String> classes = new java.util.ArrayList<>();
        for (int k = 0; k < strategies.size(); k++) {
            String strategy = strategies.get(k);
            String cls = "series" + (k % 4);
            classes.add(cls);
            StringBuilder points = new StringBuilder();
            for (int i = 0; i < sizes.size(); i++) {
                int size = sizes.get(i);
                java.util.Optional<Double> v = runs.stream()
                        .filter(r -> r.strategy().equals(strategy) && xOf.applyAsInt(r) == size)
                        .findFirst()
                        .flatMap(value);
                if (v.isEmpty()) {
                    continue;
                }
                double x = LEFT + slot * (i + 0.5);
                double y = BASE - PLOT_H * Math.min(1, v.get() / max);
                points.append(Figures.coord(x))
                        .append(',')
                        .append(Figures.coord(y))
                        .append(' ');
                svg.append("<g><title>")
                        .append(Html.escape(strategy + " at " + size + xUnit + ": " + Figures.fixed(v.get(), 0)))
                        .append("</title>")
                        .append("<circle class=\"")
                        .append(cls)
                        .append("\" cx=\"")
                        .append(Figures.coord(x))
                        .append("\" cy=\"")
                        .append(Figures.coord(y))
                        .append("\" r=\"4\"/></g>\n");
            }
            polyline(svg, cls, points);
        }
        return closeLines(svg, classes, strategies);
    }

    /**
     * Lines over time, one per name in {@code series}, each point {@code {second, value}}; the
     * time axis in minutes, the left scale from 0.
     */
    static String overTime(String title, String axis, java.util.Map<String, List<double[]>> series) {
        double maxSecond = Math.max(
                1,
                series.values().stream()
                        .flatMap(List::stream)
                        .mapToDouble(p -> p[0])
                        .max()
                        .orElse(1));
        double max = Figures.niceCeiling(series.values().stream()
                .flatMap(List::stream)
                .mapToDouble(p -> p[1])
                .max()
                .orElse(0));
        StringBuilder svg = open(title);
        leftScale(svg, max, axis);
        double minutes = maxSecond / 60;
        double step = Math.max(1, Figures.niceCeiling(minutes / 10));
        for (double m = 0; m <= minutes + 1e-9; m += step) {
            double x = LEFT + PLOT_W * m * 60 / maxSecond;
            svg.append(line(x, BASE, x, BASE + 4, "axis"));
            svg.append(text(x, BASE + 16, "middle", "tick", Figures.fixed(m, 0)));
        }
        svg.append(text(LEFT + PLOT_W / 2, HEIGHT - 6, "middle", "axis-title", "minutes into the measured phase"));
        List<String> classes = new java.util.ArrayList<>();
        List<String> names = new java.util.ArrayList<>(series.keySet());
        for (int k = 0; k < names.size(); k++) {
            String cls = "series" + (k % 4);
            classes.add(cls);
            StringBuilder points = new StringBuilder();
            for (double[] p : series.get(names.get(k))) {
                points.append(Figures.coord(LEFT + PLOT_W * p[0] / maxSecond))
                        .append(',')
                        .append(Figures.coord(BASE - PLOT_H * Math.min(1, p[1] / max)))
                        .append(' ');
            }
            polyline(svg, cls, points);
        }
        return closeLines(svg, classes, names);
    }

    /** One series' line through {@code points} ("x,y x,y ..."); nothing when it has none. */
    private static void polyline(StringBuilder svg, String cls, StringBuilder points) {
        if (points.length() > 0) {
            svg.append("<polyline class=\"")
                    .append(cls)
                    .append(" line\" points=\"")
                    .append(points.toString().strip())
                    .append("\"/>\n");
        }
    }

    /** A line chart's end: "nothing recorded" when it has no series, the legend, the closing tag. */
    private static String closeLines(StringBuilder svg, List<String> classes, List<String> names) {
        if (names.isEmpty()) {
            svg.append(text(LEFT + PLOT_W / 2, TOP + PLOT_H / 2, "middle", "empty", "nothing recorded"));
        }
        legend(svg, classes, names);
        return svg.append("</svg>\n").toString();
    }

    /** Grid lines and ticks of the left scale from 0 to {@code max}, the base axis and its title. */
    private static void leftScale(StringBuilder svg, double max, String title) {
        for (int i = 0; i <= TICKS; i++) {
            double y = BASE - PLOT_H * i / TICKS;
            svg.append(line(LEFT, y, LEFT + PLOT_W, y, "grid"));
            svg.append(text(LEFT - 6, y + 4, "end", "tick", Figures.tick(max * i / TICKS)));
        }
        svg.append(line(LEFT, BASE, LEFT + PLOT_W, BASE, "axis"));
        svg.append(verticalTitle(16, title));
    }

    /**
     * A run's name under its bars: with its cluster size and added delay when the runs have several, and slanted
     * when there are more runs than fit side by side.
     */
    private static String category(double x, List<StrategyRun> runs, StrategyRun r) {
        boolean sized = runs.stream().map(StrategyRun::nodes).distinct().count() > 1;
        boolean delayed = runs.stream().map(StrategyRun::delayMillis).distinct().count() > 1;
        String words =
                r.strategy() + (sized ? ", " + r.nodes() : "") + (delayed ? ", +" + r.delayMillis() + " ms" : "");
        if (runs.size() <= 6) {
            return text(x, BASE + 16, "middle", "tick", words);
        }
        double y = BASE + 12;
        return "<text class=\"tick\" text-anchor=\"end\" transform=\"rotate(-25 " + Figures.coord(x) + " "
                + Figures.coord(y) + ")\" x=\"" + Figures.coord(x) + "\" y=\"" + Figures.coord(y) + "\">"
                + Html.escape(words) + "</text>\n";
    }

    private static void bar(StringBuilder svg, double x, double w, long micros, double msMax, String cls, String who) {
        double h = PLOT_H * Math.min(1, micros / 1000.0 / msMax);
        String name = cls.equals("p50") ? "p50" : "p99";
        svg.append("<g><title>")
                .append(Html.escape(who + " " + name + " " + Figures.ms(micros) + " ms"))
                .append("</title>")
                .append(rect(x, BASE - h, w, h, cls))
                .append(text(x + w / 2, BASE - h - 4, "middle", "value", Figures.ms(micros)))
                .append("</g>\n");
    }

    private static void xAxis(StringBuilder svg, double span) {
        svg.append(line(LEFT, BASE, LEFT + PLOT_W, BASE, "axis"));
        int step = (int) Math.max(1, Figures.niceCeiling(span / 10));
        for (int s = 0; s <= span; s += step) {
            double x = LEFT + PLOT_W * s / span;
            svg.append(line(x, BASE, x, BASE + 4, "axis"));
            svg.append(text(x, BASE + 16, "middle", "tick", Integer.toString(s)));
        }
        svg.append(text(LEFT + PLOT_W / 2, HEIGHT - 6, "middle", "axis-title", "seconds into the measured phase"));
    }

    private static void legend(StringBuilder svg, List<String> classes, List<String> labels) {
        double x = LEFT;
        for (int i = 0; i < classes.size(); i++) {
            svg.append(rect(x, 6, 10, 10, classes.get(i)));
            svg.append(text(x + 14, 15, "start", "tick", labels.get(i)));
            x += 24 + labels.get(i).length() * 6.5;
        }
    }

    private static StringBuilder open(String title) {
        StringBuilder svg = new StringBuilder();
        svg.append("<svg class=\"chart\" viewBox=\"0 0 ")
                .append(WIDTH)
                .append(' ')
                .append(HEIGHT)
                .append("\" role=\"img\" aria-label=\"")
                .append(Html.escape(title))
                .append("\" preserveAspectRatio=\"xMidYMid meet\">\n<title>")
                .append(Html.escape(title))
                .append("</title>\n");
        return svg;
    }

    private static String line(double x1, double y1, double x2, double y2, String cls) {
        return "<line class=\"" + cls + "\" x1=\"" + Figures.coord(x1) + "\" y1=\"" + Figures.coord(y1) + "\" x2=\""
                + Figures.coord(x2) + "\" y2=\"" + Figures.coord(y2) + "\"/>\n";
    }

    private static String rect(double x, double y, double w, double h, String cls) {
        return "<rect class=\"" + cls + "\" x=\"" + Figures.coord(x) + "\" y=\"" + Figures.coord(y) + "\" width=\""
                + Figures.coord(Math.max(0, w)) + "\" height=\"" + Figures.coord(Math.max(0, h)) + "\"/>";
    }

    private static String text(double x, double y, String anchor, String cls, String words) {
        return "<text class=\"" + cls + "\" x=\"" + Figures.coord(x) + "\" y=\"" + Figures.coord(y)
                + "\" text-anchor=\"" + anchor + "\">" + Html.escape(words) + "</text>\n";
    }

    private static String verticalTitle(double x, String words) {
        double y = TOP + PLOT_H / 2;
        return "<text class=\"axis-title\" text-anchor=\"middle\" transform=\"rotate(-90 " + Figures.coord(x) + " "
                + Figures.coord(y) + ")\" x=\"" + Figures.coord(x) + "\" y=\"" + Figures.coord(y) + "\">"
                + Html.escape(words) + "</text>\n";
    }
}
