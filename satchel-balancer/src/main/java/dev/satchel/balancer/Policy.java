package dev.satchel.balancer;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** How the balancer picks a node for a request. */
public enum Policy {
    /** Each new request to the next node in turn. */
    ROUND_ROBIN("round-robin"),
    /** Each new request to the node with the fewest requests in flight. */
    LEAST_CONNECTIONS("least-connections"),
    /**
     * The balancer pins a client to a node with an HMAC-signed cookie it inserts (like HAProxy's
     * {@code cookie insert}), or follows the route suffix of the application's session id ({@code
     * <id>.<node>}, like mod_jk's jvmRoute).
     */
    STICKY_COOKIE("sticky-cookie"),
    /** A consistent (rendezvous) hash of the client's address. */
    IP_HASH("ip-hash"),
    /**
     * A consistent (rendezvous) hash of the session id: the same ranking the primary-backup store
     * uses, so a request lands on the node that owns the session's data.
     */
    SESSION_HASH("session-hash");

    private final String label;

    Policy(String label) {
        this.label = label;
    }

    /** The name used on the command line and in the admin API. */
    public String label() {
        return label;
    }

    /**
     * Parses a label such as {@code sticky-cookie}.
     *
     * @throws IllegalArgumentException naming the accepted labels
     */
    public static Policy parse(String label) {
        for (Policy p : values()) {
            if (p.label.equals(label.strip().toLowerCase(Locale.ROOT))) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown policy '" + label + "'; expected one of "
                + Arrays.stream(values()).map(Policy::label).collect(Collectors.joining(", ")));
    }
}
