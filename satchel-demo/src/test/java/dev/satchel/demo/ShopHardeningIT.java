package dev.satchel.demo;

import static org.assertj.core.api.Assertions.assertThat;

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
 * Cross-site requests and password guessing against two nodes sharing one user database, over real
 * HTTP. Client addresses other than loopback are given as the balancer gives them, in
 * {@code X-Forwarded-For}, which a node trusts from loopback only.
 */
class ShopHardeningIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String EVIL = "https://evil.example";

    private final MutableClock clock = new MutableClock(Instant.parse("2026-05-01T10:00:00Z"));
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private MemorySessionStore store;
    private ShopNode nodeA;
    private ShopNode nodeB;

    @BeforeEach
    void start() throws IOException {
        Path data = Files.createTempDirectory("satchel-hardening");
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

    /** One request; {@code headers} are name, value pairs. */
    private HttpResponse<String> send(ShopNode node, String method, String path, String body, String... headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(node.uri().resolve(path)).timeout(Duration.ofSeconds(20));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        b.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> login(ShopNode node, String user, String password, String fromAddress)
            throws Exception {
        return send(
                node,
                "POST",
                "/api/login",
                credentials(user, password),
                "Content-Type",
                "application/json",
                "X-Forwarded-For",
                fromAddress);
    }

    private static String credentials(String user, String password) {
        return "{\"username\":\"" + user + "\",\"password\":\"" + password + "\"}";
    }

    private static String origin(ShopNode node) {
        return node.uri().toString();
    }

    private static void assertRefused(HttpResponse<String> res, String what) throws IOException {
        assertThat(res.statusCode()).as("%s: %s", what, res.body()).isIn(403, 415);
        assertThat(JSON.readTree(res.body()).path("error").asText()).isNotEmpty();
        assertThat(res.headers().allValues("Set-Cookie"))
                .as("%s creates no session", what)
                .isEmpty();
    }

    @Test
    void crossSiteFormPosts_areRefused_andSameOriginJsonIsAccepted() throws Exception {
        String item = "{\"sku\":\"HAT-01\",\"qty\":1}";
        assertRefused(
                send(nodeA, "POST", "/api/cart/items", item, "Content-Type", "text/plain", "Origin", EVIL),
                "cross-site text/plain add-to-cart");
        assertRefused(
                send(
                        nodeA,
                        "POST",
                        "/api/cart/items",
                        "sku=HAT-01&qty=1",
                        "Content-Type",
                        "application/x-www-form-urlencoded",
                        "Origin",
                        EVIL,
                        "Sec-Fetch-Site",
                        "cross-site"),
                "cross-site form add-to-cart");
        assertThat(send(nodeA, "POST", "/api/cart/items", item, "Content-Type", "text/plain")
                        .statusCode())
                .as("a text/plain body even without Origin")
                .isEqualTo(415);
        assertThat(send(nodeA, "POST", "/api/cart/items", item, "Content-Type", "application/json", "Origin", EVIL)
                        .statusCode())
                .as("JSON from another origin (a CORS mistake would let it through)")
                .isEqualTo(403);
        assertThat(send(
                                nodeA,
                                "POST",
                                "/api/cart/items",
                                item,
                                "Content-Type",
                                "application/json",
                                "Sec-Fetch-Site",
                                "same-site")
                        .statusCode())
                .as("a sibling site")
                .isEqualTo(403);
        assertThat(send(nodeA, "POST", "/api/cart/items", item, "Content-Type", "application/json", "Origin", "null")
                        .statusCode())
                .as("an opaque origin")
                .isEqualTo(403);

        HttpResponse<String> sameOrigin = send(
                nodeA,
                "POST",
                "/api/cart/items",
                item,
                "Content-Type",
                "application/json; charset=UTF-8",
                "Origin",
                origin(nodeA),
                "Sec-Fetch-Site",
                "same-origin");
        assertThat(sameOrigin.statusCode()).as(sameOrigin.body()).isEqualTo(200);
        assertThat(send(nodeA, "POST", "/api/cart/items", item, "Content-Type", "application/json")
                        .statusCode())
                .as("no Origin, as curl")
                .isEqualTo(200);
        assertThat(send(nodeA, "POST", "/api/logout", null).statusCode())
                .as("a bodiless POST needs no Content-Type")
                .isEqualTo(204);
    }

    @Test
    void sameOriginThroughABalancer_comparesOriginWithTheHostHeader() throws Exception {
        String item = "{\"sku\":\"HAT-01\",\"qty\":1}";
        assertThat(rawPost(nodeA, "shop.example:8080", "http://shop.example:8080", item))
                .startsWith("HTTP/1.1 200");
        assertThat(rawPost(nodeA, "shop.example:8080", "http://elsewhere.example:8080", item))
                .startsWith("HTTP/1.1 403");
    }

    /** A POST with a Host header of our choosing, as a balancer forwards it (HttpClient sets its own). */
    private static String rawPost(ShopNode node, String host, String origin, String body) throws IOException {
        URI uri = node.uri();
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        try (Socket s = new Socket(uri.getHost(), uri.getPort())) {
            s.getOutputStream()
                    .write(("POST /api/cart/items HTTP/1.1\r\nHost: " + host + "\r\nOrigin: " + origin
                                    + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                                    + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().write(bytes);
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void loginCsrf_isRefused() throws Exception {
        send(
                nodeA,
                "POST",
                "/api/signup",
                credentials("mallory", "a long enough phrase"),
                "Content-Type",
                "application/json");
        assertRefused(
                send(
                        nodeA,
                        "POST",
                        "/api/login",
                        credentials("mallory", "a long enough phrase"),
                        "Content-Type",
                        "text/plain",
                        "Origin",
                        EVIL,
                        "Sec-Fetch-Site",
                        "cross-site"),
                "cross-site text/plain login");
        assertRefused(
                send(
                        nodeA,
                        "POST",
                        "/api/login",
                        credentials("mallory", "a long enough phrase"),
                        "Content-Type",
                        "application/json",
                        "Origin",
                        EVIL),
                "cross-site JSON login");
        assertRefused(
                send(
                        nodeA,
                        "POST",
                        "/api/signup",
                        credentials("mallory2", "a long enough phrase"),
                        "Content-Type",
                        "text/plain",
                        "Origin",
                        EVIL),
                "cross-site sign-up");
    }

    @Test
    void ownerLogsIn_whileAnAttackerFailsLoginsFromAnotherAddress() throws Exception {
        send(
                nodeA,
                "POST",
                "/api/signup",
                credentials("olive", "the owner's own phrase"),
                "Content-Type",
                "application/json");
        String attacker = "203.0.113.66";
        String owner = "198.51.100.7";
        List<Integer> attackerSaw = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ShopNode node = i % 2 == 0 ? nodeA : nodeB;
            attackerSaw.add(login(node, "olive", "guess number " + i, attacker).statusCode());
        }
        System.out.println("attacker's 20 guesses from one address: " + attackerSaw);
        assertThat(attackerSaw).containsOnly(401, 429);
        assertThat(attackerSaw.stream().filter(s -> s == 401).count())
                .as("failures are counted across nodes")
                .isLessThanOrEqualTo(LoginThrottle.FREE_PER_ACCOUNT_AND_ADDRESS);
        HttpResponse<String> throttled = login(nodeB, "olive", "the owner's own phrase", attacker);
        assertThat(throttled.statusCode())
                .as("even the right password, from the attacker")
                .isEqualTo(429);
        assertThat(throttled.headers().firstValue("Retry-After")).isPresent();

        HttpResponse<String> ownerLogin = login(nodeA, "olive", "the owner's own phrase", owner);
        assertThat(ownerLogin.statusCode())
                .as("the owner: %s", ownerLogin.body())
                .isEqualTo(200);

        // Many addresses, a few guesses each: the account's own count slows every address that failed on it.
        List<Integer> botnetSaw = new ArrayList<>();
        for (int i = 0; i < 3 * LoginThrottle.FREE_PER_ACCOUNT; i++) {
            botnetSaw.add(login(nodeA, "olive", "bot guess " + i, "192.0.2." + (i % 12 + 1))
                    .statusCode());
        }
        System.out.println("botnet's guesses from 12 addresses: " + botnetSaw);
        assertThat(botnetSaw).contains(429);
        assertThat(login(nodeB, "olive", "the owner's own phrase", owner).statusCode())
                .as("the owner, during a distributed attack")
                .isEqualTo(200);
    }

    @Test
    void signUp_isRateLimitedPerAddress() throws Exception {
        int created = 0;
        HttpResponse<String> last = null;
        for (int i = 0; i < LoginThrottle.FREE_SIGNUPS_PER_ADDRESS + 1; i++) {
            last = send(
                    nodeA,
                    "POST",
                    "/api/signup",
                    credentials("spam" + i, "a long enough phrase"),
                    "Content-Type",
                    "application/json",
                    "X-Forwarded-For",
                    "203.0.113.99");
            if (last.statusCode() == 201) {
                created++;
            }
        }
        assertThat(created).isEqualTo(LoginThrottle.FREE_SIGNUPS_PER_ADDRESS);
        assertThat(last.statusCode()).as(last.body()).isEqualTo(429);
        assertThat(last.headers().firstValue("Retry-After")).isPresent();
        HttpResponse<String> other = send(
                nodeB,
                "POST",
                "/api/signup",
                credentials("neighbour", "a long enough phrase"),
                "Content-Type",
                "application/json",
                "X-Forwarded-For",
                "198.51.100.8");
        assertThat(other.statusCode()).as("another address: %s", other.body()).isEqualTo(201);
    }
}
