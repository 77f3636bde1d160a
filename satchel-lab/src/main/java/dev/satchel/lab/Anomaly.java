package dev.satchel.lab;

import java.util.Objects;

/**
 * One thing the checker flagged.
 *
 * @param kind what was wrong
 * @param atMillis when, in milliseconds since the measured phase began
 * @param node the node that served the response ({@code X-Served-By}), or {@code "balancer"} or
 *     {@code "none"} when no node answered
 * @param shopper the virtual shopper, e.g. {@code "u417"}
 * @param detail what was expected and what came back
 */
public record Anomaly(AnomalyKind kind, long atMillis, String node, String shopper, String detail) {
    public Anomaly {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(shopper, "shopper");
        Objects.requireNonNull(detail, "detail");
    }
}
