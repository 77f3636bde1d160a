package dev.satchel.testkit;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Waits in a test for something another thread or process does: polls a condition with a short,
 * growing pause until it holds, and fails with an {@link AssertionError} naming what was awaited
 * and the last value seen. Fast when the condition holds at once, gentle on a loaded machine when
 * it takes a while.
 *
 * <p>A probe may throw: an unchecked exception ends the wait as it is; a checked one (the probe's
 * HTTP call failed, say) ends it as an {@code AssertionError} with that cause, so callers need not
 * wrap their probes. A probe for which an exception means "not yet" catches it itself.
 */
public final class Await {
    private static final long FIRST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final long LONGEST_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    /** A condition to wait for; it may throw. */
    @FunctionalInterface
    public interface Condition {
        boolean holds() throws Exception;
    }

    /** Reads the value to wait on; it may throw. */
    @FunctionalInterface
    public interface Probe<T> {
        T get() throws Exception;
    }

    private Await() {}

    /**
     * Waits until {@code condition} holds.
     *
     * @param what what is awaited, for the failure message ("the replica to hold the session")
     * @throws AssertionError if it does not hold within {@code timeout}, the condition throws a
     *     checked exception, or the thread is interrupted
     */
    public static void until(Duration timeout, Condition condition, String what) {
        Objects.requireNonNull(condition, "condition");
        until(timeout, condition::holds, held -> held, what);
    }

    /**
     * Waits until {@code probe} returns a value {@code done} accepts, and returns that value.
     *
     * @param what what is awaited, for the failure message, which also shows the last value seen
     * @throws AssertionError if no value is accepted within {@code timeout}, the probe throws a
     *     checked exception, or the thread is interrupted
     */
    public static <T> T until(Duration timeout, Probe<T> probe, Predicate<? super T> done, String what) {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(probe, "probe");
        Objects.requireNonNull(done, "done");
        long start = System.nanoTime();
        long pause = FIRST_PAUSE_NANOS;
        while (true) {
            T value = get(probe, what);
            if (done.test(value)) {
                return value;
            }
            long left = timeout.toNanos() - (System.nanoTime() - start);
            if (left <= 0) {
                throw new AssertionError("waited " + describe(timeout) + " for " + what + "; last seen: " + value);
            }
            try {
                TimeUnit.NANOSECONDS.sleep(Math.min(pause, left));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what + "; last seen: " + value, e);
            }
            pause = Math.min(pause * 2, LONGEST_PAUSE_NANOS);
        }
    }

    private static <T> T get(Probe<T> probe, String what) {
        try {
            return probe.get();
        } catch (RuntimeException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + what, e);
        } catch (Exception e) {
            throw new AssertionError("failed while waiting for " + what + ": " + e, e);
        }
    }

    private static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
