package dev.satchel.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The arithmetic of interleaved rounds (A, B, A, B, ... after a warm-up round of each): medians,
 * ranges, and the ratio of two contenders taken round by round. One run per contender on a shared
 * machine is not a result: drift falls on whoever runs at the wrong moment. Interleaving spreads
 * it over both, and the range of the per-round ratios shows how much of it is left.
 */
public final class Rounds {
    /** Fewer rounds give a median that is one lucky or unlucky run. */
    public static final int MINIMUM = 3;

    /** The note every smoke run prints beside its figures, so that nobody reads them as a result. */
    public static final String SMOKE_NOTE =
            "smoke run: short rounds on a shared machine to test the harness, not a comparison";

    private Rounds() {}

    /**
     * The number of rounds to run, checked.
     *
     * @param smoke whether this is a smoke run (a test of the harness), which may run fewer
     * @throws IllegalArgumentException for fewer than {@link #MINIMUM} rounds outside a smoke run
     */
    public static int checked(int rounds, boolean smoke) {
        if (rounds < 1 || (rounds < MINIMUM && !smoke)) {
            throw new IllegalArgumentException("--rounds " + rounds + ": at least " + MINIMUM
                    + " rounds are needed for a median and a range (fewer only with --smoke, which"
                    + " reports no comparison)");
        }
        return rounds;
    }

    /** The median; of an even count, the mean of the two middle values. */
    public static double median(List<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("the median of no values");
        }
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** The median of some figures and their range. */
    public static Spread spread(List<Double> values) {
        return new Spread(
                median(values),
                values.stream().mapToDouble(Double::doubleValue).min().orElseThrow(),
                values.stream().mapToDouble(Double::doubleValue).max().orElseThrow(),
                values.size());
    }

    /**
     * Round i of {@code a} over round i of {@code b}, for every round both ran: each pair of figures
     * was measured minutes apart, not a whole run apart.
     */
    public static Spread ratios(List<Double> a, List<Double> b) {
        int n = Math.min(a.size(), b.size());
        if (n == 0) {
            throw new IllegalArgumentException("no round to compare");
        }
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ratios.add(a.get(i) / b.get(i));
        }
        return spread(ratios);
    }

    /** A median with the lowest and highest of the figures it was taken from. */
    public record Spread(double median, double min, double max, int rounds) {
        /** As a ratio: {@code 1.23× (1.10–1.35× over 3 rounds)}. */
        public String asRatio() {
            return String.format(Locale.ROOT, "%.2f× (%.2f–%.2f× over %d rounds)", median, min, max, rounds);
        }

        /** Whether the whole range lies above {@code floor}. */
        public boolean above(double floor) {
            return min > floor;
        }
    }
}
