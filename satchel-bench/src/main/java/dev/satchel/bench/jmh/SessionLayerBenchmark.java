package dev.satchel.bench.jmh;

import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.servlet.SatchelFilter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.servlet.SessionHandler;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.session.ManagedSession;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The session work of one request, in the request's own thread, without HTTP parsing: find the
 * session a cookie names, read its 10 attributes, change one, and finish the request.
 *
 * <ul>
 *   <li>{@code jetty}: Jetty 12's own sessions, driven through the ee10 {@code SessionHandler} the
 *       way it serves a request: {@code getManagedSession}, {@code access}, the application's reads
 *       and write through the {@code HttpSession}, {@code commit}, {@code complete}. Default cache
 *       ({@code DefaultSessionCache}), no data store.
 *   <li>{@code satchel}: {@code SatchelFilter.doFilter} over {@code MemorySessionStore}: cookie
 *       lookup, id validation, load, lazy decode of 10 values, encode of one, change-set save.
 *       Request and response are reused stand-ins for the container's objects (see {@link
 *       StubExchange}).
 * </ul>
 *
 * Run: {@code java -jar satchel-bench/target/benchmarks.jar SessionLayerBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 10, time = 2)
@Fork(
        value = 2,
        jvmArgsAppend = {"-Xmx1g"})
public class SessionLayerBenchmark {

    @Param({"jetty", "satchel"})
    public String impl;

    // Jetty
    private Server server;
    private SessionHandler jettySessions;
    private String jettyId;

    // Satchel
    private MemorySessionStore store;
    private SatchelFilter filter;
    private Cookie[] cookies;
    private final StubExchange exchange = new StubExchange();

    private final FilterChain servlet = (req, res) -> application(((HttpServletRequest) req).getSession());

    /** What the application does with the session: read all ten values, bump the counter. */
    static int application(HttpSession session) {
        int length = 0;
        for (int i = 0; i < ShopServlet.ATTRIBUTES - 1; i++) {
            length += session.getAttribute(NAMES[i]).toString().length();
        }
        int next = (Integer) session.getAttribute("counter") + 1;
        session.setAttribute("counter", next);
        return next + length;
    }

    private static final String[] NAMES = new String[ShopServlet.ATTRIBUTES];

    static {
        for (int i = 0; i < NAMES.length; i++) {
            NAMES[i] = "a" + i;
        }
    }

    @Setup
    public void start() throws Exception {
        if (impl.equals("jetty")) {
            server = new Server();
            LocalConnector connector = new LocalConnector(server);
            server.addConnector(connector);
            ServletContextHandler context = new ServletContextHandler(ServletContextHandler.SESSIONS);
            context.addServlet(new ServletHolder(new ShopServlet()), "/*");
            server.setHandler(context);
            server.start();
            jettySessions = context.getSessionHandler();
            String cookie = SessionPerRequestBenchmark.cookieOf(
                    connector.getResponse("GET /shop HTTP/1.1\r\nHost: bench\r\n\r\n"));
            String extended = cookie.substring(cookie.indexOf('=') + 1);
            jettyId = extended.contains(".") ? extended.substring(0, extended.indexOf('.')) : extended;
        } else {
            store = MemorySessionStore.builder().build();
            filter = new SatchelFilter(store);
            StubExchange first = exchange.next(null);
            filter.doFilter(
                    first.request,
                    first.response,
                    (req, res) -> ShopServlet.fill(((HttpServletRequest) req).getSession()));
            String pair = first.headers.get("Set-Cookie");
            cookies = new Cookie[] {new Cookie("SID", pair.substring(pair.indexOf('=') + 1, pair.indexOf(';')))};
        }
    }

    @Benchmark
    public Object request() throws Exception {
        if (server != null) {
            ManagedSession session = jettySessions.getManagedSession(jettyId);
            jettySessions.access(session, false);
            int result = application(session.getApi());
            jettySessions.commit(session);
            jettySessions.complete(session);
            return result;
        }
        StubExchange x = exchange.next(cookies);
        filter.doFilter(x.request, x.response, servlet);
        return x;
    }

    /** The counter as the next request sees it, for the smoke test. */
    public int counter() throws Exception {
        if (server != null) {
            ManagedSession session = jettySessions.getManagedSession(jettyId);
            int value = (Integer) session.getAttribute("counter");
            jettySessions.complete(session);
            return value;
        }
        int[] seen = new int[1];
        StubExchange x = exchange.next(cookies);
        filter.doFilter(
                x.request,
                x.response,
                (req, res) -> seen[0] =
                        (Integer) ((HttpServletRequest) req).getSession().getAttribute("counter"));
        return seen[0];
    }

    @TearDown
    public void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
        if (store != null) {
            store.close();
        }
    }
}
