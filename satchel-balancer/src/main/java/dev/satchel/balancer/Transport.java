package dev.satchel.balancer;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Linux's epoll transport when its native library loads, NIO otherwise; chosen once. Netty's io_uring
 * transport served 0.93× of epoll's peak here and was not kept (docs/benchmarks.md).
 */
final class Transport {
    static final boolean EPOLL = Epoll.isAvailable();

    private Transport() {}

    static EventLoopGroup group(int threads) {
        DefaultThreadFactory named = new DefaultThreadFactory(Balancer.THREAD_NAME_PREFIX);
        return EPOLL ? new EpollEventLoopGroup(threads, named) : new NioEventLoopGroup(threads, named);
    }

    static Class<? extends ServerChannel> serverChannel() {
        return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    static Class<? extends SocketChannel> clientChannel() {
        return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }
}
