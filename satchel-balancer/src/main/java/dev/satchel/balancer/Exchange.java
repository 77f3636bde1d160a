// Over 500 lines because it is one state machine: the retry, timeout, interim, framing and switch
// decisions all read and change the same few fields, and split apart they would each need the whole
// of them.
package dev.satchel.balancer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
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
 *
 * <p>Interim (1xx) responses pass to HTTP/1.1 clients and never end the exchange. A final head the
 * balancer may not forward is a 502 while nothing of it has reached the client. An upstream
 * connection goes back to the pool only if its response ended exactly where its framing said, so
 * no byte of one response can become the start of the next client's.
 *
 * <p>A WebSocket upgrade request is routed as any other request of its session. If the node
 * answers 101 to WebSocket, the exchange ends there and both connections become a {@link Tunnel};
 * any other answer is forwarded and the client connection closes after it.
 */
final class Exchange implements UpstreamReader {
    private static final Logger LOG = LoggerFactory.getLogger(Exchange.class);
    /** The reason a Satchel node gives when its session store, not the node, is down. */
    private static final String STORE_UNAVAILABLE = "\"session_store_unavailable\"";

    private final FrontendHandler frontend;
    private final ChannelHandlerContext client;
    private final ProxyContext proxy;
    private final FullHttpRequest request;
    private final Route route;
    private final HttpVersion clientVersion;
    /** Whether the client connection stays open; off when an HTTP/1.0 client's body ends by the close. */
    private boolean clientKeepAlive;

    private final boolean retriable;
    /** The request asks to switch to WebSocket, so a 101 to WebSocket is the answer it wants. */
    private final boolean upgrade;

    private final long startNanos = System.nanoTime();

    private int attempt;
    private Node node;
    private boolean nodeCounted;
    private Channel backend;
    private UpstreamDecoder decoder;
    private boolean reused;
    private boolean requestSent;
    private boolean responseStarted;
    private boolean verdictPending;
    /** The final response's head, held to go out with the first part of its body. */
    private HttpResponse heldHead;
    /** An interim (1xx) head was read: the empty end the decoder gives it is not the response's end. */
    private boolean interimEnd;

    private boolean responseEnded;
    /** Whether the upstream connection may serve another request once this one is done. */
    private boolean reusable;

    private boolean done;
    private ScheduledFuture<?> responseTimer;
    /** A read of the node was asked for and nothing has come since: only then is a silence the node's. */
    private boolean awaitingNode;
    /** When that read was asked for ({@link System#nanoTime()}). */
    private long askedAt;
    /** When the last part was handed to the client; while no read is asked for, the client has it. */
    private long handedToClientAt = startNanos;

    Exchange(
            FrontendHandler frontend,
            ChannelHandlerContext client,
            ProxyContext proxy,
            FullHttpRequest request,
            Route route,
            HttpVersion clientVersion,
            boolean clientKeepAlive,
            boolean hasBody,
            boolean upgrade) {
        this.frontend = frontend;
        this.client = client;
        this.proxy = proxy;
        this.request = request;
        this.route = route;
        this.clientVersion = clientVersion;
        this.clientKeepAlive = clientKeepAlive;
        this.retriable = RequestChecks.isRetriable(request, hasBody);
        this.upgrade = upgrade;
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
        decoder = channel.pipeline().get(UpstreamDecoder.class);
        decoder.expectResponseTo(request.method());
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
        readNode(channel);
    }

