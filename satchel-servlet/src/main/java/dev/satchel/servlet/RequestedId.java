package dev.satchel.servlet;

import java.util.Objects;

/**
 * A session id token as a request carried it, not yet validated.
 *
 * @param token the raw token, possibly with a route suffix, possibly garbage
 * @param source where the request carried it
 */
public record RequestedId(String token, IdSource source) {

    /** Validates the fields. */
    public RequestedId {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(source, "source");
    }
}
