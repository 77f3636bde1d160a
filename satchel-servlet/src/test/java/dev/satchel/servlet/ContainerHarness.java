package dev.satchel.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.SessionStore;
import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.testkit.MutableClock;
import jakarta.servlet.http.HttpSessionAttributeListener;
import jakarta.servlet.http.HttpSessionBindingEvent;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionIdListener;
import jakarta.servlet.http.HttpSessionListener;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the conformance contracts share: real containers over one counting memory store, a
 * cookie-keeping browser, and a recorder of listener events. Each contract runs in Jetty and Tomcat.
 */
abstract class ContainerHarness {

    protected abstract ServletContainer.Factory containers();

    protected final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T09:00:00Z"));
    /** Listener events in order, from the {@link Recorder} and from {@link BoundValue}s. */
    protected final List<String> events = new CopyOnWriteArrayList<>();

    protected final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<AutoCloseable> open = new ArrayList<>();
    protected MemorySessionStore memory;
    protected CountingStore store;

    @BeforeEach
    void createStore() {
        memory = MemorySessionStore.builder()
                .clock(clock)
                .sweepInterval(Duration.ZERO)
                .maxSessions(50)
                .build();
        store = new CountingStore(memory);
        BoundValue.events = events;
    }

    @AfterEach
    void stopAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        store.close();
    }

    protected record Node(URI base) {}

    /** A container over the shared store, with the event recorder as listener. */
    protected Node node(UnaryOperator<SessionOptions.Builder> options) throws Exception {
        return node(store, b -> options.apply(b.listener(new Recorder())));
    }

    protected Node node() throws Exception {
        return node(b -> b);
    }

    /** A container over {@code over}, with exactly the options given: no listener unless added. */
    protected Node node(SessionStore over, UnaryOperator<SessionOptions.Builder> options) throws Exception {
        return node(containers(), over, options);
    }

    /** As {@link #node(SessionStore, UnaryOperator)}, in containers {@code factory} starts. */
    protected Node node(
            ServletContainer.Factory factory, SessionStore over, UnaryOperator<SessionOptions.Builder> options)
            throws Exception {
        SessionOptions.Builder b = SessionOptions.builder().clock(clock);
        ServletContainer c =
                factory.start(new SatchelFilter(over, options.apply(b).build()), new DispatchProbeServlet());
        open.add(c);
        return new Node(c.base());
    }

    /** A browser that keeps the cookies of the last Set-Cookie it saw for each name. */
    protected final class Browser {
        String cookie = "";
        final List<String> setCookies = new ArrayList<>();

        HttpResponse<String> get(Node node, String pathAndQuery) throws IOException, InterruptedException {
            HttpRequest.Builder req =
                    HttpRequest.newBuilder(node.base().resolve(pathAndQuery)).timeout(Duration.ofSeconds(10));
            if (!cookie.isEmpty()) {
                req.header("Cookie", cookie);
            }
            HttpResponse<String> res = http.send(req.build(), HttpResponse.BodyHandlers.ofString());
            setCookies.clear();
            res.headers().allValues("Set-Cookie").forEach(h -> {
                setCookies.add(h);
                if (h.startsWith("SID=")) {
                    String pair = h.substring(0, h.indexOf(';'));
                    cookie = pair.endsWith("=") ? "" : pair;
                }
            });
            return res;
        }

        String body(Node node, String pathAndQuery) throws IOException, InterruptedException {
            HttpResponse<String> res = get(node, pathAndQuery);
            assertThat(res.statusCode())
                    .as("status of %s: %s", pathAndQuery, res.body())
                    .isEqualTo(200);
            return res.body();
        }

        String token() {
            return cookie.substring(cookie.indexOf('=') + 1);
        }
    }

    /** Records every session, attribute and id event as a short string. */
    protected final class Recorder implements HttpSessionListener, HttpSessionAttributeListener, HttpSessionIdListener {
        @Override
        public void sessionCreated(HttpSessionEvent se) {
            events.add("created");
        }

        @Override
        public void sessionDestroyed(HttpSessionEvent se) {
            events.add("destroyed");
        }

        @Override
        public void attributeAdded(HttpSessionBindingEvent e) {
            events.add("added:" + e.getName() + "=" + e.getValue());
        }

        @Override
        public void attributeRemoved(HttpSessionBindingEvent e) {
            events.add("removed:" + e.getName() + "=" + e.getValue());
        }

        @Override
        public void attributeReplaced(HttpSessionBindingEvent e) {
            events.add("replaced:" + e.getName() + "=" + e.getValue());
        }

        @Override
        public void sessionIdChanged(HttpSessionEvent event, String oldSessionId) {
            events.add("id-changed");
        }
    }
}
