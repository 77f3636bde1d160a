package dev.satchel.servlet;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

/**
 * Carries the session id as a {@code ;sid=} path parameter, the fallback for browsers that refuse
 * cookies; links get it through {@code encodeURL}.
 *
 * <p><b>Off by default, and best left off:</b> an id in a URL leaks through the Referer header,
 * browser history, proxy and server logs and shared links, which is why OWASP's session management
 * guidance forbids it. Enable it only for clients that truly cannot keep cookies. Thread-safe.
 */
public final class UrlSessionIdResolver implements SessionIdResolver {

    /** Default path parameter name. */
    public static final String DEFAULT_PARAMETER = "sid";

    private final String marker;

    /** Uses the given path parameter name. */
    public UrlSessionIdResolver(String parameter) {
        if (parameter == null || !parameter.matches("[a-z]{1,16}")) {
            throw new IllegalArgumentException("path parameter must be 1 to 16 lower-case letters: " + parameter);
        }
        this.marker = ";" + parameter + "=";
    }

    /** Uses {@code ;sid=}. */
    public static UrlSessionIdResolver defaults() {
        return new UrlSessionIdResolver(DEFAULT_PARAMETER);
    }

    @Override
    public List<RequestedId> resolve(HttpServletRequest request) {
        String uri = request.getRequestURI();
        int at = uri == null ? -1 : uri.lastIndexOf(marker);
        if (at < 0) {
            return List.of();
        }
        int start = at + marker.length();
        int end = start;
        while (end < uri.length() && uri.charAt(end) != ';' && uri.charAt(end) != '/' && uri.charAt(end) != '?') {
            end++;
        }
        return List.of(new RequestedId(uri.substring(start, end), IdSource.URL));
    }

    @Override
    public void write(HttpServletRequest request, HttpServletResponse response, String token) {
        // Links carry the id through encodeURL; there is nothing to send.
    }

    @Override
    public void expire(HttpServletRequest request, HttpServletResponse response) {
        // Nothing was sent, so nothing to take back.
    }

    /**
     * Whether {@code url} leads back into the request's own web application: the id goes to no
     * other site, scheme or context, and never into {@code mailto:} or {@code javascript:} links.
     */
    boolean isInContext(HttpServletRequest request, String url) {
        if (url.startsWith("#") || url.contains(marker)) {
            return false;
        }
        if (url.toLowerCase(Locale.ROOT).contains("%2e")) {
            // Browsers read %2e as '.', so "/ctx/%2e%2e/other" leaves the context, but URI
            // normalisation does not: such links rarely come from an application; leave them alone.
            return false;
        }
        URI target;
        try {
            target = new URI(url);
        } catch (URISyntaxException e) {
            return false; // not a URL we can judge; leave it alone
        }
        if (target.isOpaque()) {
            return false;
        }
        if (target.getScheme() != null && !target.getScheme().equalsIgnoreCase(request.getScheme())) {
            return false;
        }
        if (target.getRawAuthority() != null && !sameServer(request, target)) {
            return false;
        }
        String path;
        try {
            path = URI.create(request.getRequestURI())
                    .resolve(target)
                    .normalize()
                    .getRawPath();
        } catch (IllegalArgumentException e) {
            return false;
        }
        String context = request.getContextPath();
        return path != null && (context.isEmpty() || path.equals(context) || path.startsWith(context + "/"));
    }

    private static boolean sameServer(HttpServletRequest request, URI target) {
        String host = target.getHost();
        if (host == null || !host.equalsIgnoreCase(request.getServerName())) {
            return false;
        }
        String scheme =
                (target.getScheme() == null ? request.getScheme() : target.getScheme()).toLowerCase(Locale.ROOT);
        int port = target.getPort() >= 0 ? target.getPort() : "https".equals(scheme) ? 443 : 80;
        return port == request.getServerPort();
    }

    /** Returns {@code url} with the token inserted before any query or fragment. */
    String encode(String url, String token) {
        int cut = url.length();
        int query = url.indexOf('?');
        int fragment = url.indexOf('#');
        if (query >= 0) {
            cut = query;
        }
        if (fragment >= 0 && fragment < cut) {
            cut = fragment;
        }
        return url.substring(0, cut) + marker + token + url.substring(cut);
    }
}
