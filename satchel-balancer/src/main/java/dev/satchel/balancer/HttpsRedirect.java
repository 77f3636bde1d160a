package dev.satchel.balancer;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.util.Optional;
import java.util.function.IntSupplier;

/**
 * The plain-HTTP listener beside a TLS proxy port: every request gets a 308 to the same host and
 * target over HTTPS, then the connection closes. Nothing reaches a node, and a request must pass
 * the same Host and target checks as on the proxy port, so the Location it builds holds only what a
 * valid request line and Host can carry. 308, not 301, keeps a POST a POST.
 */
final class HttpsRedirect extends ChannelInboundHandlerAdapter {
    private final IntSupplier httpsPort;

    /** @param httpsPort the proxy port, read when a request comes (it may be bound to port 0) */
    HttpsRedirect(IntSupplier httpsPort) {
        this.httpsPort = httpsPort;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpRequest request) {
                answer(ctx, request);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void answer(ChannelHandlerContext ctx, HttpRequest request) {
        FullHttpResponse response;
        Optional<String> problem = request.decoderResult().isSuccess()
                ? RequestChecks.normalizeTarget(request)
                : Optional.of("the request could not be parsed");
        String host = request.headers().get(HttpHeaderNames.HOST, "");
        if (problem.isEmpty() && host.isEmpty()) {
            problem = Optional.of("a redirect to HTTPS needs the Host header");
        }
        if (problem.isPresent()) {
            response = ErrorResponses.json(HttpResponseStatus.BAD_REQUEST, "bad_request", problem.get());
        } else {
            int port = httpsPort.getAsInt();
            String location = "https://" + hostWithoutPort(host) + (port == 443 ? "" : ":" + port) + request.uri();
            response = new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1, HttpResponseStatus.PERMANENT_REDIRECT, Unpooled.EMPTY_BUFFER);
            response.headers().set(HttpHeaderNames.LOCATION, location);
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
        }
        response.headers().set(HttpHeaderNames.CONNECTION, "close");
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    /** The host part of a Host header that passed {@link RequestChecks}: a name, IPv4 or [IPv6]. */
    static String hostWithoutPort(String host) {
        if (host.startsWith("[")) {
            return host.substring(0, host.indexOf(']') + 1);
        }
        int colon = host.indexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }
}
