package dev.satchel.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.testkit.MutableClock;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shop's API over real HTTP: two nodes share one store (as behind a balancer) and one user
 * database file, and a client moves between them.
 */
class ShopApiIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final MutableClock clock = new MutableClock(Instant.parse("2026-05-01T10:00:00Z"));
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private MemorySessionStore store;
    private ShopNode nodeA;
    private ShopNode nodeB;
    private Path data;

    @BeforeEach
    void start() throws IOException {
        data = Files.createTempDirectory("satchel-shop");
        store = MemorySessionStore.builder().clock(clock).build();
        nodeA = ShopNode.start(new ShopConfig("node-a", "127.0.0.1", 0, data, clock), store);
        nodeB = ShopNode.start(new ShopConfig("node-b", "127.0.0.1", 0, data, clock), store);
    }

    @AfterEach
    void stop() {
        nodeA.close();
        nodeB.close();
        store.close();
    }

    /** A client with one cookie, like curl with a cookie jar. */
    private final class Client {
        String cookie = "";

        HttpResponse<String> send(ShopNode node, String method, String path, String body) throws Exception {
            HttpRequest.Builder b =
                    HttpRequest.newBuilder(node.uri().resolve(path)).timeout(Duration.ofSeconds(10));
            if (!cookie.isEmpty()) {
                b.header("Cookie", cookie);
            }
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            b.method(
                    method,
                    body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            HttpResponse<String> res = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            res.headers().allValues("Set-Cookie").forEach(h -> {
                String pair = h.substring(0, h.indexOf(';'));
                cookie = pair.endsWith("=") ? "" : pair;
            });
            assertThat(res.headers().firstValue("X-Served-By")).isPresent();
            return res;
        }

        JsonNode ok(ShopNode node, String method, String path, String body, int status) throws Exception {
            HttpResponse<String> res = send(node, method, path, body);
            assertThat(res.statusCode())
                    .as("%s %s -> %s", method, path, res.body())
                    .isEqualTo(status);
            return res.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(res.body());
        }
    }

    private static String credentials(String user, String password) {
        return "{\"username\":\"" + user + "\",\"password\":\"" + password + "\"}";
    }

    private void assertError(HttpResponse<String> res, int status, String code) throws IOException {
        assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
        assertThat(res.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        assertThat(JSON.readTree(res.body()).path("error").asText()).isEqualTo(code);
        assertThat(res.body()).doesNotContain("Exception", "\tat ");
    }

    @Test
    void signupLoginCartLogout_acrossTwoNodes() throws Exception {
        Client c = new Client();
        c.ok(nodeA, "POST", "/api/signup", credentials("alice", "correct horse battery"), 201);
        assertError(
                c.send(nodeB, "POST", "/api/signup", credentials("Alice", "another long pass")), 409, "username_taken");

        JsonNode cart = c.ok(nodeA, "POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":2}", 200);
        assertThat(cart.path("version").asInt()).isEqualTo(1);
        String anonymous = c.cookie;

        c.ok(nodeB, "POST", "/api/login", credentials("alice", "correct horse battery"), 200);
        assertThat(c.cookie).as("login rotates the id").isNotEqualTo(anonymous).isNotEmpty();
        Client fixation = new Client();
        fixation.cookie = anonymous;
        assertError(fixation.send(nodeA, "GET", "/api/me", null), 401, "not_logged_in");

        JsonNode me = c.ok(nodeA, "GET", "/api/me", null, 200);
        assertThat(me.path("username").asText()).isEqualTo("alice");
        assertThat(me.path("visits").asInt()).isEqualTo(1);
        assertThat(c.ok(nodeB, "GET", "/api/me", null, 200).path("visits").asInt())
                .isEqualTo(2);

        cart = c.ok(nodeB, "GET", "/api/cart", null, 200);
        assertThat(cart.path("items").get(0).path("sku").asText()).isEqualTo("HAT-01");
        assertThat(cart.path("items").get(0).path("qty").asInt()).isEqualTo(2);
        cart = c.ok(nodeA, "POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":3}", 200);
        assertThat(cart.path("items").get(0).path("qty").asInt()).isEqualTo(5);
        cart = c.ok(nodeB, "DELETE", "/api/cart/items/HAT-01", null, 200);
        assertThat(cart.path("items")).isEmpty();
        assertThat(cart.path("version").asInt()).isEqualTo(3);

        String loggedIn = c.cookie;
        c.ok(nodeA, "POST", "/api/logout", null, 204);
        Client replay = new Client();
        replay.cookie = loggedIn;
        assertError(replay.send(nodeB, "GET", "/api/me", null), 401, "not_logged_in");
    }

    /**
     * Two tabs of one user, one on each node, each adding its own item 50 times at once: the cart
     * holds all 50 of each, since every cart change is an atomic update (read, set lost some).
     */
    @Test
    void parallelCartAdditionsFromTwoTabs_allCount() throws Exception {
        Client first = new Client();
        first.ok(nodeA, "POST", "/api/cart/items", "{\"sku\":\"MAP-01\",\"qty\":1}", 200);
        Client second = new Client();
        second.cookie = first.cookie;
        java.util.concurrent.ExecutorService tabs = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var hats = tabs.submit(() -> {
                for (int i = 0; i < 50; i++) {
                    first.ok(nodeA, "POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":1}", 200);
                }
                return null;
            });
            var mugs = tabs.submit(() -> {
                for (int i = 0; i < 50; i++) {
                    second.ok(nodeB, "POST", "/api/cart/items", "{\"sku\":\"MUG-01\",\"qty\":1}", 200);
                }
                return null;
            });
            hats.get(60, java.util.concurrent.TimeUnit.SECONDS);
            mugs.get(60, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            tabs.shutdownNow();
        }
        JsonNode cart = first.ok(nodeB, "GET", "/api/cart", null, 200);
        java.util.Map<String, Integer> quantities = new java.util.HashMap<>();
        cart.path("items")
                .forEach(line -> quantities.put(
                        line.path("sku").asText(), line.path("qty").asInt()));
        assertThat(quantities)
                .containsEntry("HAT-01", 50)
                .containsEntry("MUG-01", 50)
                .containsEntry("MAP-01", 1);
        assertThat(cart.path("version").asInt()).as("one version per change").isEqualTo(101);
        long applied = 0;
        for (ShopNode node : List.of(nodeA, nodeB)) {
            JsonNode counters = first.ok(node, "GET", "/health", null, 200).path("sessions");
            assertThat(counters.has("atomic_update_retries"))
                    .as("/health counts retries: %s", counters)
                    .isTrue();
            applied += counters.path("atomic_updates").asLong();
        }
        assertThat(applied).as("atomic updates on both nodes").isEqualTo(100);
    }

    @Test
    void logoutEverywhere_endsEverySessionOfTheUser_andSessionsListsThem() throws Exception {
        new Client().ok(nodeA, "POST", "/api/signup", credentials("carol", "a long enough phrase"), 201);
        Client laptop = new Client();
        Client phone = new Client();
        laptop.ok(nodeA, "POST", "/api/login", credentials("carol", "a long enough phrase"), 200);
        phone.ok(nodeB, "POST", "/api/login", credentials("carol", "a long enough phrase"), 200);

        JsonNode sessions = laptop.ok(nodeB, "GET", "/api/sessions", null, 200).path("sessions");
        assertThat(sessions).hasSize(2);
        List<String> nodes = new ArrayList<>();
        int current = 0;
        for (JsonNode s : sessions) {
            nodes.add(s.path("node").asText());
            current += s.path("current").asBoolean() ? 1 : 0;
            assertThat(s.toString()).doesNotContain(laptop.cookie.substring(4, 47));
        }
        assertThat(nodes).containsExactlyInAnyOrder("node-a", "node-b");
        assertThat(current).isEqualTo(1);

        assertThat(phone.ok(nodeA, "POST", "/api/logout-everywhere", null, 200)
                        .path("ended")
                        .asInt())
                .isEqualTo(2);
        assertError(laptop.send(nodeA, "GET", "/api/me", null), 401, "not_logged_in");
        assertError(phone.send(nodeB, "GET", "/api/me", null), 401, "not_logged_in");
    }

    @Test
    void login_failures_areUniform_andThrottledPerAccountAndAddress() throws Exception {
        Client c = new Client();
        c.ok(nodeA, "POST", "/api/signup", credentials("dave", "a long enough phrase"), 201);
        HttpResponse<String> wrong = c.send(nodeA, "POST", "/api/login", credentials("dave", "not the password"));
        HttpResponse<String> unknown = c.send(nodeA, "POST", "/api/login", credentials("nobody", "not the password"));
        assertError(wrong, 401, "invalid_credentials");
        assertError(unknown, 401, "invalid_credentials");
        assertThat(wrong.body()).isEqualTo(unknown.body());

        for (int i = 1; i < LoginThrottle.FREE_PER_ACCOUNT_AND_ADDRESS; i++) {
            assertError(
                    c.send(nodeA, "POST", "/api/login", credentials("dave", "guess " + i + " wrong")),
                    401,
                    "invalid_credentials");
        }
        HttpResponse<String> locked = c.send(nodeA, "POST", "/api/login", credentials("dave", "a long enough phrase"));
        assertError(locked, 429, "too_many_attempts");
        assertThat(locked.headers().firstValue("Retry-After")).isPresent();
        clock.advance(LoginThrottle.FIRST_DELAY.plusSeconds(1));
        c.ok(nodeA, "POST", "/api/login", credentials("dave", "a long enough phrase"), 200);
    }

    @Test
    void signup_validatesNameAndPassword() throws Exception {
        Client c = new Client();
        assertError(c.send(nodeA, "POST", "/api/signup", credentials("eve", "short")), 400, "weak_password");
        assertError(c.send(nodeA, "POST", "/api/signup", credentials("eve", "password123")), 400, "weak_password");
        assertError(c.send(nodeA, "POST", "/api/signup", credentials("eve", "x".repeat(129))), 400, "weak_password");
        assertError(
                c.send(nodeA, "POST", "/api/signup", credentials("e", "a long enough phrase")),
                400,
                "invalid_username");
        assertError(
                c.send(nodeA, "POST", "/api/signup", credentials("eve/../x", "a long enough phrase")),
                400,
                "invalid_username");
        assertError(c.send(nodeA, "POST", "/api/signup", "{\"username\":\"eve\"}"), 400, "invalid_password");
        c.ok(nodeA, "POST", "/api/signup", credentials("eve", "x".repeat(64) + " a 64+ char passphrase"), 201);
    }

    @Test
    void badInput_getsA4xxJsonError_neverA500() throws Exception {
        Client c = new Client();
        assertError(c.send(nodeA, "POST", "/api/cart/items", "{\"sku\":"), 400, "malformed_json");
        assertError(c.send(nodeA, "POST", "/api/cart/items", "[1,2]"), 400, "malformed_json");
        assertError(c.send(nodeA, "POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":-1}"), 400, "invalid_qty");
        assertError(c.send(nodeA, "POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":0}"), 400, "invalid_qty");
        assertError(c.send(nodeA, "POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":1e40}"), 400, "invalid_qty");
        assertError(
                c.send(nodeA, "POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":99999999999999}"),
                400,
                "invalid_qty");
        assertError(c.send(nodeA, "POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":\"2\"}"), 400, "invalid_qty");
        assertError(c.send(nodeA, "POST", "/api/cart/items", "{\"sku\":\"NOPE\",\"qty\":1}"), 404, "unknown_sku");
        assertError(c.send(nodeA, "DELETE", "/api/cart/items/NOPE", null), 404, "unknown_sku");
        c.ok(nodeA, "POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":999}", 200);
        assertError(c.send(nodeA, "POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":1}"), 400, "quantity_limit");
        assertError(
                c.send(nodeA, "POST", "/api/cart/items", "{\"sku\":\"" + "a".repeat(20_000) + "\"}"),
                413,
                "body_too_large");
        assertError(c.send(nodeA, "PUT", "/api/cart", null), 405, "method_not_allowed");
        assertError(c.send(nodeA, "GET", "/api/nothing", null), 404, "not_found");

        Client garbage = new Client();
        garbage.cookie = "SID=" + "A".repeat(4000);
        assertError(garbage.send(nodeA, "GET", "/api/me", null), 401, "not_logged_in");
        garbage.cookie = "SID=\"<script>\"; SID=" + "%".repeat(30);
        assertError(garbage.send(nodeA, "GET", "/api/me", null), 401, "not_logged_in");
    }

    @Test
    void hugeCookieAndBrokenRequestLine_getJsonErrorsFromTheContainer() throws Exception {
        Client c = new Client();
        c.cookie = "SID=" + "A".repeat(10_000);
        assertError(c.send(nodeA, "GET", "/api/me", null), 431, "headers_too_large");
        URI uri = nodeA.uri();
        try (Socket s = new Socket(uri.getHost(), uri.getPort())) {
            s.getOutputStream().write("GARBAGE\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer)
                    .startsWith("HTTP/1.1 400")
                    .contains("application/json")
                    .doesNotContain("Exception");
        }
    }

    @Test
    void usersSurviveARestart_becauseTheyLiveInTheDatabaseFile() throws Exception {
        new Client().ok(nodeA, "POST", "/api/signup", credentials("frank", "a long enough phrase"), 201);
        nodeA.close();
        nodeA = ShopNode.start(new ShopConfig("node-a", "127.0.0.1", 0, data, clock), store);
        new Client().ok(nodeA, "POST", "/api/login", credentials("frank", "a long enough phrase"), 200);
    }

    @Test
    void catalogAndPages_areServed() throws Exception {
        Client c = new Client();
        assertThat(c.ok(nodeA, "GET", "/api/catalog", null, 200).path("items").size())
                .isGreaterThanOrEqualTo(5);
        for (String page : List.of("/", "/login", "/cart", "/app.js", "/style.css", "/health")) {
            HttpResponse<String> res = c.send(nodeA, "GET", page, null);
            assertThat(res.statusCode()).as(page).isEqualTo(200);
        }
        assertThat(c.cookie).as("browsing creates no session").isEmpty();
    }

    @Test
    void metrics_areServedForPrometheus_countingSessionsAndStoreCalls() throws Exception {
        Client c = new Client();
        c.ok(nodeA, "POST", "/api/signup", credentials("grace", "a long enough phrase"), 201);
        c.ok(nodeA, "POST", "/api/login", credentials("grace", "a long enough phrase"), 200);
        c.ok(nodeA, "GET", "/api/cart", null, 200);
        HttpResponse<String> res = c.send(nodeA, "GET", "/metrics", null);
        assertThat(res.statusCode()).isEqualTo(200);
        assertThat(res.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        assertThat(res.body())
                .containsPattern("satchel_sessions_started_total\\{store=\"memory\"} [1-9]")
                .containsPattern(
                        "satchel_store_calls_seconds_count\\{call=\"load\",outcome=\"ok\",store=\"memory\"} [1-9]")
                .contains("satchel_store_sessions{store=\"memory\"}")
                .doesNotContain("grace");
    }
}
