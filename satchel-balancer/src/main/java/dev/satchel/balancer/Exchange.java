package dev.satchel.balancer;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.cookie.DefaultCookie;
import io.netty.handler.codec.http.cookie.ServerCookieEncoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request's trip through the balancer: pick a node, connect (or reuse a pooled connection),
 * send the request, which the frontend has read whole, and stream the response down with
 * back-pressure, pinning the client if the policy says so. A node that cannot be reached is skipped
 * for the next in the route; a bodiless idempotent request is also retried if its connection dies
 * before an answer; any other failure after sending is a 502, never a second attempt. Runs on the
 * client's event loop.
 *
 * <p>Passive health blames a node only for what is the node's doing: a failed or timed-out
 * connect, no answer in time, a malformed answer, or a connection it opened fresh and dropped after
 * taking the whole request. A client that goes away, a request the node cut off while it was still
 * being sent (a body it refused), and a pooled connection the node had already closed (the
 * keep-alive race) do not count; 5xx answers count only if the operator asks (observe5xx).
 */
final class Exchange {
    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);
    /** The reason a Satchel node gives when its session store, not the node, is down. */
    private static final String STORE_UNAVAILABLE = "\"session_store_unavailable\"";

    private final FrontendHandler frontend;
    private final ChannelHandlerContext client;
    private final ProxyContext proxy;
    private final FullHttpRequest request;
    private final Route route;
    private final boolean clientKeepAlive;
    private final boolean retriable;
    private final long startNanos = System.nanoTime();

    private int attempt;
    private Node node;
    private boolean nodeCounted;
    private Channel backend;
    private boolean reused;
    private boolean requestSent;
    private boolean responseStarted;
    private boolean verdictPending;
    private boolean backendKeepAlive;
    private boolean done;
    private ScheduledFuture<?> responseTimer;

    Exchange(
            FrontendHandler frontend,
            ChannelHandlerContext client,
            ProxyContext proxy,
            FullHttpRequest request,
            Route route,
            boolean clientKeepAlive,
            boolean hasBody) {
        this.frontend = frontend;
        this.client = client;
        this.proxy = proxy;
        this.request = request;
        this.route = route;
        this.clientKeepAlive = clientKeepAlive;
        this.retriable = RequestChecks.isRetriable(request, hasBody);
    }

    void start() {
        tryNextNode();
    }

    private void tryNextNode() {
        if (attempt >= route.candidates().size()) {
            boolean none = route.candidates().isEmpty();
            fail(
                    none ? HttpResponseStatus.SERVICE_UNAVAILABLE : HttpResponseStatus.BAD_GATEWAY,
                    none ? "no_node_available" : "no_node_answered",
                    none ? "no node is up" : "every node that could take this request failed");
            return;
        }
        if (attempt > 0) {
            node.redispatches.increment();
            proxy.metrics.redispatches.increment();
        }
        node = route.candidates().get(attempt++);
        node.active.incrementAndGet();
        nodeCounted = true;
        requestSent = false;
        UpstreamPool pool = proxy.pool(client.channel().eventLoop());
        Channel pooled = pool.pooled(node);
        if (pooled != null) {
            attach(pooled, true);
            return;
        }
        Node target = node;
        pool.connect(target).addListener((ChannelFuture f) -> {
            if (done) {
                if (f.isSuccess()) {
                    f.channel().close();
                }
                return;
            }
            if (f.isSuccess()) {
                attach(f.channel(), false);
            } else {
                // Nothing reached the node, so any request, even a POST, may go elsewhere.
                uncount();
                target.passiveFailure("connect: " + f.cause().getMessage());
                tryNextNode();
            }
        });
    }

    private void attach(Channel channel, boolean fromPool) {
        backend = channel;
        reused = fromPool;
        channel.pipeline().get(BackendHandler.class).bind(this);
        // A duplicate per attempt: a retry sends the same bytes again.
        channel.writeAndFlush(request.retainedDuplicate()).addListener(f -> {
            if (f.isSuccess()) {
                requestSent = true;
            } else {
                backendFailed("write failed: " + f.cause().getMessage());
            }
        });
        responseTimer = channel.eventLoop()
                .schedule(this::responseTimedOut, proxy.config.responseTimeout.toMillis(), TimeUnit.MILLISECONDS);
        channel.read();
    }

    /** A piece of the response arrived from the node. */
    void fromBackend(Object msg) {
        if (done) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof DecoderResultProvider decoded
                && decoded.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            malformedResponse(decoded.decoderResult().cause());
            return;
        }
        if (msg instanceof HttpResponse response) {
            if (response.status().code() == 100) {
                ReferenceCountUtil.release(msg); // we already answered 100 Continue ourselves
                backend.read();
                return;
            }
            onResponseHead(response);
        }
        boolean last = msg instanceof LastHttpContent;
        if (!(msg instanceof HttpContent)) {
            // The head alone: hold it and send it with the first piece of body, in one write.
            client.write(msg).addListener(f -> {
                if (!f.isSuccess()) {
                    clientGone();
                }
            });
            backend.read();
            return;
        }
        if (verdictPending) {
            verdictPending = false;
            judge5xx(((HttpContent) msg).content());
        }
        client.writeAndFlush(msg).addListener(f -> {
            if (!f.isSuccess()) {
                clientGone();
            } else if (last) {
                finish();
            } else if (!done) {
                backend.read(); // back-pressure: read on only once the client took this part
            }
        });
    }

    /** With observe5xx: a 5xx counts against the node unless its body says the store is down. */
    private void judge5xx(ByteBuf firstPart) {
        if (firstPart.toString(StandardCharsets.UTF_8).contains(STORE_UNAVAILABLE)) {
            node.passiveSuccess(); // the node answered sensibly; every node shares that store
        } else {
            node.passiveFailure("answered 5xx");
        }
    }

    private void onResponseHead(HttpResponse response) {
        responseStarted = true;
        if (responseTimer != null) {
            responseTimer.cancel(false);
        }
        int status = response.status().code();
        if (status >= 500 && proxy.config.observe5xx) {
            verdictPending = true; // decided on the body's first part, which carries the reason
        } else {
            node.passiveSuccess(); // an answer, even a 5xx, shows the node itself works
        }
        node.requests.increment();
        proxy.metrics.response(node, status);
        backendKeepAlive = HttpUtil.isKeepAlive(response);
        RequestChecks.stripHopByHop(response);
        if (route.pins() && !route.pinnedTo().filter(node.name()::equals).isPresent()) {
            DefaultCookie cookie = new DefaultCookie(proxy.config.affinityCookie, proxy.affinity.valueFor(node.name()));
            cookie.setPath("/");
            cookie.setHttpOnly(true);
            cookie.setSecure(proxy.config.cookieSecure);
            String header = ServerCookieEncoder.STRICT.encode(cookie) + "; SameSite=" + proxy.config.cookieSameSite;
            response.headers().add(HttpHeaderNames.SET_COOKIE, header);
        }
        boolean bodyless = request.method().equals(HttpMethod.HEAD) || status == 204 || status == 304 || status < 200;
        if (!bodyless && !HttpUtil.isContentLengthSet(response) && !HttpUtil.isTransferEncodingChunked(response)) {
            HttpUtil.setTransferEncodingChunked(response, true); // a node that ends its body by closing
        }
        HttpUtil.setKeepAlive(response, clientKeepAlive);
    }

    private void finish() {
        done = true;
        proxy.metrics.latency.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        uncount();
        BackendHandler handler = backend.pipeline().get(BackendHandler.class);
        if (handler != null) {
            handler.unbind();
        }
        if (backendKeepAlive) {
            proxy.pool(client.channel().eventLoop()).release(node, backend);
        } else {
            backend.close();
        }
        request.release();
        frontend.exchangeDone(clientKeepAlive);
    }

    /** The node's answer could not be parsed: the node's fault. */
    private void malformedResponse(Throwable cause) {
        node.passiveFailure("malformed response: " + cause.getMessage());
        dropBackend();
        if (responseStarted) {
            abandon();
            return;
        }
        uncount();
        fail(HttpResponseStatus.BAD_GATEWAY, "bad_response", "node " + node.name() + " sent a malformed response");
    }

    /** The upstream connection failed or closed. */
    void backendFailed(String why) {
        if (done) {
            return;
        }
        dropBackend();
        if (responseStarted) {
            LOG.debug("node {} failed mid-response: {}", node.name(), why);
            abandon();
            return;
        }
        if (requestSent && !reused) {
            node.passiveFailure(why);
        } else {
            // Cut off mid-request (a body the node refused) or a pooled connection it had closed.
            LOG.debug("node {} dropped the connection, not counted: {}", node.name(), why);
        }
        uncount();
        if (retriable) {
            tryNextNode();
            return;
        }
        fail(HttpResponseStatus.BAD_GATEWAY, "node_failed", "node " + node.name() + " failed before answering");
    }

    private void responseTimedOut() {
        if (done || responseStarted) {
            return;
        }
        node.passiveFailure("no answer within " + proxy.config.responseTimeout);
        dropBackend();
        uncount();
        fail(
                HttpResponseStatus.GATEWAY_TIMEOUT,
                "node_timeout",
                "node " + node.name() + " did not answer within " + proxy.config.responseTimeout.toSeconds() + " s");
    }

    /** The client went away: drop everything. Not the node's doing, so nothing is counted. */
    void clientGone() {
        if (done) {
            return;
        }
        done = true;
        uncount();
        dropBackend();
        request.release();
    }

    private void dropBackend() {
        if (responseTimer != null) {
            responseTimer.cancel(false);
        }
        Channel failed = backend;
        backend = null;
        if (failed != null) {
            BackendHandler handler = failed.pipeline().get(BackendHandler.class);
            if (handler != null) {
                handler.unbind();
            }
            failed.close();
        }
    }

    /** The client has part of a response; only closing tells it the rest is not coming. */
    private void abandon() {
        done = true;
        uncount();
        request.release();
        client.close();
    }

    private void fail(HttpResponseStatus status, String error, String message) {
        done = true;
        uncount();
        request.release();
        proxy.metrics.rejected(error);
        FullHttpResponse r = ErrorResponses.json(status, error, message);
        HttpUtil.setKeepAlive(r, clientKeepAlive); // the request was read whole: the connection is clean
        client.writeAndFlush(r).addListener(f -> frontend.exchangeDone(clientKeepAlive && f.isSuccess()));
    }

    private void uncount() {
        if (nodeCounted) {
            nodeCounted = false;
            node.active.decrementAndGet();
        }
    }
}
