package dev.satchel.balancer;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The session-aware reverse proxy: a Netty HTTP/1.1 server in front of the nodes, plus its admin
 * API on a second port. Start one with {@link #start}; close it to stop both. Thread-safe.
 */
public final class Balancer implements AutoCloseable {
    /**
     * The prefix of the name of every thread that moves the balancer's traffic, so a thread dump,
     * or the lab measuring the balancer's CPU inside its own JVM, can tell them from the rest.
     */
    public static final String THREAD_NAME_PREFIX = "satchel-balancer";

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final Channel proxyChannel;
    private final Channel adminChannel;
    private final Optional<Channel> redirectChannel;
    private final HealthChecker health;
    private final ProxyContext proxy;

    private Balancer(
            EventLoopGroup boss,
            EventLoopGroup workers,
            Channel proxyChannel,
            Channel adminChannel,
            Optional<Channel> redirectChannel,
            HealthChecker health,
            ProxyContext proxy) {
        this.boss = boss;
        this.workers = workers;
        this.proxyChannel = proxyChannel;
        this.adminChannel = adminChannel;
        this.redirectChannel = redirectChannel;
        this.health = health;
        this.proxy = proxy;
    }

    /** Starts a balancer with no process control (kill and start answer 404). */
    public static Balancer start(BalancerConfig config) {
        return start(config, Optional.empty());
    }

    /**
     * Starts a balancer.
     *
     * @param control demo mode's process control, behind the admin API's kill and start
     * @throws IllegalStateException if a port cannot be bound
     */
    public static Balancer start(BalancerConfig config, Optional<NodeControl> control) {
        Objects.requireNonNull(config, "config");
        PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        NodeRegistry nodes = new NodeRegistry(config, Clock.systemUTC());
        ProxyContext proxy = new ProxyContext(config, nodes, new AffinityCookie(config.cookieKey), meters);
        EventLoopGroup boss = Transport.group(1);
        // One event loop per core, as HAProxy's threads and nginx's workers: more only adds switching.
        EventLoopGroup workers = Transport.group(Runtime.getRuntime().availableProcessors());
        HttpDecoderConfig decoding = new HttpDecoderConfig()
                .setMaxInitialLineLength(config.maxInitialLine)
                .setMaxHeaderSize(config.maxHeaderBytes)
                .setMaxChunkSize(64 * 1024);
        Optional<SslContext> tls = config.tls.map(t -> t.serverContext(TlsSettings.engine()));
        try {
            Channel proxyChannel = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(Transport.serverChannel())
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            HeadDeadline headDeadline = new HeadDeadline(config.headTimeout.toMillis());
                            tls.ifPresent(context -> {
                                SslHandler handler = context.newHandler(ch.alloc());
                                // A handshake is part of the head: a client that never finishes one
                                // is dropped on the same deadline as one that never ends its head.
                                handler.setHandshakeTimeoutMillis(config.headTimeout.toMillis());
                                ch.pipeline().addLast(handler);
                            });
                            ch.pipeline()
                                    .addLast(new IdleStateHandler(
                                            config.clientIdleTimeout.toMillis(), 0, 0, TimeUnit.MILLISECONDS))
                                    .addLast(headDeadline)
                                    .addLast(new StrictRequestDecoder(decoding))
                                    .addLast(new HttpResponseEncoder())
                                    .addLast(new FrontendHandler(proxy, headDeadline));
                        }
                    })
                    .bind(config.host, config.port)
                    .syncUninterruptibly()
                    .channel();
            AdminHandler admin = new AdminHandler(proxy, meters, control);
            Channel adminChannel = listen(boss, workers, config.adminHost, config.adminPort, ch -> ch.pipeline()
                    .addLast(new HttpServerCodec())
                    .addLast(new HttpObjectAggregator(64 * 1024))
                    .addLast(admin));
            Optional<Channel> redirectChannel = Optional.empty();
            if (config.httpRedirectPort.isPresent()) {
                int httpsPort = ((InetSocketAddress) proxyChannel.localAddress()).getPort();
                redirectChannel = Optional.of(
                        listen(boss, workers, config.host, config.httpRedirectPort.getAsInt(), ch -> ch.pipeline()
                                .addLast(new ReadTimeoutHandler(config.headTimeout.toMillis(), TimeUnit.MILLISECONDS))
                                .addLast(new HttpRequestDecoder(decoding))
                                .addLast(new HttpResponseEncoder())
                                .addLast(new HttpsRedirect(() -> httpsPort))));
            }
            HealthChecker health = new HealthChecker(config, nodes);
            health.start();
            return new Balancer(boss, workers, proxyChannel, adminChannel, redirectChannel, health, proxy);
        } catch (RuntimeException e) {
            boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IllegalStateException("cannot start the balancer: " + e.getMessage(), e);
        }
    }

    /** A small server of the balancer's own (admin API, HTTPS redirect) on the shared event loops. */
    private static Channel listen(
            EventLoopGroup boss, EventLoopGroup workers, String host, int port, Consumer<SocketChannel> pipeline) {
        return new ServerBootstrap()
                .group(boss, workers)
                .channel(Transport.serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        pipeline.accept(ch);
                    }
                })
                .bind(host, port)
                .syncUninterruptibly()
                .channel();
    }

    /** Where the proxy listens. */
    public InetSocketAddress address() {
        return (InetSocketAddress) proxyChannel.localAddress();
    }

    /** Where the plain-HTTP listener that redirects to HTTPS listens, if there is one. */
    public Optional<InetSocketAddress> redirectAddress() {
        return redirectChannel.map(c -> (InetSocketAddress) c.localAddress());
    }

    /** Where the admin API listens. */
    public InetSocketAddress adminAddress() {
        return (InetSocketAddress) adminChannel.localAddress();
    }

    /** The nodes now, as the admin API shows them. */
    public List<NodeView> nodes() {
        return proxy.nodes.all().stream().map(NodeView::of).toList();
    }

    /**
     * The sessions each node said it held in its last health answer ({@code store.sessions_held}),
     * by node name; nodes that said nothing, or are not answering, are left out.
     */
    public Map<String, Long> sessionsHeld() {
        Map<String, Long> held = new java.util.TreeMap<>();
        for (Node n : proxy.nodes.all()) {
            n.sessionsHeld().ifPresent(count -> held.put(n.name(), count));
        }
        return held;
    }

    @Override
    public void close() {
        health.close();
        proxyChannel.close().syncUninterruptibly();
        adminChannel.close().syncUninterruptibly();
        redirectChannel.ifPresent(c -> c.close().syncUninterruptibly());
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
