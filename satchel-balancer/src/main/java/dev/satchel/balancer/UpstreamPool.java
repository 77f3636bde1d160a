package dev.satchel.balancer;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive connections to the nodes, one pool per event loop, so a client's request and its
 * upstream connection run on the same thread and the pool needs no lock. Confined to its loop.
 */
final class UpstreamPool {
    /** Idle connections kept per node; more are closed on release. */
    private static final int MAX_IDLE_PER_NODE = 64;
    /** Idle pooled connections are closed after this, before a node's own keep-alive timeout. */
    private static final int IDLE_SECONDS = 20;

    private final EventLoop loop;
    private final int connectTimeoutMillis;
    private final int maxResponseHeaderBytes;
    private final Map<String, ArrayDeque<Channel>> idle = new HashMap<>();

    UpstreamPool(EventLoop loop, int connectTimeoutMillis, int maxResponseHeaderBytes) {
        this.loop = loop;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.maxResponseHeaderBytes = maxResponseHeaderBytes;
    }

    /** Returns an idle connection to the node, if one is still open and the node said nothing on it. */
    Channel pooled(Node node) {
        ArrayDeque<Channel> q = idle.get(node.name());
        Channel c;
        while (q != null && (c = q.pollFirst()) != null) {
            if (c.isActive() && !c.pipeline().get(UpstreamDecoder.class).hasUnreadBytes()) {
                return c;
            }
            c.close();
        }
        return null;
    }

    /** Opens a new connection to the node; the pipeline ends in a {@link BackendHandler}. */
    ChannelFuture connect(Node node) {
        return new Bootstrap()
                .group(loop)
                .channel(Transport.clientChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline()
                                .addLast(new IdleStateHandler(IDLE_SECONDS, 0, 0, TimeUnit.SECONDS))
                                .addLast(new HttpRequestEncoder())
                                .addLast(new UpstreamDecoder(maxResponseHeaderBytes))
                                .addLast(new BackendHandler());
                    }
                })
                .connect(node.address.host(), node.address.port());
    }

    /** Returns a connection whose exchange completed cleanly, for the next request to the node. */
    void release(Node node, Channel channel) {
        ArrayDeque<Channel> q = idle.computeIfAbsent(node.name(), k -> new ArrayDeque<>());
        if (!channel.isActive() || q.size() >= MAX_IDLE_PER_NODE) {
            channel.close();
            return;
        }
        q.addFirst(channel); // most recently used first: warm connections stay warm
        // Listen while idle: whatever the node sends now answers no request, and its handler closes
        // the connection on it, before a request could take it for its own answer.
        channel.read();
    }
}
