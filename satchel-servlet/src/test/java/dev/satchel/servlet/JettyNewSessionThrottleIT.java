package dev.satchel.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.memory.MemorySessionStore;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A session flood from one client address, in real Jetty over real sockets (named for Jetty, so
 * the build runs it with Jetty alone on the class path): the flooder is held to
 * its burst and told to retry later, while another address, and requests that create no session,
 * go on as before. The client address comes from a header, as behind a trusted proxy.
 */
class JettyNewSessionThrottleIT {
    private static final int BURST = 20;
    private static final String CLIENT = "X-Test-Client";

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private MemorySessionStore store;
    private Server server;
    private URI base;

    /** {@code /write} puts something in a new or existing session; {@code /read} only looks. */
    private static final class CartServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
            if (req.getPathInfo().equals("/write")) {
                req.getSession(true).setAttribute("cart", "one apple");
            } else {
                req.getSession(false);
            }
            res.getWriter().write("ok");
        }
    }

    @BeforeEach
    void start() throws Exception {
        store = MemorySessionStore.builder().build();
        NewSessionThrottle throttle = NewSessionThrottle.builder()
                .burst(BURST)
                .perSecond(0.0001) // nothing refills while the test runs (one token in almost 3 hours)
                .clientAddress(req -> req.getHeader(CLIENT))
                .build();
        SessionOptions options =
                SessionOptions.builder().newSessionThrottle(throttle).build();
        server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        server.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        context.addFilter(
                new FilterHolder(new SatchelFilter(store, options)), "/*", EnumSet.of(DispatcherType.REQUEST));
        context.addServlet(new ServletHolder(new CartServlet()), "/*");
        server.setHandler(context);
        server.start();
        base = URI.create("http://127.0.0.1:" + connector.getLocalPort());
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
        store.close();
    }

    private HttpResponse<String> get(String path, String client, String cookie) throws Exception {
        HttpRequest.Builder req = HttpRequest.newBuilder(base.resolve(path))
                .timeout(Duration.ofSeconds(10))
                .header(CLIENT, client);
        if (!cookie.isEmpty()) {
            req.header("Cookie", cookie);
        }
        return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String cookieOf(HttpResponse<String> res) {
        String set = res.headers().firstValue("Set-Cookie").orElseThrow();
        return set.substring(0, set.indexOf(';'));
    }

    @Test
    void flood_fromOneAddress_isHeldToItsBurst_whileAnotherAddressIsServed() throws Exception {
        HttpResponse<String> mine = get("/write", "192.0.2.10", "");
        String userCookie = cookieOf(mine);
        Map<Integer, Integer> flood = new TreeMap<>();
        int userOk = 0;
        int userTries = 0;
        int refusedWithoutRetryAfter = 0;
        for (int i = 0; i < 10 * BURST; i++) {
            HttpResponse<String> r = get("/write", "198.51.100.66", "");
            flood.merge(r.statusCode(), 1, Integer::sum);
            if (r.statusCode() == 429) {
                if (r.headers().firstValue("Retry-After").isEmpty()) {
                    refusedWithoutRetryAfter++;
                }
                assertThat(r.body()).contains("too_many_new_sessions");
                assertThat(r.headers().firstValue("Set-Cookie")).isEmpty();
            }
            if (i % 10 == 0) {
                userTries += 2;
                userOk += get("/write", "192.0.2.10", userCookie).statusCode() == 200 ? 1 : 0;
                userOk += get("/write", "192.0.2." + (20 + i / 10), "").statusCode() == 200 ? 1 : 0;
            }
        }
        System.out.println("session flood: flooder statuses " + flood + ", normal users " + userOk + "/" + userTries);
        assertThat(flood).containsEntry(200, BURST).containsEntry(429, 9 * BURST);
        assertThat(refusedWithoutRetryAfter).isZero();
        assertThat(userOk).as("normal users' requests that succeeded").isEqualTo(userTries);
        assertThat(store.size()).as("sessions stored").isEqualTo(1 + BURST + userTries / 2);
    }

    @Test
    void flooder_keepsItsExistingSession_andReadsCreateNothing() throws Exception {
        String cookie = cookieOf(get("/write", "198.51.100.66", ""));
        for (int i = 0; i < BURST; i++) {
            get("/write", "198.51.100.66", "");
        }
        assertThat(get("/write", "198.51.100.66", "").statusCode()).isEqualTo(429);
        int stored = store.size();
        HttpResponse<String> write = get("/write", "198.51.100.66", cookie);
        HttpResponse<String> read = get("/read", "198.51.100.66", "");
        assertThat(write.statusCode()).as("a write to the session it has").isEqualTo(200);
        assertThat(read.statusCode()).as("a request that creates no session").isEqualTo(200);
        assertThat(read.headers().firstValue("Set-Cookie")).isEmpty();
        assertThat(store.size()).isEqualTo(stored);
    }
}
