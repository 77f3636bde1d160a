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
import io.netty.incubator.channel.uring.IOUring;
import io.netty.incubator.channel.uring.IOUringEventLoopGroup;
import io.netty.incubator.channel.uring.IOUringServerSocketChannel;
import io.netty.incubator.channel.uring.IOUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The event loops' transport, chosen once: Linux's epoll when its native library loads, NIO
 * otherwise; io_uring only when asked for ({@code -Dsatchel.balancer.transport=io_uring}) and the
 * kernel allows it, since it did not measure better here (docs/benchmarks.md).
 */
final class Transport {
    private static final Logger LOG = LoggerFactory.getLogger(Transport.class);

    /** The transports there are. */
    enum Kind {
        IO_URING,
        EPOLL,
        NIO
    }

    static final Kind KIND = choose(System.getProperty("satchel.balancer.transport", "epoll"));

    private Transport() {}

    /** The transport asked for, or the next one down that this machine has. */
    static Kind choose(String asked) {
        String name = asked.strip().toLowerCase(Locale.ROOT).replace('-', '_');
        if (name.equals("io_uring") || name.equals("iouring")) {
            if (IOUring.isAvailable()) {
                return Kind.IO_URING;
            }
            LOG.warn(
                    "io_uring was asked for but cannot be used here ({}); epoll or NIO instead",
                    String.valueOf(IOUring.unavailabilityCause()));
        } else if (name.equals("nio")) {
            return Kind.NIO;
        } else if (!name.equals("epoll")) {
            LOG.warn("satchel.balancer.transport={} is not io_uring, epoll or nio; epoll or NIO instead", asked);
        }
        return Epoll.isAvailable() ? Kind.EPOLL : Kind.NIO;
    }

    static EventLoopGroup group(int threads) {
        DefaultThreadFactory named = new DefaultThreadFactory(Balancer.THREAD_NAME_PREFIX);
        return switch (KIND) {
            case IO_URING -> new IOUringEventLoopGroup(threads, named);
            case EPOLL -> new EpollEventLoopGroup(threads, named);
            case NIO -> new NioEventLoopGroup(threads, named);
        };
    }

    static Class<? extends ServerChannel> serverChannel() {
        return switch (KIND) {
            case IO_URING -> IOUringServerSocketChannel.class;
            case EPOLL -> EpollServerSocketChannel.class;
            case NIO -> NioServerSocketChannel.class;
        };
    }

    static Class<? extends SocketChannel> clientChannel() {
        return switch (KIND) {
            case IO_URING -> IOUringSocketChannel.class;
            case EPOLL -> EpollSocketChannel.class;
            case NIO -> NioSocketChannel.class;
        };
    }
}
