package dev.satchel.lab;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;

/**
 * How the report writes numbers: one locale so a report reads the same on every machine, and
 * never {@code NaN} or {@code Infinity}, which would break the SVG and mislead the reader.
 */
final class Figures {
    private Figures() {}

    /** Milliseconds from microseconds, e.g. {@code "1.1"}; two decimals below a tenth. */
    static String ms(long micros) {
        return ms(micros / 1000.0);
    }

    /** Milliseconds, e.g. {@code "12.3"}, {@code "0.4"}, {@code "0.05"}: never a cost shown as 0.0. */
    static String ms(double millis) {
        double v = finite(millis);
        return Math.abs(v) < 0.095 && v != 0 ? fixed(v, 2) : fixed(v, 1);
    }

    /** A signed difference in milliseconds, e.g. {@code "+0.4"}, {@code "-1.2"}. */
    static String signedMs(double millis) {
        String s = ms(millis);
        return s.startsWith("-") ? s : "+" + s;
    }

    /** Seconds from milliseconds, one decimal. */
    static String seconds(long millis) {
        return fixed(millis / 1000.0, 1);
    }

    /** A value with this many decimals. */
    static String fixed(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", finite(v));
    }

    /** Whole bytes, rounded. */
    static String bytes(double v) {
        return Long.toString(Math.round(finite(v)));
    }

    /** A tick label: as few decimals as the value needs, at most three. */
    static String tick(double v) {
        return BigDecimal.valueOf(finite(v))
                .setScale(3, RoundingMode.HALF_UP)
                .stripTrailingZeros()
                .toPlainString();
    }

    /** An SVG coordinate. */
    static String coord(double v) {
        return fixed(v, 1);
    }

    /** Zero instead of a value that cannot be drawn or read. */
    static double finite(double v) {
        return Double.isFinite(v) ? v : 0;
    }

    /**
     * The smallest 1, 2 or 5 times a power of ten at or above {@code v}; 1 for zero, negative or
     * non-finite values, so a chart's scale never divides by zero.
     */
    static double niceCeiling(double v) {
        if (!(v > 0) || !Double.isFinite(v)) {
            return 1;
        }
        double power = Math.pow(10, Math.floor(Math.log10(v)));
        double f = v / power;
        double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
        return nice * power;
    }
}