    /** A piece of the response arrived from the node. */
    @Override
    public void fromBackend(Object msg) {
        awaitingNode = false;
        if (done) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (responseEnded) {
            // More after the response's end belongs to no request: never let it reach the next one.
            ReferenceCountUtil.release(msg);
            reusable = false;
            return;
        }
        if (msg instanceof DecoderResultProvider decoded
                && decoded.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            malformedResponse(String.valueOf(decoded.decoderResult().cause().getMessage()));
            return;
        }
        if (interimEnd && msg instanceof LastHttpContent) {
            interimEnd = false; // the read on was asked for with the interim head
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpResponse response) {
            int code = response.status().code();
            if (code >= 100 && code < 200 && code != 101) {
                interim(response);
                return;
            }
            if (upgrade && Upgrades.switchesToWebSocket(response)) {
                switchProtocols(response);
                return;
            }
            Optional<String> problem = ResponseHeads.problem(response);
            if (problem.isPresent()) {
                ReferenceCountUtil.release(msg);
                malformedResponse(problem.get());
                return;
            }
            onResponseHead(response);
        } else if (!responseStarted) {
            ReferenceCountUtil.release(msg);
            malformedResponse("a body before any response head");
            return;
        }
        if (!(msg instanceof HttpContent)) {
            heldHead = (HttpResponse) msg; // sent with the first piece of body, in one write
            readNode(backend);
            return;
        }
        boolean last = msg instanceof LastHttpContent;
        if (last) {
            responseEnded = true;
            reusable &= !decoder.hasUnreadBytes(); // bytes past the end: a body the node should not have sent
        }
        if (verdictPending) {
            verdictPending = false;
            judge5xx(((HttpContent) msg).content());
        }
        if (heldHead != null) {
            client.write(heldHead).addListener(f -> {
                if (!f.isSuccess()) {
                    clientGone();
                }
            });
            heldHead = null;
        }
        handedToClientAt = System.nanoTime();
        client.writeAndFlush(msg).addListener(f -> {
            if (!f.isSuccess()) {
                clientGone();
            } else if (last) {
                finish();
            } else if (!done) {
                readNode(backend); // back-pressure: read on only once the client took this part
            }
        });
    }

    /**
     * A 1xx before the final response (RFC 9110 section 15.2): passed on to an HTTP/1.1 client, which
     * must accept it, never to an HTTP/1.0 one, which cannot. A node's own 100 is dropped: the
     * balancer answered any Expect itself. The response timer goes on, since no answer has come yet.
     */
    private void interim(HttpResponse response) {
        interimEnd = true;
        if (response.status().code() != 100 && clientVersion.minorVersion() > 0) {
            Channel from = backend;
            HopByHop.strip(response);
            handedToClientAt = System.nanoTime();
            client.writeAndFlush(new DefaultFullHttpResponse(
                            HttpVersion.HTTP_1_1,
                            response.status(),
                            Unpooled.EMPTY_BUFFER,
                            response.headers(),
                            EmptyHttpHeaders.INSTANCE))
                    .addListener(f -> {
                        if (!f.isSuccess()) {
                            clientGone();
                        } else if (!done && from == backend) {
                            readNode(from); // back-pressure: a node cannot queue up 1xx faster than they go
                        }
                    });
            return;
        }
        readNode(backend);
    }

    private void readNode(Channel channel) {
        awaitingNode = true;
        askedAt = System.nanoTime();
        channel.read();
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
        responseStarted = true; // the timer goes on, now timing the node's pauses in the body
        int status = response.status().code();
        if (status >= 500 && proxy.config.observe5xx) {
            verdictPending = true; // decided on the body's first part, which carries the reason
        } else {
            node.passiveSuccess(); // an answer, even a 5xx, shows the node itself works
        }
        node.requests.increment();
        proxy.metrics.response(node, status);
        reusable = HttpUtil.isKeepAlive(response) && !decoder.framedAForbiddenBody();
        HopByHop.strip(response);
        response.setProtocolVersion(HttpVersion.HTTP_1_1); // our own version (RFC 9110 section 6.2)
        pinIfAsked(response);
        clientKeepAlive = ResponseHeads.frameForClient(
                response, request.method().equals(HttpMethod.HEAD), clientVersion, clientKeepAlive);
    }

    /** Sets the affinity cookie when the policy pins and the client is not pinned to this node yet. */
    private void pinIfAsked(HttpResponse response) {
        if (route.pins() && !route.pinnedTo().filter(node.name()::equals).isPresent()) {
            response.headers()
                    .add(HttpHeaderNames.SET_COOKIE, proxy.affinity.setCookieHeader(node.name(), proxy.config));
        }
    }

