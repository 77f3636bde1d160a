package dev.satchel.balancer;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.cookie.DefaultCookie;
import io.netty.handler.codec.http.cookie.ServerCookieEncoder;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request's trip through the balancer: pick a node, connect (or reuse a pooled connection),
 * stream the body up and the response down with back-pressure, and pin the client if the policy
 * says so. A node that cannot be reached before anything was sent is skipped for the next in the
 * route; a bodiless idempotent request is also retried if its connection dies before an answer; any
 * other failure after sending is a 502, never a second attempt. Runs on the client's event loop.
 */
final class Exchange {
    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);

    private final FrontendHandler frontend;
    private final ChannelHandlerContext client;
    private final ProxyContext proxy;
    private final HttpRequest request;
    private final Route route;
    private final boolean clientKeepAlive;
    private final boolean retriable;
    private final long startNanos = System.nanoTime();
    private final ArrayDeque<HttpContent> pending = new ArrayDeque<>();

    private int attempt;
    private Node node;
    private boolean nodeCounted;
    private Channel backend;
    private boolean requestComplete;
    private boolean responseStarted;
    private boolean backendKeepAlive;
    private boolean done;
    private boolean retryWhenComplete;
    private long bodyBytes;
    private ScheduledFuture<?> responseTimer;

    Exchange(
            FrontendHandler frontend,
            ChannelHandlerContext client,
            ProxyContext proxy,
            HttpRequest request,
            Route route,
            boolean hasBody) {
        this.frontend = frontend;
        this.client = client;
        this.proxy = proxy;
        this.request = request;
        this.route = route;
        this.clientKeepAlive = HttpUtil.isKeepAlive(request);
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
        UpstreamPool pool = proxy.pool(client.channel().eventLoop());
        Channel pooled = pool.pooled(node);
        if (pooled != null) {
            attach(pooled);
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
                attach(f.channel());
            } else {
                // Nothing reached the node, so any request, even a POST, may go elsewhere.
                uncount();
                target.passiveFailure("connect: " + f.cause().getMessage());
                tryNextNode();
            }
        });
    }

    private void attach(Channel channel) {
        backend = channel;
        channel.pipeline().get(BackendHandler.class).bind(this);
        ChannelFuture written = channel.write(request);
        while (!pending.isEmpty()) {
            written = channel.write(pending.poll());
        }
        if (retriable && requestComplete) {
            written = channel.write(LastHttpContent.EMPTY_LAST_CONTENT);
        }
        channel.flush();
        written.addListener(this::onWritten);
        responseTimer = channel.eventLoop()
                .schedule(this::responseTimedOut, proxy.config.responseTimeout.toMillis(), TimeUnit.MILLISECONDS);
        channel.read();
        if (!requestComplete) {
            client.read();
        }
    }

    private void onWritten(io.netty.util.concurrent.Future<? super Void> f) {
        if (!f.isSuccess()) {
            backendFailed("write failed: " + f.cause().getMessage());
        }
    }

    /** A piece of the request body arrived from the client. */
    void fromClient(HttpContent content) {
        if (done) {
            ReferenceCountUtil.release(content);
            return;
        }
        bodyBytes += content.content().readableBytes();
        boolean last = content instanceof LastHttpContent;
        if (bodyBytes > proxy.config.maxBodyBytes) {
            ReferenceCountUtil.release(content);
            proxy.metrics.rejected("body_too_large");
            abort(
                    HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "body_too_large",
                    "request body exceeds " + proxy.config.maxBodyBytes + " bytes");
            return;
        }
        if (retriable) {
            // A bodiless request: the exchange writes the end marker itself to every attempt.
            ReferenceCountUtil.release(content);
            if (!last) {
                return;
            }
            requestComplete = true;
            if (backend != null) {
                backend.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(this::onWritten);
            } else if (retryWhenComplete) {
                retryWhenComplete = false;
                tryNextNode();
            }
            return;
        }
        if (last) {
            requestComplete = true;
        }
        if (backend == null) {
            pending.add(content);
            return;
        }
        backend.writeAndFlush(content).addListener(f -> {
            if (!f.isSuccess()) {
                backendFailed("write failed: " + f.cause().getMessage());
            } else if (!last && !done) {
                client.read(); // back-pressure: the next chunk only once this one is out
            }
        });
    }

    /** A piece of the response arrived from the node. */
    void fromBackend(Object msg) {
        if (done) {
            ReferenceCountUtil.release(msg);
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

    private void onResponseHead(HttpResponse response) {
        responseStarted = true;
        if (responseTimer != null) {
            responseTimer.cancel(false);
        }
        int status = response.status().code();
        if (status >= 500) {
            node.passiveFailure("answered " + status);
        } else {
            node.passiveSuccess();
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
        HttpUtil.setKeepAlive(response, clientKeepAlive && requestComplete);
    }

    private void finish() {
        done = true;
        proxy.metrics.latency.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        uncount();
        BackendHandler handler = backend.pipeline().get(BackendHandler.class);
        if (handler != null) {
            handler.unbind();
        }
        if (backendKeepAlive && requestComplete) {
            proxy.pool(client.channel().eventLoop()).release(node, backend);
        } else {
            backend.close();
        }
        releasePending();
        frontend.exchangeDone(clientKeepAlive && requestComplete);
    }

    /** The upstream connection failed or closed. */
    void backendFailed(String why) {
        if (done) {
            return;
        }
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
        if (responseStarted) {
            LOG.debug("node {} failed mid-response: {}", node.name(), why);
            done = true;
            uncount();
            releasePending();
            client.close(); // the client has part of a response; only closing tells it so
            return;
        }
        node.passiveFailure(why);
        uncount();
        if (retriable) {
            if (requestComplete) {
                tryNextNode();
            } else {
                retryWhenComplete = true; // the end marker is still on its way from the client
                client.read();
            }
            return;
        }
        fail(HttpResponseStatus.BAD_GATEWAY, "node_failed", "node " + node.name() + " failed before answering");
    }

    private void responseTimedOut() {
        if (done || responseStarted) {
            return;
        }
        node.passiveFailure("no answer within " + proxy.config.responseTimeout);
        Channel slow = backend;
        backend = null;
        if (slow != null) {
            slow.pipeline().get(BackendHandler.class).unbind();
            slow.close();
        }
        uncount();
        fail(
                HttpResponseStatus.GATEWAY_TIMEOUT,
                "node_timeout",
                "node " + node.name() + " did not answer within " + proxy.config.responseTimeout.toSeconds() + " s");
    }

    /** The client went away: drop everything. */
    void clientGone() {
        if (done) {
            return;
        }
        done = true;
        uncount();
        if (backend != null) {
            backend.pipeline().get(BackendHandler.class).unbind();
            backend.close();
        }
        releasePending();
    }

    /** Refuses the request mid-body: answer, and close, since the rest of the body is unread. */
    private void abort(HttpResponseStatus status, String error, String message) {
        if (backend != null) {
            backend.pipeline().get(BackendHandler.class).unbind();
            backend.close();
            backend = null;
        }
        if (responseStarted) {
            done = true;
            uncount();
            client.close();
            return;
        }
        requestComplete = false; // forces the close below
        fail(status, error, message);
    }

    private void fail(HttpResponseStatus status, String error, String message) {
        done = true;
        uncount();
        releasePending();
        proxy.metrics.rejected(error);
        FullHttpResponse r = ErrorResponses.json(status, error, message);
        // A bodiless request has nothing left unread but its end marker, which the frontend drops.
        boolean keep = clientKeepAlive && (requestComplete || retriable);
        HttpUtil.setKeepAlive(r, keep);
        client.writeAndFlush(r).addListener(f -> frontend.exchangeDone(keep && f.isSuccess()));
    }

    private void uncount() {
        if (nodeCounted) {
            nodeCounted = false;
            node.active.decrementAndGet();
        }
    }

    private void releasePending() {
        HttpContent c;
        while ((c = pending.poll()) != null) {
            ReferenceCountUtil.release(c);
        }
    }
}
