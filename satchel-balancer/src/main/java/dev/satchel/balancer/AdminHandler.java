package dev.satchel.balancer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The admin API, JSON over HTTP on its own port: list nodes, drain and enable them, add and remove
 * them, and in demo mode kill and start their processes; plus Prometheus metrics and the read-only
 * {@link LiveView}. Every call but {@code GET /health} and the live view's needs the bearer token
 * ({@link AdminAccess}). Stateless and shared by every admin connection.
 */
@ChannelHandler.Sharable
final class AdminHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ProxyContext proxy;
    private final PrometheusMeterRegistry meters;
    private final Optional<NodeControl> control;
    private final AdminAccess access;

    AdminHandler(ProxyContext proxy, PrometheusMeterRegistry meters, Optional<NodeControl> control) {
        this.proxy = proxy;
        this.meters = meters;
        this.control = control;
        this.access = new AdminAccess(proxy.config.adminToken);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws IOException {
        FullHttpResponse res;
        if (!req.decoderResult().isSuccess()) {
            res = ErrorResponses.json(HttpResponseStatus.BAD_REQUEST, "malformed_request", "cannot parse the request");
        } else {
            try {
                res = route(req, clientIp(ctx));
            } catch (IllegalArgumentException | IllegalStateException e) {
                res = ErrorResponses.json(HttpResponseStatus.BAD_REQUEST, "bad_request", e.getMessage());
            }
        }
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        HttpUtil.setKeepAlive(res, keepAlive);
        var future = ctx.writeAndFlush(res);
        if (!keepAlive) {
            future.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private static String clientIp(ChannelHandlerContext ctx) {
        return ctx.channel().remoteAddress() instanceof InetSocketAddress a
                ? a.getAddress().getHostAddress()
                : "unknown";
    }

    private FullHttpResponse route(FullHttpRequest req, String clientIp) throws IOException {
        String path = req.uri().split("\\?", 2)[0];
        HttpMethod method = req.method();
        Optional<FullHttpResponse> refused = access.refusal(req, path);
        if (refused.isPresent()) {
            return refused.get();
        }
        if (path.equals(AdminAccess.HEALTH_PATH) && method.equals(HttpMethod.GET)) {
            return json(HttpResponseStatus.OK, JSON.createObjectNode().put("status", "UP"));
        }
        if (method.equals(HttpMethod.GET)) {
            Optional<FullHttpResponse> asset = LiveView.asset(path);
            if (asset.isPresent()) {
                return asset.get();
            }
            if (path.equals(LiveView.STATE_PATH)) {
                return LiveView.withPageHeaders(
                        json(HttpResponseStatus.OK, LiveView.state(proxy, control.isPresent(), req, clientIp)));
            }
        }
        if (path.equals("/metrics") && method.equals(HttpMethod.GET)) {
            return text(meters.scrape(), "text/plain; version=0.0.4");
        }
        if (path.equals("/api/nodes")) {
            if (method.equals(HttpMethod.GET)) {
                return nodeList();
            }
            if (method.equals(HttpMethod.POST)) {
                return addNode(req);
            }
            return notAllowed("GET, POST");
        }
        if (path.startsWith("/api/config/") && method.equals(HttpMethod.GET)) {
            return text(ConfigExport.export(path.substring("/api/config/".length()), proxy.config), "text/plain");
        }
        if (path.startsWith("/api/nodes/")) {
            String[] parts = path.substring("/api/nodes/".length()).split("/");
            Optional<Node> node = proxy.nodes.find(parts[0]);
            if (node.isEmpty()) {
                return ErrorResponses.json(HttpResponseStatus.NOT_FOUND, "unknown_node", "no node named " + parts[0]);
            }
            if (parts.length == 1) {
                if (method.equals(HttpMethod.DELETE)) {
                    proxy.nodes.remove(parts[0]);
                    return new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
                }
                if (method.equals(HttpMethod.GET)) {
                    return json(HttpResponseStatus.OK, JSON.valueToTree(NodeView.of(node.get())));
                }
                return notAllowed("GET, DELETE");
            }
            if (parts.length == 2 && method.equals(HttpMethod.POST)) {
                return action(node.get(), parts[1]);
            }
            return notAllowed("POST");
        }
        return ErrorResponses.json(HttpResponseStatus.NOT_FOUND, "not_found", "no such admin path");
    }

    private FullHttpResponse action(Node node, String action) {
        switch (action) {
            case "drain" -> node.drain();
            case "enable" -> node.enable();
            case "kill", "start" -> {
                if (control.isEmpty()) {
                    return ErrorResponses.json(
                            HttpResponseStatus.NOT_FOUND, "demo_only", "kill and start exist only in demo mode");
                }
                if (action.equals("kill")) {
                    control.get().kill(node.name());
                } else {
                    control.get().start(node.name());
                }
                ObjectNode body =
                        JSON.createObjectNode().put("node", node.name()).put("action", action);
                return json(HttpResponseStatus.ACCEPTED, body);
            }
            default -> {
                return ErrorResponses.json(
                        HttpResponseStatus.NOT_FOUND, "unknown_action", "actions are drain, enable, kill, start");
            }
        }
        return json(HttpResponseStatus.OK, JSON.valueToTree(NodeView.of(node)));
    }

    private FullHttpResponse nodeList() {
        ObjectNode body = JSON.createObjectNode().put("policy", proxy.config.policy.label());
        var list = body.putArray("nodes");
        proxy.nodes.all().forEach(n -> list.add(JSON.valueToTree(NodeView.of(n))));
        return json(HttpResponseStatus.OK, body);
    }

    private FullHttpResponse addNode(FullHttpRequest req) throws IOException {
        JsonNode body;
        try {
            body = JSON.readTree(req.content().toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            return ErrorResponses.json(HttpResponseStatus.BAD_REQUEST, "malformed_json", "body is not valid JSON");
        }
        if (body == null
                || !body.path("name").isTextual()
                || !body.path("host").isTextual()
                || !body.path("port").canConvertToInt()) {
            return ErrorResponses.json(
                    HttpResponseStatus.BAD_REQUEST, "bad_node", "expected {\"name\":...,\"host\":...,\"port\":...}");
        }
        NodeAddress address = new NodeAddress(
                body.get("name").asText(),
                body.get("host").asText(),
                body.get("port").asInt());
        if (proxy.nodes.find(address.name()).isPresent()) {
            return ErrorResponses.json(
                    HttpResponseStatus.CONFLICT, "node_exists", "a node named " + address.name() + " exists");
        }
        return json(HttpResponseStatus.CREATED, JSON.valueToTree(NodeView.of(proxy.nodes.add(address))));
    }

    private static FullHttpResponse notAllowed(String allow) {
        FullHttpResponse r =
                ErrorResponses.json(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed", "allowed: " + allow);
        r.headers().set(HttpHeaderNames.ALLOW, allow);
        return r;
    }

    private static FullHttpResponse json(HttpResponseStatus status, JsonNode body) {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        return r;
    }

    private static FullHttpResponse text(String body, String type) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        FullHttpResponse r =
                new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        return r;
    }
}
