package dev.satchel.servlet;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs the 503s a node gives while its store is down or full without flooding the log: the first
 * of a burst with its stack trace, then one line per interval that counts the rest. An outage of
 * a busy node used to write one stack trace per request. Thread-safe.
 */
final class RefusalLog {
    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong lastLoggedNanos;
    private final AtomicInteger unlogged = new AtomicInteger();

    RefusalLog(Logger log, Duration interval) {
        this.log = log;
        this.intervalNanos = interval.toNanos();
        this.lastLoggedNanos = new AtomicLong(System.nanoTime() - intervalNanos);
    }

    /** Records one refusal; {@code reason} names it, {@code failure} says why. */
    void refused(String reason, Throwable failure) {
        long now = System.nanoTime();
        long last = lastLoggedNanos.get();
        if (now - last < intervalNanos || !lastLoggedNanos.compareAndSet(last, now)) {
            unlogged.incrementAndGet();
            return;
        }
        int since = unlogged.getAndSet(0);
        if (since == 0) {
            log.error("{}: answering 503", reason, failure);
        } else {
            log.error(
                    "{}: answering 503 ({} more since the last line; latest: {})", reason, since, failure.getMessage());
        }
    }
}
