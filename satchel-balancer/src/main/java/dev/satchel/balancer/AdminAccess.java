package dev.satchel.balancer;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Optional;

/**
 * Who may use the admin API: a caller holding the bearer token, from a tool or the live view's own
 * page rather than some other web page. Only {@code GET /health} (so a supervisor can probe
 * liveness without the secret) and the read-only live view are open.
 */
final class AdminAccess {
    /** The one path answered without the token; it says only that the balancer is up. */
    static final String HEALTH_PATH = "/health";

    private static final String CHALLENGE = "Bearer realm=\"satchel-admin\"";

    private final byte[] tokenDigest;

    AdminAccess(String token) {
        this.tokenDigest = sha256(token);
    }

    /** Whether the request may go on; otherwise the refusal to send. */
    Optional<FullHttpResponse> refusal(HttpRequest req, String path) {
        if (req.method().equals(HttpMethod.GET) && (path.equals(HEALTH_PATH) || LiveView.isOpen(path))) {
            return Optional.empty();
        }
        String auth = req.headers().get(HttpHeaderNames.AUTHORIZATION);
        if (auth == null) {
            return Optional.of(unauthorized(CHALLENGE, "send Authorization: Bearer <admin token>"));
        }
        if (!presents(auth)) {
            return Optional.of(unauthorized(CHALLENGE + ", error=\"invalid_token\"", "the admin token is wrong"));
        }
        if (changesState(req.method())) {
            // The only page allowed to call is the live view, served from this very origin; any
            // other Origin or Sec-Fetch-Site is a page of some other site trying its luck: CSRF, DNS
            // rebinding. curl and scripts send neither. (A rebound name passes this check as its own
            // origin, but its page never holds the token, which the viewer types into our page.)
            if (!fromNoPageOrOwnPage(req)) {
                return Optional.of(ErrorResponses.json(
                        HttpResponseStatus.FORBIDDEN, "cross_origin", "the admin API takes no calls from web pages"));
            }
            // A page may POST text/plain, forms or multipart without a preflight; never JSON.
            if (!isJson(req)) {
                return Optional.of(ErrorResponses.json(
                        HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE,
                        "unsupported_media_type",
                        "send Content-Type: application/json"));
            }
        }
        return Optional.empty();
    }

    /** A tool (no Origin, no Sec-Fetch-Site but "none"), or the live view's page on this origin. */
    private static boolean fromNoPageOrOwnPage(HttpRequest req) {
        String origin = req.headers().get(HttpHeaderNames.ORIGIN);
        String fetchSite = req.headers().get("Sec-Fetch-Site");
        if (origin == null) {
            return fetchSite == null || fetchSite.equals("none");
        }
        String host = req.headers().get(HttpHeaderNames.HOST);
        boolean sameOrigin = host != null && origin.equalsIgnoreCase("http://" + host.strip());
        return sameOrigin && (fetchSite == null || fetchSite.equals("same-origin"));
    }

    private boolean presents(String authorization) {
        int space = authorization.indexOf(' ');
        if (space < 0 || !authorization.substring(0, space).equalsIgnoreCase("Bearer")) {
            return false;
        }
        // Digests have one length whatever was sent, and isEqual reads every byte: the time taken
        // tells nothing of how much of a guess was right.
        return MessageDigest.isEqual(
                tokenDigest, sha256(authorization.substring(space + 1).strip()));
    }

    private static boolean changesState(HttpMethod m) {
        return !m.equals(HttpMethod.GET) && !m.equals(HttpMethod.HEAD) && !m.equals(HttpMethod.OPTIONS);
    }

    /** JSON, or a DELETE with no body at all (it has nothing to label). */
    private static boolean isJson(HttpRequest req) {
        String type = req.headers().get(HttpHeaderNames.CONTENT_TYPE);
        if (type == null) {
            return req.method().equals(HttpMethod.DELETE)
                    && HttpUtil.getContentLength(req, 0L) == 0
                    && !HttpUtil.isTransferEncodingChunked(req);
        }
        String mime = type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
        return mime.equals("application/json");
    }

    private static FullHttpResponse unauthorized(String challenge, String message) {
        FullHttpResponse r = ErrorResponses.json(HttpResponseStatus.UNAUTHORIZED, "unauthorized", message);
        r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, challenge);
        return r;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
