package dev.satchel.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.List;
import java.util.Objects;

/**
 * Carries the session id in a request header, for REST clients that keep no cookies. The response
 * carries a new id in the same header, and an empty value when the session ends. Thread-safe.
 */
public final class HeaderSessionIdResolver implements SessionIdResolver {

    /** Default header name. */
    public static final String DEFAULT_HEADER = "X-Session-Id";

    private final String header;

    /** Uses the given header name. */
    public HeaderSessionIdResolver(String header) {
        this.header = Objects.requireNonNull(header, "header");
        if (!header.matches("[A-Za-z0-9-]{1,64}")) {
            throw new IllegalArgumentException("not a header name: " + header);
        }
    }

    /** Uses {@code X-Session-Id}. */
    public static HeaderSessionIdResolver defaults() {
        return new HeaderSessionIdResolver(DEFAULT_HEADER);
    }

    @Override
    public List<RequestedId> resolve(HttpServletRequest request) {
        String value = request.getHeader(header);
        return value == null || value.isEmpty() ? List.of() : List.of(new RequestedId(value.strip(), IdSource.HEADER));
    }

    @Override
    public void write(HttpServletRequest request, HttpServletResponse response, String token) {
        response.setHeader(header, token);
    }

    @Override
    public void expire(HttpServletRequest request, HttpServletResponse response) {
        response.setHeader(header, "");
    }
}
