package dev.satchel.lab;

import org.HdrHistogram.Histogram;

/** Latency percentiles in microseconds, counted from when each request was due. */
public record LatencySummary(
        long count, long p50Micros, long p90Micros, long p99Micros, long p999Micros, long maxMicros) {
    /** No requests in the window. */
    public static final LatencySummary EMPTY = new LatencySummary(0, 0, 0, 0, 0, 0);

    /** The summary of a histogram recorded in microseconds. */
    public static LatencySummary of(Histogram h) {
        if (h.getTotalCount() == 0) {
            return EMPTY;
        }
        return new LatencySummary(
                h.getTotalCount(),
                h.getValueAtPercentile(50),
                h.getValueAtPercentile(90),
                h.getValueAtPercentile(99),
                h.getValueAtPercentile(99.9),
                h.getMaxValue());
    }
}
