package dev.satchel.demo;

import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;

/**
 * Refuses cross-site state changes (CSRF, login CSRF). A page elsewhere can make a browser send a
 * form or {@code text/plain} POST without asking (no CORS preflight), so a state-changing request
 * must carry JSON (415 otherwise), and must not come from another site by its {@code Origin} or
 * {@code Sec-Fetch-Site} (403). Requests without either header (curl, scripts) pass on the
 * content type alone: browsers send {@code Origin} on every cross-origin POST.
 */
final class CrossSiteGuard {
    private static final Set<String> SAFE_METHODS = Set.of("GET", "HEAD", "OPTIONS", "TRACE");

    /** {@code none} is a navigation the user typed; anything but same-origin is another site's doing. */
    private static final Set<String> ALLOWED_FETCH_SITES = Set.of("same-origin", "none");

    private CrossSiteGuard() {}

    /** @throws ApiException 403 or 415 when the request must not change anything */
    static void check(HttpServletRequest req) {
        if (SAFE_METHODS.contains(req.getMethod())) {
            return;
        }
        String fetchSite = req.getHeader("Sec-Fetch-Site");
        if (fetchSite != null && !ALLOWED_FETCH_SITES.contains(fetchSite.strip().toLowerCase(Locale.ROOT))) {
            throw crossSite();
        }
        String origin = req.getHeader("Origin");
        if (origin != null && !sameOrigin(origin, req.getHeader("Host"))) {
            throw crossSite();
        }
        String type = req.getContentType();
        boolean hasBody = req.getContentLengthLong() > 0 || req.getHeader("Transfer-Encoding") != null;
        if ((type != null || hasBody) && !isJson(type)) {
            throw new ApiException(415, "unsupported_media_type", "send the body as application/json");
        }
    }

    private static ApiException crossSite() {
        return new ApiException(403, "cross_site_request", "state-changing requests must come from this site");
    }

    private static boolean isJson(String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String mediaType = semicolon < 0 ? contentType : contentType.substring(0, semicolon);
        return mediaType.strip().equalsIgnoreCase("application/json");
    }

    /**
     * Compares the Origin's host and port with the Host header, which through the balancer is the
     * balancer's: the name the browser used. The scheme is not compared, since a TLS terminator in
     * front may leave the node seeing plain HTTP.
     */
    private static boolean sameOrigin(String origin, String host) {
        if (host == null || host.isBlank()) {
            return false;
        }
        URI o;
        URI h;
        try {
            o = new URI(origin.strip());
            h = new URI("http://" + host.strip()); // only for parsing host and port
        } catch (URISyntaxException e) {
            return false; // "null" (an opaque origin) lands here too
        }
        if (o.getHost() == null || h.getHost() == null || o.getScheme() == null) {
            return false;
        }
        // A Host without a port means the default port of the scheme the browser used: the Origin's.
        int defaultPort = "https".equalsIgnoreCase(o.getScheme()) ? 443 : 80;
        return o.getHost().equalsIgnoreCase(h.getHost())
                && (o.getPort() < 0 ? defaultPort : o.getPort()) == (h.getPort() < 0 ? defaultPort : h.getPort());
    }
}
