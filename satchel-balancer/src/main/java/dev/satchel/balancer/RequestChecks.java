package dev.satchel.balancer;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** Framing, Host and target checks on requests, and the forwarding headers a proxy adds. */
final class RequestChecks {
    /** A host and optional port (RFC 3986 reg-name or IP literal); empty is allowed (RFC 9112 section 3.2). */
    private static final Pattern VALID_HOST =
            Pattern.compile("([A-Za-z0-9._~!$&'()*+,;=%-]*|\\[[0-9A-Fa-f:.]+\\])(:[0-9]{0,5})?");

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

    /**
     * Checks Host and the request target (RFC 9112 section 3.2): an HTTP/1.1 request needs exactly one
     * valid Host, any request at most one. An absolute-form target wins over Host: its authority
     * becomes the Host and the node gets the origin-form (section 3.2.2), as a node expects from a
     * reverse proxy. Returns what is wrong, if anything; otherwise the request may have been rewritten.
     */
    static Optional<String> normalizeTarget(HttpRequest request) {
        HttpHeaders h = request.headers();
        List<String> hosts = h.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1) {
            return Optional.of("more than one Host header");
        }
        if (hosts.isEmpty() && request.protocolVersion().minorVersion() > 0) {
            return Optional.of("an HTTP/1.1 request needs a Host header");
        }
        if (!hosts.isEmpty() && !VALID_HOST.matcher(hosts.get(0)).matches()) {
            return Optional.of("the Host header is not a valid host");
        }
        String target = request.uri();
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            // A fragment is never sent (RFC 9112 section 3.2); nodes would each read it their own way,
            // as they would control and non-ASCII bytes (HAProxy refuses these too).
            if (c == '#' || c <= 0x20 || c >= 0x7f) {
                return Optional.of("the request target has a fragment or a character it may not carry");
            }
        }
        if (target.startsWith("/") || (target.equals("*") && request.method().equals(HttpMethod.OPTIONS))) {
            return Optional.empty();
        }
        URI uri;
        try {
            uri = new URI(target);
        } catch (URISyntaxException e) {
            return Optional.of("the request target is not a valid URI");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        String authority = uri.getRawAuthority();
        if (!(scheme.equals("http") || scheme.equals("https"))
                || authority == null
                || uri.getRawUserInfo() != null
                || !VALID_HOST.matcher(authority).matches()) {
            return Optional.of("the request target must be a path or an http(s) URI with a host");
        }
        String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        request.setUri(uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery());
        h.set(HttpHeaderNames.HOST, authority);
        return Optional.empty();
    }

    /**
     * Adds X-Forwarded-For (appended to every line a previous proxy sent), -Proto (the balancer's own
     * scheme, whatever the client claimed) and -Host.
     */
    static void addForwarded(HttpRequest request, String clientIp, boolean https) {
        HttpHeaders h = request.headers();
        List<String> prior =
                h.getAll("X-Forwarded-For").stream().filter(v -> !v.isBlank()).toList();
        h.set("X-Forwarded-For", prior.isEmpty() ? clientIp : String.join(", ", prior) + ", " + clientIp);
        h.set("X-Forwarded-Proto", https ? "https" : "http");
        String host = h.get(HttpHeaderNames.HOST);
        if (host != null && !host.isEmpty()) {
            h.set("X-Forwarded-Host", host);
        }
    }
}
