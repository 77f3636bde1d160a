package dev.satchel.balancer;

import dev.satchel.core.SessionId;
import java.util.Objects;

/**
 * A backend node: its name (what cookies, routes and the admin API call it) and where it listens.
 *
 * @param name 1 to 32 characters of [A-Za-z0-9_-], the same alphabet as an id's route suffix
 * @param host host name or address
 * @param port TCP port
 */
public record NodeAddress(String name, String host, int port) {

    /** Validates the address. */
    public NodeAddress {
        Objects.requireNonNull(host, "host");
        if (!SessionId.isValidRoute(name)) {
            throw new IllegalArgumentException("node name must be 1 to 32 characters of [A-Za-z0-9_-]: " + name);
        }
        if (host.isBlank()) {
            throw new IllegalArgumentException("node " + name + " has an empty host");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("node " + name + " has port " + port + ", expected 1 to 65535");
        }
    }

    /**
     * Parses {@code name=host:port}.
     *
     * @throws IllegalArgumentException saying what is wrong with the text
     */
    public static NodeAddress parse(String text) {
        int eq = text.indexOf('=');
        int colon = text.lastIndexOf(':');
        if (eq <= 0 || colon < eq + 2 || colon == text.length() - 1) {
            throw new IllegalArgumentException("expected name=host:port, got '" + text + "'");
        }
        try {
            return new NodeAddress(
                    text.substring(0, eq), text.substring(eq + 1, colon), Integer.parseInt(text.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port is not a number in '" + text + "'");
        }
    }

    /** {@code host:port}. */
    public String authority() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
