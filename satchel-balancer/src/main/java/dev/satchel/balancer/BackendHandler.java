package dev.satchel.balancer;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;

/**
 * The end of an upstream connection's pipeline: hands the node's response to the exchange the
 * connection currently serves. Between exchanges the connection sits in the pool, unbound.
 */
final class BackendHandler extends ChannelInboundHandlerAdapter {
    private Exchange exchange;

    void bind(Exchange exchange) {
        this.exchange = exchange;
    }

    void unbind() {
        this.exchange = null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (exchange == null) {
            ReferenceCountUtil.release(msg); // a node talking out of turn: drop it, and the connection
            ctx.close();
            return;
        }
        exchange.fromBackend(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (exchange != null) {
            exchange.backendFailed("the node closed the connection");
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (exchange != null) {
            exchange.backendFailed(String.valueOf(cause.getMessage()));
        }
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && exchange == null) {
            ctx.close(); // idle in the pool for too long
        }
    }
}
