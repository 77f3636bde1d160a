package dev.satchel.balancer;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The headers that describe one connection rather than the message (RFC 9110 section 7.6.1), which
 * a proxy removes before forwarding in either direction, and the Connection header the balancer
 * sends its client instead.
 */
final class HopByHop {
    /** Always connection-specific. Trailer is not among them: it is end-to-end (section 6.6.2). */
    private static final List<String> ALWAYS = List.of(
            "connection",
            "keep-alive",
            "proxy-connection",
            "proxy-authenticate",
            "proxy-authorization",
            "te",
            "upgrade");

    /**
     * Never removed because the Connection header names them: the proxy itself frames the message
     * and the node needs its Host, so a sender may not take those away by listing them.
     */
    private static final Set<String> KEPT = Set.of("host", "content-length", "transfer-encoding");

    private HopByHop() {}

    /** Removes the hop-by-hop headers and those the Connection header lists, except {@link #KEPT}. */
    static void strip(HttpMessage message) {
        HttpHeaders h = message.headers();
        for (String connection : h.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : connection.split(",")) {
                String name = token.strip().toLowerCase(Locale.ROOT);
                if (!name.isEmpty() && !KEPT.contains(name)) {
                    h.remove(name);
                }
            }
        }
        ALWAYS.forEach(h::remove);
    }

    /**
     * Tells the client whether its connection stays open. HTTP/1.1 keeps it open unless told, but an
     * HTTP/1.0 client keeps it only when the answer says keep-alive (RFC 9112 section 9.3).
     */
    static void markConnection(HttpMessage toClient, HttpVersion clientVersion, boolean keepAlive) {
        HttpHeaders h = toClient.headers();
        if (!keepAlive) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (clientVersion.minorVersion() == 0) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        } else {
            h.remove(HttpHeaderNames.CONNECTION);
        }
    }
}