    /**
     * The node switched to WebSocket: the 101 goes to the client, with the affinity cookie if the
     * policy pins, and the two connections become a tunnel, which keeps the node's active count.
     */
    private void switchProtocols(HttpResponse response) {
        done = true;
        if (responseTimer != null) {
            responseTimer.cancel(false);
        }
        node.passiveSuccess();
        node.requests.increment();
        proxy.metrics.response(node, 101);
        proxy.metrics.latency.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        HopByHop.strip(response);
        Upgrades.markUpgrade(response);
        pinIfAsked(response);
        nodeCounted = false; // handed to the tunnel, which gives it back when it closes
        request.release();
        Tunnel tunnel = new Tunnel(proxy, client, backend, node);
        backend = null;
        frontend.tunnelOpened(tunnel);
        tunnel.open(response);
    }

    private void finish() {
        done = true;
        if (responseTimer != null) {
            responseTimer.cancel(false);
        }
        proxy.metrics.latency.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        uncount();
        BackendHandler handler = backend.pipeline().get(BackendHandler.class);
        if (handler != null) {
            handler.unbind();
        }
        if (reusable && !decoder.hasUnreadBytes()) {
            proxy.pool(client.channel().eventLoop()).release(node, backend);
        } else {
            backend.close();
        }
        request.release();
        frontend.exchangeDone(clientKeepAlive);
    }

    /** The node's answer could not be parsed or may not be forwarded: the node's fault. */
    private void malformedResponse(String why) {
        node.passiveFailure("malformed response: " + why);
        dropBackend();
        if (responseStarted && heldHead == null) {
            abandon();
            return;
        }
        heldHead = null; // nothing of it reached the client yet: a 502 can still replace it
        uncount();
        fail(HttpResponseStatus.BAD_GATEWAY, "bad_response", "node " + node.name() + " sent a malformed response");
    }

    /** The upstream connection failed or closed. */
    @Override
    public void backendFailed(String why) {
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

    /**
     * Until the response head, the node has the response timeout for all of it, 1xx included. After
     * it, the same time for each pause in the body, counted only while the balancer waits to read: a
     * pause while a slow client takes the last part is not the node's. A node that stops mid-body
     * (a hung thread, never closing) would otherwise leave its client waiting forever.
     */
    private void responseTimedOut() {
        responseTimer = null;
        if (done) {
            return;
        }
        if (responseStarted) {
            long now = System.nanoTime();
            long timeout = proxy.config.responseTimeout.toNanos();
            long clientLimit = proxy.config.clientIdleTimeout.toNanos();
            if (!awaitingNode) {
                // The client has not taken the last part: a reader that never reads would hold this
                // upstream connection, and the node's thread writing to it, for as long as it liked.
                long stuck = now - handedToClientAt;
                if (stuck >= clientLimit) {
                    LOG.debug("client took nothing for {}, dropping the exchange", proxy.config.clientIdleTimeout);
                    proxy.metrics.rejected("client_too_slow");
                    clientGone();
                    client.close();
                    return;
                }
                rearm(Math.min(timeout, clientLimit - stuck));
                return;
            }
            long silent = now - askedAt;
            if (silent < timeout) {
                rearm(timeout - silent);
                return;
            }
            node.passiveFailure("no part of the body within " + proxy.config.responseTimeout);
            LOG.debug("node {} stopped mid-response", node.name());
            dropBackend();
            abandon();
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

    private void rearm(long nanos) {
        responseTimer = backend.eventLoop().schedule(this::responseTimedOut, nanos, TimeUnit.NANOSECONDS);
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
        // The request was read whole: the connection is clean.
        HopByHop.markConnection(r, clientVersion, clientKeepAlive);
        client.writeAndFlush(r).addListener(f -> frontend.exchangeDone(clientKeepAlive && f.isSuccess()));
    }

    private void uncount() {
        if (nodeCounted) {
            nodeCounted = false;
            node.active.decrementAndGet();
        }
    }
}
