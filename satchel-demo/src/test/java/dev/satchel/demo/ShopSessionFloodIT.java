package dev.satchel.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionLimitException;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.memory.MemorySessionStore;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Session floods against one node with a demo node's heap (the build runs this class with {@code
 * -Xmx256m}), over real HTTP, asserting what a normal user sees while the flood runs. Client
 * addresses are given as the balancer gives them, in {@code X-Forwarded-For}, trusted from
 * loopback only.
 */
class ShopSessionFloodIT {
    private static final String FLOODER = "203.0.113.66";
    private static final String USER = "192.0.2.10";
    private static final String ADD_MUG = "{\"sku\":\"MUG-01\",\"qty\":1}";

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final OomWatch oomWatch = new OomWatch();
    private MemorySessionStore store;
    private ShopNode node;

    /** Counts log events that carry an OutOfMemoryError. */
    private static final class OomWatch extends AppenderBase<ILoggingEvent> {
        final AtomicInteger seen = new AtomicInteger();

        @Override
        protected void append(ILoggingEvent event) {
            for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
                if (t.getClassName().equals(OutOfMemoryError.class.getName())) {
                    seen.incrementAndGet();
                    return;
                }
            }
            if (String.valueOf(event.getFormattedMessage()).contains("OutOfMemoryError")) {
                seen.incrementAndGet();
            }
        }
    }

    @BeforeEach
    void start() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        oomWatch.setContext(root.getLoggerContext());
        oomWatch.start();
        root.addAppender(oomWatch);
        store = MemorySessionStore.builder().build(); // the default budget: a quarter of this heap
        node = ShopNode.start(ShopConfig.of("node-a", 0, Files.createTempDirectory("satchel-session-flood")), store);
    }

    @AfterEach
    void stop() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(oomWatch);
        node.close();
        store.close();
    }

    private HttpResponse<String> send(String method, String path, String from, String cookie) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(node.uri().resolve(path))
                .timeout(Duration.ofSeconds(20))
                .header("X-Forwarded-For", from);
        if (!cookie.isEmpty()) {
            b.header("Cookie", cookie);
        }
        if (method.equals("POST")) {
            b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(ADD_MUG));
        } else if (method.equals("DELETE")) {
            b.DELETE();
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String cookieOf(HttpResponse<String> res) {
        String set = res.headers().firstValue("Set-Cookie").orElseThrow(() -> new AssertionError("no Set-Cookie"));
        return set.substring(0, set.indexOf(';'));
    }

    @Test
    void readsCreateNoSession_andSetNoCookie() throws Exception {
        for (String path : List.of("/api/catalog", "/api/cart", "/api/me", "/", "/health")) {
            HttpResponse<String> r = send("GET", path, USER, "");
            assertThat(r.statusCode()).as("%s: %s", path, r.body()).isIn(200, 401);
            assertThat(r.headers().allValues("Set-Cookie"))
                    .as("Set-Cookie of %s", path)
                    .isEmpty();
        }
        HttpResponse<String> unknown =
                send("GET", "/api/cart", USER, "SID=" + SessionId.random().value() + ".node-a");
        assertThat(unknown.headers().allValues("Set-Cookie"))
                .as("a cookie naming no session")
                .isEmpty();
        assertThat(store.size()).isZero();
    }

    @Test
    void flood_fromOneAddress_isThrottled_whileNormalUsersShop() throws Exception {
        String cookie = cookieOf(send("POST", "/api/cart/items", USER, ""));
        AtomicBoolean flooding = new AtomicBoolean(true);
        Map<Integer, AtomicInteger> flood = new ConcurrentHashMap<>();
        AtomicInteger refusedWithoutRetryAfter = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        Instant started = Instant.now();
        List<Future<?>> flooders = new ArrayList<>();
        try {
            for (int t = 0; t < 6; t++) {
                flooders.add(pool.submit(() -> {
                    for (int i = 0; i < 100 && flooding.get(); i++) {
                        HttpResponse<String> r = send("POST", "/api/cart/items", FLOODER, "");
                        flood.computeIfAbsent(r.statusCode(), k -> new AtomicInteger())
                                .incrementAndGet();
                        if (r.statusCode() == 429
                                && r.headers().firstValue("Retry-After").isEmpty()) {
                            refusedWithoutRetryAfter.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            Map<Integer, Integer> user = new TreeMap<>();
            for (int i = 0; i < 100; i++) {
                user.merge(send("POST", "/api/cart/items", USER, cookie).statusCode(), 1, Integer::sum);
                user.merge(send("GET", "/api/cart", USER, cookie).statusCode(), 1, Integer::sum);
                user.merge(
                        send("DELETE", "/api/cart/items/MUG-01", USER, cookie).statusCode(), 1, Integer::sum);
                // a new visitor from another address, whose first cart creates a session
                user.merge(
                        send("POST", "/api/cart/items", "192.0.2." + (100 + i), "")
                                .statusCode(),
                        1,
                        Integer::sum);
            }
            for (Future<?> f : flooders) {
                f.get();
            }
            double seconds = Duration.between(started, Instant.now()).toMillis() / 1000.0;
            Map<Integer, Integer> flooder = new TreeMap<>();
            flood.forEach((status, n) -> flooder.put(status, n.get()));
            System.out.printf(
                    "session flood over %.1f s: flooder %s, normal users %s, sessions stored %d%n",
                    seconds, flooder, user, store.size());

            assertThat(user).as("what normal users saw").containsOnlyKeys(200);
            assertThat(flooder.keySet()).isSubsetOf(200, 429);
            long allowed = ShopNode.NEW_SESSION_BURST + (long) Math.ceil(seconds * ShopNode.NEW_SESSIONS_PER_SECOND);
            assertThat(flooder.getOrDefault(200, 0))
                    .as("the flooder's new sessions")
                    .isBetween(1, (int) allowed);
            assertThat(flooder.getOrDefault(429, 0))
                    .as("the flooder's refusals")
                    .isPositive();
            assertThat(refusedWithoutRetryAfter.get())
                    .as("every 429 says when to retry")
                    .isZero();
            assertThat(store.size()).isLessThanOrEqualTo((int) allowed + 1 + 100);
        } finally {
            flooding.set(false);
            pool.shutdownNow();
        }
    }

    @Test
    void storeAtItsByteBudget_refusesNewSessionsWith503_keepsServingLiveOnes_withoutOutOfMemory() throws Exception {
        Runtime rt = Runtime.getRuntime();
        assumeTrue(
                rt.maxMemory() <= 512L * 1024 * 1024,
                "fills a quarter of the heap: runs in the build's node-heap JVM (-Xmx256m) only");
        String cookie = cookieOf(send("POST", "/api/cart/items", USER, ""));
        SessionId userId = SessionId.parse(cookie.substring(cookie.indexOf('=') + 1))
                .or(() -> SessionId.parse(cookie.substring(cookie.indexOf('=') + 1, cookie.lastIndexOf('.'))))
                .orElseThrow();
        SessionRecord template = store.load(userId).orElseThrow();

        // Many clients, each within its own limit, fill the store: done in-process, since the
        // budget holds some 80,000 sessions and the HTTP path to each is what the other test shows.
        int created = 0;
        boolean refused = false;
        Instant now = Instant.now();
        for (int i = 0; i < 200_000 && !refused; i++) {
            ChangeSet.Builder b = ChangeSet.builder(SessionId.random(), now, now.plus(Duration.ofHours(8)))
                    .created()
                    .accessedAt(now)
                    .maxInactiveInterval(Duration.ofMinutes(30));
            template.attributes().forEach(b::set);
            try {
                store.save(b.build());
                created++;
            } catch (SessionLimitException e) {
                refused = true;
            }
        }
        assertThat(refused).as("refused a new session after %d", created).isTrue();

        Map<Integer, Integer> newcomers = new TreeMap<>();
        int withoutRetryAfter = 0;
        for (int i = 0; i < 50; i++) {
            HttpResponse<String> r = send("POST", "/api/cart/items", "198.51.100." + i, "");
            newcomers.merge(r.statusCode(), 1, Integer::sum);
            if (r.statusCode() == 503) {
                assertThat(r.body()).contains("session_limit_reached");
                withoutRetryAfter += r.headers().firstValue("Retry-After").isEmpty() ? 1 : 0;
            }
        }
        Map<Integer, Integer> user = new TreeMap<>();
        for (int i = 0; i < 20; i++) {
            user.merge(send("POST", "/api/cart/items", USER, cookie).statusCode(), 1, Integer::sum);
            user.merge(send("GET", "/api/cart", USER, cookie).statusCode(), 1, Integer::sum);
            user.merge(send("GET", "/api/catalog", "198.51.100.7", "").statusCode(), 1, Integer::sum);
        }
        System.gc();
        long usedHeap = rt.totalMemory() - rt.freeMemory();
        System.out.printf(
                "store at its budget: %d sessions, estimated %d bytes, heap used %d of %d; newcomers %s;"
                        + " live user and catalog %s%n",
                store.size(), store.estimatedBytes(), usedHeap, rt.maxMemory(), newcomers, user);

        assertThat(newcomers).as("new sessions at the budget").containsOnlyKeys(503);
        assertThat(withoutRetryAfter).isZero();
        assertThat(user).as("a live session and the catalog at the budget").containsOnlyKeys(200);
        assertThat(oomWatch.seen.get()).as("OutOfMemoryErrors logged").isZero();
        assertThat(usedHeap).as("heap used, the full store included").isLessThan(rt.maxMemory() / 2);
    }
}
