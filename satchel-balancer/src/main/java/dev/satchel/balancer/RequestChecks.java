package dev.satchel.balancer;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** Framing checks on requests and the header rewriting a proxy owes both directions. */
final class RequestChecks {
    /** Headers that describe one connection and must not be forwarded (RFC 9110, section 7.6.1). */
    private static final List<String> HOP_BY_HOP = List.of(
            "connection",
            "keep-alive",
            "proxy-connection",
            "proxy-authenticate",
            "proxy-authorization",
            "te",
            "trailer",
            "upgrade");

    private static final Set<HttpMethod> IDEMPOTENT = Set.of(
            HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.TRACE, HttpMethod.PUT, HttpMethod.DELETE);

    private RequestChecks() {}

    /**
     * Finds what makes a request's framing ambiguous: several Content-Length headers, a
     * Transfer-Encoding other than exactly {@code chunked} (obfuscated, listed twice, or stacked
     * codings), or chunked encoding on HTTP/1.0.
     */
    static Optional<String> framingProblem(HttpRequest request) {
        HttpHeaders h = request.headers();
        List<String> lengths = h.getAll(HttpHeaderNames.CONTENT_LENGTH);
        if (lengths.size() > 1) {
            return Optional.of("more than one Content-Length header");
        }
        if (lengths.size() == 1 && !lengths.get(0).matches("[0-9]{1,18}")) {
            return Optional.of("Content-Length is not a number");
        }
        List<String> encodings = h.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (encodings.isEmpty()) {
            return Optional.empty();
        }
        if (encodings.size() > 1 || !encodings.get(0).equalsIgnoreCase("chunked")) {
            return Optional.of("Transfer-Encoding must be exactly 'chunked'");
        }
        if (!lengths.isEmpty()) {
            return Optional.of("both Transfer-Encoding and Content-Length are present");
        }
        if (request.protocolVersion().minorVersion() == 0) {
            return Optional.of("chunked Transfer-Encoding on HTTP/1.0");
        }
        return Optional.empty();
    }

    /** Whether a request may be sent again to another node after a failed attempt. */
    static boolean isRetriable(HttpRequest request, boolean hasBody) {
        return !hasBody && IDEMPOTENT.contains(request.method());
    }

    /** Removes hop-by-hop headers, including any the Connection header names. */
    static void stripHopByHop(HttpMessage message) {
        HttpHeaders h = message.headers();
        for (String connection : h.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : connection.split(",")) {
                String name = token.strip().toLowerCase(Locale.ROOT);
                if (!name.isEmpty() && !name.equals("transfer-encoding") && !name.equals("content-length")) {
                    h.remove(name);
                }
            }
        }
        HOP_BY_HOP.forEach(h::remove);
    }

    /** Adds X-Forwarded-For (appended), -Proto and -Host. */
    static void addForwarded(HttpRequest request, String clientIp) {
        HttpHeaders h = request.headers();
        String prior = h.get("X-Forwarded-For");
        h.set("X-Forwarded-For", prior == null || prior.isBlank() ? clientIp : prior + ", " + clientIp);
        h.set("X-Forwarded-Proto", "http");
        String host = h.get(HttpHeaderNames.HOST);
        if (host != null) {
            h.set("X-Forwarded-Host", host);
        }
    }
}
