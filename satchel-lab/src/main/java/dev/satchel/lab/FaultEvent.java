package dev.satchel.lab;

import java.util.Objects;

/**
 * A fault the lab injected, or the end of one.
 *
 * @param atMillis when, in milliseconds since the measured phase began
 * @param action e.g. {@code kill}, {@code start}, {@code kill-store}, {@code start-store}
 * @param target the node or store it acted on
 */
public record FaultEvent(long atMillis, String action, String target) {
    public FaultEvent {
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(target, "target");
    }
}
