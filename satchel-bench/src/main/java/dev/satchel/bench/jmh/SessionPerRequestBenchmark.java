package dev.satchel.bench.jmh;

import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.servlet.SatchelFilter;
import jakarta.servlet.DispatcherType;
import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Server;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * One request of {@link ShopServlet} through embedded Jetty 12, in-process ({@code LocalConnector}:
 * full HTTP parsing, no sockets), under three session implementations:
 *
 * <ul>
 *   <li>{@code none}: the same request without touching a session, the floor to subtract;
 *   <li>{@code jetty}: Jetty's own {@code HttpSession} ({@code SessionHandler}, {@code
 *       DefaultSessionCache}, no data store), the peer;
 *   <li>{@code satchel}: the Satchel filter over the in-memory store.
 * </ul>
 *
 * Run: {@code java -jar satchel-bench/target/benchmarks.jar SessionPerRequestBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 1,
        jvmArgsAppend = {"-Xmx1g"})
public class SessionPerRequestBenchmark {

    @Param({"none", "jetty", "satchel"})
    public String sessions;

    private Server server;
    private LocalConnector connector;
    private MemorySessionStore store;
    private String request;

    @Setup(Level.Trial)
    public void start() throws Exception {
        server = new Server();
        connector = new LocalConnector(server);
        server.addConnector(connector);
        ServletContextHandler context = sessions.equals("jetty")
                ? new ServletContextHandler(ServletContextHandler.SESSIONS)
                : new ServletContextHandler();
        context.setContextPath("/");
        if (sessions.equals("satchel")) {
            store = MemorySessionStore.builder().build();
            context.addFilter(new FilterHolder(new SatchelFilter(store)), "/*", EnumSet.of(DispatcherType.REQUEST));
        }
        context.addServlet(new ServletHolder(new ShopServlet()), "/*");
        server.setHandler(context);
        server.start();
        // The baseline sends a cookie of the same length, so every variant parses the same bytes.
        String cookie = sessions.equals("none")
                ? "SID=" + "x".repeat(43)
                : cookieOf(connector.getResponse("GET /shop HTTP/1.1\r\nHost: bench\r\n\r\n"));
        String query = sessions.equals("none") ? "?nosession=1" : "";
        request = "GET /shop" + query + " HTTP/1.1\r\nHost: bench\r\nCookie: " + cookie + "\r\n\r\n";
    }

    /** The {@code name=value} of the response's session cookie. */
    static String cookieOf(String response) {
        for (String line : response.split("\r\n")) {
            if (line.regionMatches(true, 0, "Set-Cookie:", 0, 11)) {
                String value = line.substring(11).strip();
                int end = value.indexOf(';');
                return end < 0 ? value : value.substring(0, end);
            }
        }
        throw new IllegalStateException("no session cookie in:\n" + response);
    }

    @Benchmark
    public String request() throws Exception {
        return connector.getResponse(request);
    }

    /** Sends one request and returns the raw response; for the smoke test. */
    public String once() throws Exception {
        return request();
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        server.stop();
        if (store != null) {
            store.close();
        }
    }
}
