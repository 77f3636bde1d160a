package dev.satchel.balancer;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection. Reads one request at a time (auto-read is off): a request's parts are
 * read as the node takes them, and the next request only once the response is complete, so a slow
 * node or a slow client slows only its own connection.
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(FrontendHandler.class);

    private final ProxyContext proxy;
    private ChannelHandlerContext ctx;
    private Exchange current;
    private boolean closing;

    FrontendHandler(ProxyContext proxy) {
        this.proxy = proxy;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest request) {
            onRequestHead(request);
            if (!(msg instanceof HttpContent)) {
                return;
            }
        }
        if (msg instanceof HttpContent content) {
            if (current == null) {
                ReferenceCountUtil.release(content);
                return;
            }
            current.fromClient(content);
        } else if (!(msg instanceof HttpRequest)) {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequestHead(HttpRequest request) {
        DecoderResult decoded = request.decoderResult();
        if (decoded.isFailure()) {
            HttpResponseStatus status = ErrorResponses.forDecoderFailure(decoded.cause());
            reject(
                    status,
                    "malformed_request",
                    status.code() == 400 ? String.valueOf(decoded.cause().getMessage()) : status.reasonPhrase());
            return;
        }
        if (request.protocolVersion().majorVersion() != 1
                || request.protocolVersion().minorVersion() > 1) {
            reject(
                    HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED,
                    "version_not_supported",
                    "only HTTP/1.0 and HTTP/1.1");
            return;
        }
        Optional<String> framing = RequestChecks.framingProblem(request);
        if (framing.isPresent()) {
            reject(HttpResponseStatus.BAD_REQUEST, "bad_framing", framing.get());
            return;
        }
        if (HttpUtil.getContentLength(request, 0L) > proxy.config.maxBodyBytes) {
            reject(
                    HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "body_too_large",
                    "request body exceeds " + proxy.config.maxBodyBytes + " bytes");
            return;
        }
        if (request.headers().contains(HttpHeaderNames.EXPECT)) {
            if (!HttpUtil.is100ContinueExpected(request)) {
                reject(HttpResponseStatus.EXPECTATION_FAILED, "expectation_failed", "only 100-continue is supported");
                return;
            }
            request.headers().remove(HttpHeaderNames.EXPECT);
            ctx.writeAndFlush(new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
        }
        String clientIp =
                ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress().getHostAddress();
        boolean hasBody = HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;
        Route route = proxy.router.route(request, clientIp);
        RequestChecks.stripHopByHop(request);
        RequestChecks.addForwarded(request, clientIp);
        current = new Exchange(this, ctx, proxy, request, route, hasBody);
        current.start();
    }

    private void reject(HttpResponseStatus status, String error, String message) {
        closing = true;
        proxy.metrics.rejected(error);
        ErrorResponses.rejectAndClose(ctx, status, error, message);
    }

    /** The exchange is over; read the next request or close. */
    void exchangeDone(boolean keepAlive) {
        current = null;
        if (keepAlive && ctx.channel().isActive()) {
            ctx.read();
        } else {
            ctx.close();
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (current != null) {
            current.clientGone();
            current = null;
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && current == null) {
            ctx.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("client connection failed: {}", cause.toString());
        ctx.close();
    }
}
