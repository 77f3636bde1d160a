package dev.satchel.balancer;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import java.util.Locale;

/**
 * Which protocol switches the balancer tunnels: WebSocket only (RFC 6455 section 4.1: an HTTP/1.1
 * GET without a body, {@code Connection: upgrade}, {@code Upgrade: websocket}). Any other Upgrade
 * is dropped as a hop-by-hop header and the request goes on as plain HTTP: tunnelling {@code h2c}
 * or a made-up protocol would let a client talk past the balancer's checks to the node (the "h2c
 * smuggling" attack), and nodes need neither.
 */
final class Upgrades {
    static final String WEBSOCKET = "websocket";

    private Upgrades() {}

    /** Whether the request asks to switch to WebSocket in a form the balancer tunnels. */
    static boolean isWebSocket(HttpRequest request) {
        HttpHeaders h = request.headers();
        return request.protocolVersion().equals(HttpVersion.HTTP_1_1)
                && request.method().equals(HttpMethod.GET)
                && !h.contains(HttpHeaderNames.TRANSFER_ENCODING)
                && "0".equals(h.get(HttpHeaderNames.CONTENT_LENGTH, "0").strip())
                && hasToken(h, HttpHeaderNames.CONNECTION.toString(), "upgrade")
                && hasToken(h, HttpHeaderNames.UPGRADE.toString(), WEBSOCKET);
    }

    /** Whether a node's 101 switches to WebSocket, the only switch the balancer asks for. */
    static boolean switchesToWebSocket(HttpResponse response) {
        return response.status().code() == 101 && hasToken(response.headers(), "upgrade", WEBSOCKET);
    }

    /** Puts back the two headers a switch needs, after the hop-by-hop ones were stripped. */
    static void markUpgrade(HttpMessage message) {
        message.headers().set(HttpHeaderNames.CONNECTION, "Upgrade");
        message.headers().set(HttpHeaderNames.UPGRADE, WEBSOCKET);
    }

    private static boolean hasToken(HttpHeaders h, String name, String token) {
        for (String field : h.getAll(name)) {
            for (String part : field.split(",")) {
                // "websocket/13" would name a version; RFC 6455 sends the bare token.
                if (part.strip().toLowerCase(Locale.ROOT).equals(token)) {
                    return true;
                }
            }
        }
        return false;
    }
}
