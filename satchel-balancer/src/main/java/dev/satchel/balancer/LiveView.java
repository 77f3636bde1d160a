package dev.satchel.balancer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;

/**
 * The live view on the admin port: a page ({@code /live}) that polls {@code /live/state} every
 * second and shows each node's state, the sessions it holds, its requests per second, and which
 * node the viewer's own browser is routed to. The page and its state are read-only and open; its
 * kill, start, drain and enable buttons call the admin API with the token the viewer types in.
 * The state holds names and counts, never addresses.
 */
final class LiveView {
    static final String PAGE_PATH = "/live";
    static final String STATE_PATH = "/live/state";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, Asset> ASSETS = Map.of(
            PAGE_PATH,
            Asset.load("index.html", "text/html; charset=utf-8"),
            PAGE_PATH + "/",
            Asset.load("index.html", "text/html; charset=utf-8"),
            PAGE_PATH + "/live.js",
            Asset.load("live.js", "text/javascript; charset=utf-8"),
            PAGE_PATH + "/live.css",
            Asset.load("live.css", "text/css; charset=utf-8"));
    /** Scripts and styles from this origin only; no frames, forms or plugins. */
    private static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private LiveView() {}

    /** Whether {@code path} is one of the live view's open GET paths. */
    static boolean isOpen(String path) {
        return ASSETS.containsKey(path) || path.equals(STATE_PATH);
    }

    /** The page or one of its files; empty for any other path. */
    static Optional<FullHttpResponse> asset(String path) {
        Asset a = ASSETS.get(path);
        if (a == null) {
            return Optional.empty();
        }
        FullHttpResponse r = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(a.bytes()));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, a.type());
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, a.bytes().length);
        return Optional.of(withPageHeaders(r));
    }

    /** The cluster now, as the page draws it. */
    static ObjectNode state(ProxyContext proxy, boolean canKillAndStart, HttpRequest req, String clientIp) {
        ObjectNode body = JSON.createObjectNode()
                .put("policy", proxy.config.policy.label())
                .put("at", System.currentTimeMillis())
                .put("canKillAndStart", canKillAndStart);
        Router.ViewerRoute you = proxy.router.preview(req, clientIp);
        ObjectNode viewer = body.putObject("viewer").put("how", you.how());
        you.node().ifPresent(n -> viewer.put("node", n));
        ArrayNode list = body.putArray("nodes");
        for (Node n : proxy.nodes.all()) {
            ObjectNode node = list.addObject()
                    .put("name", n.name())
                    .put("state", n.state().name().toLowerCase(java.util.Locale.ROOT))
                    .put("requests", n.requests.sum())
                    .put("active", n.active.get())
                    .put("failures", n.failures.sum())
                    .put("redispatches", n.redispatches.sum());
            n.sessionsHeld().ifPresent(held -> node.put("sessionsHeld", held));
        }
        return body;
    }

    /** Headers every live-view answer carries: no caching, no sniffing, no framing, no referrer. */
    static FullHttpResponse withPageHeaders(FullHttpResponse r) {
        r.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        r.headers().set("X-Content-Type-Options", "nosniff");
        r.headers().set("Referrer-Policy", "no-referrer");
        r.headers().set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        r.headers().set("X-Frame-Options", "DENY");
        return r;
    }

    private record Asset(byte[] bytes, String type) {
        static Asset load(String name, String type) {
            try (InputStream in = LiveView.class.getResourceAsStream("live/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("the live view's " + name + " is missing from the jar");
                }
                return new Asset(in.readAllBytes(), type);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
