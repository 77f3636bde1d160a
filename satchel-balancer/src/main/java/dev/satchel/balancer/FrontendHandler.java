package dev.satchel.balancer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection. Reads one request at a time (auto-read is off), holds its whole body at
 * the balancer, and only then starts the exchange with a node: a slow or stalled uploader costs a
 * little balancer memory, never a node's thread. Then it reads nothing until the response is
 * complete, and holds back whatever the decoder already had of the next request, so requests are
 * answered in order. (Netty's FlowControlHandler would hold messages too, but in 4.1.137 it loses
 * a read that decoded nothing, as a head spread over several reads does, and the connection stalls.)
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(FrontendHandler.class);
    /** How long a refused client may go on sending before the close, so it reads the answer first. */
    private static final long LINGER_MILLIS = 2000;
    /** A body's first buffer; it grows with what arrives, never by what the client declares. */
    private static final int INITIAL_BODY_BYTES = 1024;

    private final ProxyContext proxy;
    private final HeadDeadline headDeadline;
    private ChannelHandlerContext ctx;
    private InetAddress clientAddress;
    private boolean admitted;
    private Exchange current;
    /** Set once a node switched this connection to WebSocket; from then on it only carries bytes. */
    private Tunnel tunnel;

    private boolean closing;
    /** Messages decoded while an exchange runs, in order. */
    private final ArrayDeque<Object> held = new ArrayDeque<>();

    // The request being read: its head, the body so far (none until a byte of it comes, as for
    // most requests: a GET's end comes with its head), when the body began and last moved.
    private HttpRequest head;
    private ByteBuf body;
    private boolean keepAlive;
    private long bodyStart;
    private long lastProgress;
    private ScheduledFuture<?> bodyTimer;

    FrontendHandler(ProxyContext proxy, HeadDeadline headDeadline) {
        this.proxy = proxy;
        this.headDeadline = headDeadline;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        clientAddress = ((InetSocketAddress) ctx.channel().remoteAddress()).getAddress();
        admitted = proxy.clients.tryOpen(clientAddress);
        if (!admitted) {
            // Refused once its head is read (so the answer is not lost to a reset); until then it is
            // on the head deadline from now, so a held refused connection costs seconds at most.
            headDeadline.start();
        }
        ctx.read();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (tunnel != null) {
            tunnel.fromClient(msg);
            return;
        }
        if (closing) {
            ReferenceCountUtil.release(msg);
            ctx.read(); // lingering: drain what the client still sends until the close
            return;
        }
        if (current != null) {
            // The decoder hands over all it decoded from one read: a pipelined request waits its turn.
            held.add(msg);
            return;
        }
        handle(msg);
    }

    private void handle(Object msg) {
        if (msg instanceof HttpRequest request) {
            headDeadline.headArrived();
            onRequestHead(request);
        }
        if (msg instanceof HttpContent content) {
            if (head == null) {
                ReferenceCountUtil.release(content);
                return;
            }
            onBody(content);
        } else if (!(msg instanceof HttpRequest)) {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequestHead(HttpRequest request) {
        if (!admitted) {
            reject(
                    HttpResponseStatus.TOO_MANY_REQUESTS,
                    "too_many_connections",
                    "more than " + proxy.config.maxConnectionsPerClient + " connections from one address");
            return;
        }
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
        Optional<String> target = RequestChecks.normalizeTarget(request);
        if (target.isPresent()) {
            reject(HttpResponseStatus.BAD_REQUEST, "bad_target", target.get());
            return;
        }
        if (HttpUtil.getContentLength(request, 0L) > proxy.config.maxBodyBytes) {
            tooLarge();
            return;
        }
        boolean http10 = request.protocolVersion().minorVersion() == 0;
        if (http10 && "100-continue".equalsIgnoreCase(request.headers().get(HttpHeaderNames.EXPECT))) {
            // An HTTP/1.0 client cannot know 100 Continue: the expectation is ignored (RFC 9110, 10.1.1).
            request.headers().remove(HttpHeaderNames.EXPECT);
        } else if (request.headers().contains(HttpHeaderNames.EXPECT)) {
            if (!HttpUtil.is100ContinueExpected(request)) {
                reject(HttpResponseStatus.EXPECTATION_FAILED, "expectation_failed", "only 100-continue is supported");
                return;
            }
            request.headers().remove(HttpHeaderNames.EXPECT);
            ctx.writeAndFlush(new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
        }
        head = request;
        keepAlive = HttpUtil.isKeepAlive(request); // before the hop-by-hop Connection header goes
        bodyStart = System.nanoTime();
        lastProgress = bodyStart;
        ctx.read(); // the body's timer starts only if the read ends without it (channelReadComplete)
    }

    private void onBody(HttpContent content) {
        if (content.decoderResult().isFailure()) {
            ReferenceCountUtil.release(content);
            dropRequest();
            reject(HttpResponseStatus.BAD_REQUEST, "malformed_body", "the request body's framing is broken");
            return;
        }
        ByteBuf piece = content.content();
        if (piece.isReadable()) {
            lastProgress = System.nanoTime();
        }
        if ((long) bodyBytes() + piece.readableBytes() > proxy.config.maxBodyBytes) {
            ReferenceCountUtil.release(content);
            dropRequest();
            tooLarge();
            return;
        }
        if (piece.isReadable()) {
            if (body == null) {
                body = ctx.alloc().buffer(Math.max(INITIAL_BODY_BYTES, piece.readableBytes()));
            }
            body.writeBytes(piece);
        }
        ReferenceCountUtil.release(content);
        if (content instanceof LastHttpContent) {
            dispatch();
        } else {
            ctx.read();
        }
    }

    /** The whole request is here: hand it to a node. */
    private void dispatch() {
        HttpRequest h = head;
        ByteBuf b = body == null ? Unpooled.EMPTY_BUFFER : body;
        head = null;
        body = null;
        cancelBodyCheck();
        // Trailers cannot follow a Content-Length body; the nodes use none.
        // The node hears the balancer's own version (RFC 9110 section 6.2), whatever the client spoke.
        FullHttpRequest full = new DefaultFullHttpRequest(
                HttpVersion.HTTP_1_1, h.method(), h.uri(), b, h.headers(), EmptyHttpHeaders.INSTANCE);
        if (!full.headers().contains(HttpHeaderNames.HOST)) {
            full.headers().set(HttpHeaderNames.HOST, ""); // an HTTP/1.0 client's: no authority known
        }
        // The body is whole now: the node gets its length, not the client's chunking.
        full.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
        if (b.isReadable() || full.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
            HttpUtil.setContentLength(full, b.readableBytes());
        }
        String clientIp = clientAddress.getHostAddress();
        boolean hasBody = b.isReadable();
        boolean upgrade = Upgrades.isWebSocket(h);
        Route route = proxy.router.route(full, clientIp);
        HopByHop.strip(full);
        if (upgrade) {
            Upgrades.markUpgrade(full);
        }
        RequestChecks.addForwarded(full, clientIp, proxy.config.tls.isPresent());
        // A refused upgrade closes the connection: the decoder stopped at the upgrade request, and
        // what the client sent after it may be WebSocket frames, not a next request.
        current = new Exchange(
                this, ctx, proxy, full, route, h.protocolVersion(), keepAlive && !upgrade, hasBody, upgrade);
        current.start();
    }

    private void scheduleBodyCheck(long delayNanos) {
        bodyTimer = ctx.executor().schedule(this::checkBodyProgress, delayNanos, TimeUnit.NANOSECONDS);
    }

    /**
     * One timer per request, re-armed for the nearer of two deadlines rather than one per chunk: the
     * end of the allowed pause, and the moment the body's average rate since it began falls below
     * the minimum (after the grace period). Bytes only push either deadline later, so a check that
     * finds neither passed just waits for the nearer one.
     */
    private void checkBodyProgress() {
        bodyTimer = null;
        if (head == null || closing) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastProgress >= proxy.config.bodyIdleTimeout.toNanos()) {
            dropRequest();
            reject(
                    HttpResponseStatus.REQUEST_TIMEOUT,
                    "body_too_slow",
                    "no part of the body for " + proxy.config.bodyIdleTimeout.toMillis() + " ms");
            return;
        }
        if (now - rateDeadline() >= 0) {
            dropRequest();
            reject(
                    HttpResponseStatus.REQUEST_TIMEOUT,
                    "body_too_slow",
                    "the body arrived slower than " + proxy.config.minBodyRate + " bytes/s");
            return;
        }
        scheduleBodyCheck(nextBodyCheck(now) - now);
    }

    /** When the next body check is due, in {@link System#nanoTime()} terms. */
    private long nextBodyCheck(long now) {
        long idleDeadline = lastProgress + proxy.config.bodyIdleTimeout.toNanos();
        long rate = rateDeadline();
        return Math.max(now + 1, idleDeadline - rate < 0 ? idleDeadline : rate);
    }

    /**
     * When the bytes received so far stop being enough for the minimum average rate: the end of the
     * grace period, or later by the time those bytes pay for. Far away when the rule is off.
     */
    private long rateDeadline() {
        long grace = proxy.config.bodyRateGrace.toNanos();
        long rate = proxy.config.minBodyRate;
        if (rate == 0) {
            return bodyStart + Long.MAX_VALUE / 2;
        }
        long paidFor = bodyBytes() * TimeUnit.SECONDS.toNanos(1) / rate; // bytes <= 2^30: no overflow
        return bodyStart + Math.max(grace, paidFor);
    }

    private int bodyBytes() {
        return body == null ? 0 : body.readableBytes();
    }

    /**
     * Everything one read brought has been handled. A body still incomplete now is timed from here
     * on: one timer for the requests that have a body in flight, none for the many whose end came
     * with their head.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        timeBodyIfIncomplete();
        ctx.fireChannelReadComplete();
    }

    private void timeBodyIfIncomplete() {
        if (head != null && bodyTimer == null && !closing) {
            long now = System.nanoTime();
            scheduleBodyCheck(nextBodyCheck(now) - now);
        }
    }

    private void cancelBodyCheck() {
        if (bodyTimer != null) {
            bodyTimer.cancel(false);
            bodyTimer = null;
        }
    }

    private void dropRequest() {
        head = null;
        cancelBodyCheck();
        if (body != null) {
            body.release();
            body = null;
        }
    }

    private void tooLarge() {
        reject(
                HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                "body_too_large",
                "request body exceeds " + proxy.config.maxBodyBytes + " bytes");
    }

    /**
     * Answers and ends the connection: the rest of what the client sends cannot be trusted or is not
     * wanted. The close is a lingering one (as nginx's lingering_close): the answer goes out, then
     * our side's FIN, and what the client still sends is read and dropped for a short while, since
     * closing with unread bytes makes the kernel reset the connection and the client may lose the
     * answer with it.
     */
    private void reject(HttpResponseStatus status, String error, String message) {
        closing = true;
        proxy.metrics.rejected(error);
        FullHttpResponse r = ErrorResponses.json(status, error, message);
        r.headers().set(HttpHeaderNames.CONNECTION, "close");
        ctx.writeAndFlush(r).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess() || !(f.channel() instanceof DuplexChannel duplex)) {
                f.channel().close();
                return;
            }
            duplex.shutdownOutput();
            f.channel().eventLoop().schedule(() -> f.channel().close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
            ctx.read();
        });
    }

    /** The node switched to WebSocket: the exchange is over, and the connection is a tunnel now. */
    void tunnelOpened(Tunnel opened) {
        current = null;
        tunnel = opened;
    }

    /** The exchange is over; go on with the next request or close. */
    void exchangeDone(boolean keepAlive) {
        current = null;
        if (!keepAlive || !ctx.channel().isActive()) {
            releaseHeld();
            ctx.close();
            return;
        }
        headDeadline.awaitHead();
        while (current == null && !closing && !held.isEmpty()) {
            handle(held.poll());
        }
        timeBodyIfIncomplete(); // a pipelined request whose body the held messages did not finish
        if (current == null && !closing) {
            ctx.read();
        }
    }

    private void releaseHeld() {
        Object msg;
        while ((msg = held.poll()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (admitted) {
            admitted = false;
            proxy.clients.closed(clientAddress);
        }
        dropRequest();
        releaseHeld();
        if (current != null) {
            current.clientGone();
            current = null;
        }
        if (tunnel != null) {
            tunnel.clientClosed();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (tunnel != null) {
            if (evt instanceof IdleStateEvent) {
                tunnel.idle();
            }
        } else if (evt == HeadDeadline.EXPIRED && !closing) {
            reject(
                    HttpResponseStatus.REQUEST_TIMEOUT,
                    "head_too_slow",
                    "the request head took over " + proxy.config.headTimeout.toMillis() + " ms");
        } else if (evt instanceof SslHandshakeCompletionEvent handshake && !handshake.isSuccess()) {
            proxy.metrics.rejected("tls_handshake_failed"); // the SslHandler closes the connection
        } else if (evt instanceof IdleStateEvent && current == null && head == null) {
            ctx.close();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("client connection failed: {}", cause.toString());
        ctx.close();
    }
}
