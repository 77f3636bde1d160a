package dev.satchel.lab;

/**
 * How long service took to come back after the first fault: from the fault to the first second
 * from which every later second had at least 99% successful requests.
 *
 * @param measured false when there was no fault, or service never came back before the end
 * @param millis the time to recover, 0 when not measured
 */
public record Recovery(boolean measured, long millis) {
    public static final Recovery NOT_MEASURED = new Recovery(false, 0);
}
