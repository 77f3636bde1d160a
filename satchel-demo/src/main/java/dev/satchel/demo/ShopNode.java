package dev.satchel.demo;

import dev.satchel.core.ClusterView;
import dev.satchel.core.ReportingStore;
import dev.satchel.core.SessionSealer;
import dev.satchel.core.SessionStore;
import dev.satchel.servlet.MicrometerSessionMetrics;
import dev.satchel.servlet.NewSessionThrottle;
import dev.satchel.servlet.SatchelFilter;
import dev.satchel.servlet.SessionOptions;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.DispatcherType;
import java.net.URI;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * One running shop node: embedded Jetty 12 with the Satchel filter over the given store. Close it
 * to stop the server and release the user database.
 */
public final class ShopNode implements AutoCloseable {
    /** Request headers above this size are refused with 431 before reaching the application. */
    public static final int MAX_REQUEST_HEADER_BYTES = 8 * 1024;

    /** New sessions one client address may create at once on one node. */
    static final int NEW_SESSION_BURST = NewSessionThrottle.DEFAULT_BURST;

    /** New sessions per second one client address may create on one node once the burst is spent. */
    static final int NEW_SESSIONS_PER_SECOND = 10;

    private final Server server;
    private final UserStore users;
    private final URI uri;

    private ShopNode(Server server, UserStore users, URI uri) {
        this.server = server;
        this.users = users;
        this.uri = uri;
    }

    /**
     * Starts a node. The store is the caller's and stays open after the node closes.
     *
     * @throws IllegalStateException if the server cannot start (the port is taken, say)
     */
    public static ShopNode start(ShopConfig config, SessionStore store) {
        return start(
                config,
                options -> new SatchelFilter(store, options),
                counters(store),
                Optional::empty,
                Optional.of(store));
    }

    /**
     * Starts a node over a clustered store; {@code /health} shows {@code view}, read on each request.
     *
     * @throws IllegalStateException if the server cannot start (the port is taken, say)
     */
    public static ShopNode start(ShopConfig config, SessionStore store, Supplier<ClusterView> view) {
        Objects.requireNonNull(view, "view");
        return start(
                config,
                options -> new SatchelFilter(store, options),
                counters(store),
                () -> Optional.of(view.get()),
                Optional.of(store));
    }

    /** What the metrics call the store: {@code PrimaryBackupSessionStore} is {@code primary-backup}. */
    static String storeName(Optional<SessionStore> store) {
        if (store.isEmpty()) {
            return "cookie";
        }
        String type = store.get().getClass().getSimpleName().replace("SessionStore", "");
        return type.isEmpty()
                ? "custom"
                : type.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    private static Supplier<Map<String, Long>> counters(SessionStore store) {
        return store instanceof ReportingStore reporting ? reporting::counters : Map::of;
    }

    /**
     * Starts a node whose sessions the clients keep, sealed in their cookies by {@code sealer}.
     *
     * @throws IllegalStateException if the server cannot start (the port is taken, say)
     */
    public static ShopNode start(ShopConfig config, SessionSealer sealer) {
        return start(
                config, options -> SatchelFilter.sealed(sealer, options), Map::of, Optional::empty, Optional.empty());
    }

    private static ShopNode start(
            ShopConfig config,
            Function<SessionOptions, SatchelFilter> filter,
            Supplier<Map<String, Long>> storeCounters,
            Supplier<Optional<ClusterView>> view,
            Optional<SessionStore> store) {
        UserStore users = null;
        Server server = new Server(new QueuedThreadPool(200, 8));
        server.setStopTimeout(2000); // Ctrl-C should not wait on idle keep-alive connections
        try {
            users = new UserStore(PrivateDataDir.open(config.dataDir()), config.usersDbPort());
            HttpConfiguration http = new HttpConfiguration();
            http.setRequestHeaderSize(MAX_REQUEST_HEADER_BYTES);
            http.setSendServerVersion(false);
            http.setSendXPoweredBy(false);
            http.addCustomizer(new ForwardedHttps()); // a balancer terminating TLS: Secure session cookies
            ServerConnector connector = new ServerConnector(server, new HttpConnectionFactory(http));
            connector.setHost(config.host());
            connector.setPort(config.port());
            // A burst of clients (a login flood, a balancer's pool opening) must queue, not have
            // their SYNs dropped by the kernel's default backlog of 50 and wait seconds to retry.
            connector.setAcceptQueueSize(1024);
            server.addConnector(connector);
            server.setErrorHandler(new JsonErrorHandler(config.nodeName()));

            PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            MicrometerSessionMetrics metrics = new MicrometerSessionMetrics(meters, storeName(store));
            store.ifPresent(metrics::bindStore);
            SessionOptions options = SessionOptions.builder()
                    .metrics(metrics)
                    .clock(config.clock())
                    .idleTimeout(config.idleTimeout())
                    .route(config.nodeName())
                    .newSessionThrottle(newSessionThrottle(config))
                    .build();
            ServletContextHandler context = new ServletContextHandler();
            context.setContextPath("/");
            context.setErrorHandler(new JsonErrorHandler(config.nodeName()));
            EnumSet<DispatcherType> requests = EnumSet.of(DispatcherType.REQUEST);
            context.addFilter(new FilterHolder(new NodeFilter(config.nodeName())), "/*", requests);
            // As the README advises: forwards, includes and error pages see the same session.
            context.addFilter(
                    new FilterHolder(filter.apply(options)),
                    "/*",
                    EnumSet.of(
                            DispatcherType.REQUEST,
                            DispatcherType.FORWARD,
                            DispatcherType.INCLUDE,
                            DispatcherType.ERROR));
            ShopApiServlet api = new ShopApiServlet(users, new PasswordHasher(), config.clock(), config.nodeName());
            context.addServlet(new ServletHolder(api), "/api/*");
            context.addServlet(new ServletHolder(new HealthServlet(config.nodeName(), storeCounters, view)), "/health");
            context.addServlet(new ServletHolder(new MetricsServlet(meters)), "/metrics");
            context.addServlet(new ServletHolder(new PagesServlet()), "/");
            server.setHandler(context);
            server.start();
            URI uri = URI.create("http://" + hostForUri(config.host()) + ":" + connector.getLocalPort());
            return new ShopNode(server, users, uri);
        } catch (Exception e) {
            try {
                server.stop();
            } catch (Exception ignored) {
                // already failing; the original cause is what matters
            }
            if (users != null) {
                users.close();
            }
            throw new IllegalStateException("cannot start shop node " + config.nodeName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * One client address may create {@value #NEW_SESSION_BURST} sessions at once, then {@value
     * #NEW_SESSIONS_PER_SECOND} a second, per node: a flood of anonymous carts from one client
     * cannot fill the store, while a page's parallel requests and a shared office address fit.
     * The address is the balancer's {@code X-Forwarded-For}, believed from loopback only.
     */
    private static NewSessionThrottle newSessionThrottle(ShopConfig config) {
        return NewSessionThrottle.builder()
                .burst(NEW_SESSION_BURST)
                .perSecond(NEW_SESSIONS_PER_SECOND)
                .clientAddress(ClientAddress::of)
                .clock(config.clock())
                .build();
    }

    /** Where the node listens, such as {@code http://127.0.0.1:8080}. */
    public URI uri() {
        return uri;
    }

    /** Blocks until the server stops. */
    public void join() throws InterruptedException {
        server.join();
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the shop node cleanly", e);
        } finally {
            users.close();
        }
    }

    private static String hostForUri(String host) {
        return host.contains(":") ? "[" + host + "]" : host;
    }
}
