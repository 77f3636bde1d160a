package dev.satchel.servlet;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * Logs the 503s a node gives while its store is down or full without flooding the log: the first
 * of a burst (a fault: at ERROR with its stack trace; a state such as a full store: one WARN line),
 * then one line per interval that counts the rest. An outage of a busy node used to write one stack
 * trace per request. Thread-safe.
 */
final class RefusalLog {
    private final Logger log;
    private final long intervalNanos;
    private final AtomicLong lastLoggedNanos;
    private final AtomicInteger unlogged = new AtomicInteger();
    private final boolean fault;
    private final LongSupplier nanos;

    /** Refusals caused by something broken: logged at ERROR, the first with its stack trace. */
    static RefusalLog fault(Logger log, Duration interval) {
        return new RefusalLog(log, interval, true, System::nanoTime);
    }

    /** Refusals that are a known state (a full store): one WARN line, never a stack trace. */
    static RefusalLog state(Logger log, Duration interval) {
        return new RefusalLog(log, interval, false, System::nanoTime);
    }

    /** {@code nanos}: the monotonic clock; a test passes its own. */
    RefusalLog(Logger log, Duration interval, boolean fault, LongSupplier nanos) {
        this.nanos = nanos;
        this.log = log;
        this.fault = fault;
        this.intervalNanos = interval.toNanos();
        this.lastLoggedNanos = new AtomicLong(nanos.getAsLong() - intervalNanos);
    }

    /** Records one refusal; {@code reason} names it, {@code failure} says why. */
    void refused(String reason, Throwable failure) {
        long now = nanos.getAsLong();
        long last = lastLoggedNanos.get();
        if (now - last < intervalNanos || !lastLoggedNanos.compareAndSet(last, now)) {
            unlogged.incrementAndGet();
            return;
        }
        int since = unlogged.getAndSet(0);
        if (!fault) {
            log.warn("{}: answering 503 ({} more since the last line): {}", reason, since, failure.getMessage());
        } else if (since == 0) {
            log.error("{}: answering 503", reason, failure);
        } else {
            log.error(
                    "{}: answering 503 ({} more since the last line; latest: {})", reason, since, failure.getMessage());
        }
    }
}
