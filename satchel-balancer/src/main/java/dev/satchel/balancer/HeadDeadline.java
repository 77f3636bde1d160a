package dev.satchel.balancer;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Times a request head from its first byte to its end. Sits before the decoder, where bytes are
 * still bytes: the idle timeout alone never ends a head trickled in a byte at a time. When the
 * deadline passes it fires {@link #EXPIRED}; the frontend answers 408 and closes. Between requests
 * a kept-alive connection waits under the idle timeout, not this one. Confined to the channel's loop.
 */
final class HeadDeadline extends ChannelInboundHandlerAdapter {
    /** The user event fired when a head was not complete in time. */
    static final Object EXPIRED = new Object() {
        @Override
        public String toString() {
            return "HeadDeadline.EXPIRED";
        }
    };

    private final long millis;
    private ChannelHandlerContext ctx;
    private boolean awaiting = true;
    private ScheduledFuture<?> timer;

    HeadDeadline(long millis) {
        this.millis = millis;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (awaiting && timer == null) {
            start();
        }
        ctx.fireChannelRead(msg);
    }

    /** The previous request is over: the next head is timed from its first byte. */
    void awaitHead() {
        awaiting = true;
    }

    /** Starts the clock now, without waiting for a byte (a connection that will only be refused). */
    void start() {
        if (timer == null) {
            timer = ctx.executor().schedule(this::expire, millis, TimeUnit.MILLISECONDS);
        }
    }

    /** The head is complete. */
    void headArrived() {
        awaiting = false;
        cancel();
    }

    private void expire() {
        timer = null;
        if (awaiting && ctx.channel().isActive()) {
            ctx.fireUserEventTriggered(EXPIRED);
        }
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel(); // the connection became a tunnel
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancel();
        ctx.fireChannelInactive();
    }
}
