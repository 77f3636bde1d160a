package dev.satchel.balancer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client connection and an upstream one joined after the node switched to WebSocket: bytes pass
 * both ways untouched until either side closes. Each side reads its next bytes only once the other
 * side has taken the last ones, so a fast sender cannot fill the balancer's memory behind a slow
 * reader. Both connections run on the client's event loop, so nothing here needs a lock.
 *
 * <p>The tunnel ends when either side closes or fails, when it carries nothing either way for the
 * tunnel idle timeout, and when its node is removed or its drain deadline passes (a drain leaves
 * open tunnels alone until then). While it is open it counts as one active request on its node, so
 * least-connections sees a node's open WebSockets as load.
 */
final class Tunnel implements UpstreamReader {
    private static final Logger LOG = LoggerFactory.getLogger(Tunnel.class);
    /** How often a tunnel looks at its node's drain deadline. */
    private static final long DRAIN_CHECK_MILLIS = 1000;

    private final ProxyContext proxy;
    private final ChannelHandlerContext client;
    private final Channel backend;
    private final Node node;
    /** The node's first bytes, which may come with its 101, held until the client has the 101. */
    private final ArrayDeque<ByteBuf> early = new ArrayDeque<>();

    private boolean started;
    private boolean closed;
    private ScheduledFuture<?> drainCheck;

    Tunnel(ProxyContext proxy, ChannelHandlerContext client, Channel backend, Node node) {
        this.proxy = proxy;
        this.client = client;
        this.backend = backend;
        this.node = node;
    }

    /**
     * Takes over the upstream connection and sends the node's 101 to the client; the bytes start to
     * flow once the client has it.
     */
    void open(HttpResponse switchHead) {
        proxy.metrics.tunnelOpened();
        backend.pipeline().get(BackendHandler.class).bind(this);
        ChannelPipeline upstream = backend.pipeline();
        upstream.remove(IdleStateHandler.class); // the pool's idle timer; the client side times tunnels
        upstream.remove(HttpRequestEncoder.class);
        client.writeAndFlush(new DefaultFullHttpResponse(
                        HttpVersion.HTTP_1_1,
                        switchHead.status(),
                        Unpooled.EMPTY_BUFFER,
                        switchHead.headers(),
                        EmptyHttpHeaders.INSTANCE))
                .addListener(f -> {
                    if (f.isSuccess()) {
                        start();
                    } else {
                        close("the client went away before the switch");
                    }
                });
    }

    private void start() {
        if (closed) {
            return;
        }
        if (!client.channel().isActive() || !backend.isActive()) {
            close("a side closed during the switch");
            return;
        }
        started = true;
        ChannelPipeline front = client.pipeline();
        front.remove(HeadDeadline.class);
        front.replace(
                IdleStateHandler.class,
                "tunnel-idle",
                new IdleStateHandler(0, 0, proxy.config.tunnelIdleTimeout.toMillis(), TimeUnit.MILLISECONDS));
        front.remove(HttpResponseEncoder.class);
        // Removing the decoders hands what they still hold, the first bytes of the new protocol, on
        // to the handlers after them, and from there to this tunnel.
        front.remove(StrictRequestDecoder.class);
        ByteBuf held;
        while (!closed && (held = early.poll()) != null) {
            toClient(held);
        }
        backend.pipeline().remove(UpstreamDecoder.class); // after the early bytes, which came first
        drainCheck = client.executor()
                .scheduleAtFixedRate(this::checkNode, DRAIN_CHECK_MILLIS, DRAIN_CHECK_MILLIS, TimeUnit.MILLISECONDS);
        client.read();
        backend.read();
    }

    /** Bytes from the client, for the node. */
    void fromClient(Object msg) {
        if (closed || !(msg instanceof ByteBuf bytes)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        backend.writeAndFlush(bytes).addListener(f -> {
            if (!f.isSuccess()) {
                close("write to the node failed");
            } else if (!closed) {
                client.read();
            }
        });
    }

    @Override
    public void fromBackend(Object msg) {
        if (closed || msg instanceof HttpObject || !(msg instanceof ByteBuf bytes)) {
            ReferenceCountUtil.release(msg); // the empty end the decoder gives a 101
            if (!closed && started) {
                backend.read();
            }
            return;
        }
        if (!started) {
            early.add(bytes);
            return;
        }
        toClient(bytes);
    }

    private void toClient(ByteBuf bytes) {
        client.writeAndFlush(bytes).addListener(f -> {
            if (!f.isSuccess()) {
                close("write to the client failed");
            } else if (!closed) {
                backend.read();
            }
        });
    }

    @Override
    public void backendFailed(String why) {
        close("node side: " + why);
    }

    void clientClosed() {
        close("client side closed");
    }

    void idle() {
        proxy.metrics.rejected("tunnel_idle");
        close("nothing either way for " + proxy.config.tunnelIdleTimeout);
    }

    private void checkNode() {
        if (node.drainOver()) {
            close("its node's drain deadline passed");
        } else if (!proxy.nodes.all().contains(node)) {
            close("its node was removed");
        }
    }

    private void close(String why) {
        if (closed) {
            return;
        }
        closed = true;
        LOG.debug("tunnel to {} closed: {}", node.name(), why);
        if (drainCheck != null) {
            drainCheck.cancel(false);
        }
        ByteBuf held;
        while ((held = early.poll()) != null) {
            held.release();
        }
        node.active.decrementAndGet();
        proxy.metrics.tunnelClosed();
        BackendHandler handler = backend.pipeline().get(BackendHandler.class);
        if (handler != null) {
            handler.unbind();
        }
        backend.close();
        client.close();
    }
}
