package dev.satchel.lab;

import java.util.List;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * A soak: a long measured phase at steady load with no fault, read every {@code sampleSeconds}.
 * Memory must stay flat and expiry must reclaim what it should: once every session alive at the
 * start has had time to expire ({@code steadyFromSecond}), the heaps, the copies held and the
 * store's keys or rows must stop growing. Each is judged by the last third of the steady readings
 * against the first third; a session a node never reclaims grows its count by
 * the whole arrival rate, far beyond the {@link #TOLERANCE}.
 *
 * @param minutes the measured phase's length; 0 in {@link #NONE}
 * @param idleTimeoutSeconds the nodes' idle timeout during the soak
 * @param steadyFromSecond from when the population of live sessions should be steady: a visit,
 *     the return, the idle timeout and a sweep after the start
 * @param samples the readings, in time order
 */
public record Soak(int minutes, int idleTimeoutSeconds, int steadyFromSecond, List<SoakSample> samples) {
    /** Not a soak. */
    public static final Soak NONE = new Soak(0, 0, 0, List.of());

    /** How far the last third may stand above the first and still be flat. */
    public static final double TOLERANCE = 0.15;

    public Soak {
        samples = samples == null ? List.of() : List.copyOf(samples);
    }

    /** A little over the sweeps' periods: a session expired is reclaimed within this. */
    private static final int SWEEP_MARGIN_SECONDS = 30;

    /**
     * From when a soak under {@code settings} should hold a steady population: every session made
     * in the first second has had its visit, its return, its idle timeout and a sweep.
     */
    public static int steadyFromSecond(LabSettings settings) {
        long visit = (8 * settings.thinkMillis() + 999) / 1000;
        return (int) (visit + settings.returnAfterSeconds() + settings.idleTimeoutSeconds() + SWEEP_MARGIN_SECONDS);
    }

    /** How often a soak of {@code seconds} is read: about thirty readings, at most one each ten seconds. */
    public static int sampleSeconds(int seconds) {
        return Math.max(10, seconds / 30);
    }

    /** Whether this run was a soak with readings to judge. */
    public boolean ran() {
        return minutes > 0 && steady().size() >= 3;
    }

    /** The readings from {@link #steadyFromSecond} on. */
    public List<SoakSample> steady() {
        return samples.stream().filter(s -> s.second() >= steadyFromSecond).toList();
    }

    /**
     * A figure over the first third of the steady readings and over the last: the mean of each, or
     * for the heap its lowest reading.
     *
     * @param first the figure of the first third
     * @param last the figure of the last third
     */
    public record Change(double first, double last) {
        /** How far the last third stands above the first, as a fraction; infinite from nothing to some. */
        public double growth() {
            return first <= 0 ? (last <= 0 ? 0 : Double.POSITIVE_INFINITY) : last / first - 1;
        }

        /** Whether it stayed within {@link #TOLERANCE}. */
        public boolean flat() {
            return growth() <= TOLERANCE;
        }
    }

    /**
     * The nodes' heaps after a full collection, all together, by the lowest reading of each third:
     * work in flight lifts single readings (a login's Argon2 hash holds 19 MiB while it runs), and
     * what leaks lifts the lowest too. Empty when none could be read.
     */
    public Optional<Change> heap() {
        int nodes = samples.stream().mapToInt(SoakSample::nodesRead).max().orElse(0);
        // a reading some node missed sums fewer heaps: it would pass for a drop
        return change(s -> nodes == 0 || s.nodesRead() < nodes ? Double.NaN : s.heapBytes(), Soak::lowest);
    }

    /** The session copies the nodes hold; empty when they keep none (a central store, sealed cookies). */
    public Optional<Change> sessionsHeld() {
        return change(s -> s.sessionsHeld(), Soak::mean).filter(c -> c.first() > 0 || c.last() > 0);
    }

    /** The store server's keys or rows; empty without a store server the lab can ask. */
    public Optional<Change> storeItems() {
        return change(s -> s.store().measured() ? s.store().items() : Double.NaN, Soak::mean);
    }

    /** The store's unit, {@code keys} or {@code rows}; empty without one. */
    public String storeUnit() {
        return samples.stream()
                .map(s -> s.store().unit())
                .filter(u -> !u.isEmpty())
                .findFirst()
                .orElse("");
    }

    /** Whether every figure read stayed flat; empty when nothing could be judged. */
    public Optional<Boolean> holds() {
        List<Change> read = java.util.stream.Stream.of(heap(), sessionsHeld(), storeItems())
                .flatMap(Optional::stream)
                .toList();
        return read.isEmpty() ? Optional.empty() : Optional.of(read.stream().allMatch(Change::flat));
    }

    private Optional<Change> change(
            ToDoubleFunction<SoakSample> figure, java.util.function.ToDoubleFunction<List<Double>> of) {
        List<Double> values = steady().stream()
                .map(figure::applyAsDouble)
                .filter(v -> !Double.isNaN(v))
                .toList();
        if (values.size() < 3) {
            return Optional.empty();
        }
        int third = values.size() / 3;
        return Optional.of(new Change(
                of.applyAsDouble(values.subList(0, third)),
                of.applyAsDouble(values.subList(values.size() - third, values.size()))));
    }

    private static double lowest(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).min().orElse(0);
    }

    private static double mean(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).average().orElse(0);
    }
}
