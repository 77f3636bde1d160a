package dev.satchel.balancer;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * The end of an upstream connection's pipeline: hands the node's response to the exchange the
 * connection currently serves, or its bytes to the tunnel it became. Between exchanges the
 * connection sits in the pool, unbound.
 */
final class BackendHandler extends ChannelInboundHandlerAdapter {
    private UpstreamReader reader;

    void bind(UpstreamReader reader) {
        this.reader = reader;
    }

    void unbind() {
        this.reader = null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (reader == null) {
            ReferenceCountUtil.release(msg); // a node talking out of turn: drop it, and the connection
            ctx.close();
            return;
        }
        reader.fromBackend(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (reader != null) {
            reader.backendFailed("the node closed the connection");
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (reader != null) {
            reader.backendFailed(String.valueOf(cause.getMessage()));
        }
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && reader == null) {
            ctx.close(); // idle in the pool for too long
        }
    }
}
