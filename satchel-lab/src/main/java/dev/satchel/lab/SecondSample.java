package dev.satchel.lab;

/**
 * One second of the measured phase, by when requests were due.
 *
 * @param second seconds since the measured phase began
 * @param succeeded requests answered with what the checker accepted as a success (2xx)
 * @param failed requests that failed (5xx, timeout, refused)
 * @param anomalies data anomalies found in responses due in this second
 * @param p99Micros the 99th percentile latency of the second's requests
 */
public record SecondSample(int second, long succeeded, long failed, long anomalies, long p99Micros) {
    /** The share of requests that succeeded, 1 when there were none. */
    public double availability() {
        long all = succeeded + failed;
        return all == 0 ? 1.0 : (double) succeeded / all;
    }
}
