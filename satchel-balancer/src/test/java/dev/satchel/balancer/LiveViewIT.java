package dev.satchel.balancer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.testkit.Await;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The live view over real sockets: its page and state are open and read-only, hold no addresses,
 * show what each node's health answer reports, and its buttons' calls pass only from the page's own
 * origin with the token. (The page itself in a browser: {@code LiveViewBrowserIT} in satchel-dist.)
 */
class LiveViewIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = BalancerConfig.generateAdminToken();

    private final List<TestBackend> backends = new ArrayList<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Balancer balancer;

    @BeforeEach
    void start() throws Exception {
        BalancerConfig.Builder b = BalancerConfig.builder()
                .listen("127.0.0.1", 0)
                .admin("127.0.0.1", 0)
                .policy(Policy.STICKY_COOKIE)
                .healthCheck("/health", Duration.ofMillis(200), 2, 2)
                .adminToken(TOKEN);
        for (int i = 1; i <= 2; i++) {
            TestBackend backend = new TestBackend("node-" + i);
            backends.add(backend);
            b.node(backend.address());
        }
        balancer = Balancer.start(b.build());
    }

    @AfterEach
    void stop() {
        balancer.close();
        backends.forEach(TestBackend::close);
    }

    private String adminOrigin() {
        return "http://127.0.0.1:" + balancer.adminAddress().getPort();
    }

    private HttpRequest.Builder admin(String path) {
        return HttpRequest.newBuilder(URI.create(adminOrigin() + path)).timeout(Duration.ofSeconds(10));
    }

    private HttpResponse<String> send(HttpRequest.Builder r) throws Exception {
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode state(String... headers) throws Exception {
        HttpRequest.Builder r = admin(LiveView.STATE_PATH);
        for (int i = 0; i < headers.length; i += 2) {
            r.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> res = send(r);
        assertThat(res.statusCode()).isEqualTo(200);
        return JSON.readTree(res.body());
    }

    @Test
    void thePageAndItsFiles_areOpen_andLockedDownByTheirHeaders() throws Exception {
        for (String path : List.of("/live", "/live/", "/live/live.js", "/live/live.css")) {
            HttpResponse<String> r = send(admin(path));
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(r.headers().firstValue("Content-Security-Policy"))
                    .hasValueSatisfying(v -> assertThat(v).contains("default-src 'none'", "frame-ancestors 'none'"));
            assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
            assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
        }
        assertThat(send(admin("/live")).body()).contains("<script src=\"/live/live.js\">");
        // Open means readable, nothing more: the same paths take no writes, and others stay closed.
        assertThat(send(admin(LiveView.STATE_PATH).POST(HttpRequest.BodyPublishers.noBody()))
                        .statusCode())
                .isEqualTo(401);
        assertThat(send(admin("/live/../api/nodes")).statusCode()).isIn(401, 404);
        assertThat(send(admin("/live/other.js")).statusCode()).isEqualTo(401);
    }

    @Test
    void theState_showsNamesStatesAndReportedSessions_butNoAddresses() throws Exception {
        backends.get(0).healthBody = "{\"status\":\"up\",\"store\":{\"sessions_held\":42}}";
        Await.until(
                Duration.ofSeconds(10),
                () -> state().path("nodes").get(0).has("sessionsHeld"),
                "node-1's health answer to reach the live view");
        JsonNode state = state();
        assertThat(state.path("policy").asText()).isEqualTo("sticky-cookie");
        assertThat(state.path("nodes").get(0).path("name").asText()).isEqualTo("node-1");
        assertThat(state.path("nodes").get(0).path("sessionsHeld").asLong()).isEqualTo(42);
        assertThat(state.path("nodes").get(0).path("state").asText()).isEqualTo("up");
        // node-2 answers "ok", which says nothing of sessions: the count is left out, not zero.
        assertThat(state.path("nodes").get(1).has("sessionsHeld")).isFalse();
        assertThat(state.toString()).doesNotContain("127.0.0.1", String.valueOf(backends.get(0).port));
        assertThat(state.path("canKillAndStart").asBoolean()).isFalse();
    }

    @Test
    void aNodeAnsweringItsHealthCheckWithoutEnd_isReadToALimit_andStaysUp() throws Exception {
        TestBackend node2 = backends.get(1);
        node2.healthBody = "{\"store\":{\"sessions_held\":7}}";
        Await.until(
                Duration.ofSeconds(10),
                () -> state().path("nodes").get(1).path("sessionsHeld").asLong() == 7,
                "node-2's count");
        // The same answer padded to 4 MiB: read to the limit, it no longer parses, so the count goes.
        node2.healthBody = "{\"store\":{\"sessions_held\":7},\"pad\":\"" + "x".repeat(4 << 20) + "\"}";
        Await.until(
                Duration.ofSeconds(10),
                () -> !state().path("nodes").get(1).has("sessionsHeld"),
                "node-2's count to be dropped");
        assertThat(state().path("nodes").get(1).path("state").asText()).isEqualTo("up");
    }

    @Test
    void theViewer_isToldWhereTheirAffinityCookiePinsThem() throws Exception {
        assertThat(state().path("viewer").has("node")).isFalse();
        HttpResponse<String> shop = http.send(
                HttpRequest.newBuilder(URI.create(
                                "http://127.0.0.1:" + balancer.address().getPort() + "/"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        String cookie = shop.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith(BalancerConfig.DEFAULT_AFFINITY_COOKIE + "="))
                .findFirst()
                .orElseThrow()
                .split(";", 2)[0];
        String servedBy = shop.body().strip();
        JsonNode viewer = state("Cookie", cookie).path("viewer");
        assertThat(viewer.path("node").asText()).isEqualTo(servedBy);
        assertThat(viewer.path("how").asText()).contains("affinity cookie");
        assertThat(state("Cookie", "SATCHEL_NODE=forged").path("viewer").has("node"))
                .isFalse();
    }

    @Test
    void theButtonsCalls_passFromThePagesOwnOrigin_withTheToken_only() throws Exception {
        HttpRequest.Builder fromPage = admin("/api/nodes/node-1/drain")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .header("Content-Type", "application/json")
                .header("Origin", adminOrigin())
                .header("Sec-Fetch-Site", "same-origin");
        assertThat(send(fromPage).statusCode()).isEqualTo(401);
        String shopOrigin = "http://127.0.0.1:" + balancer.address().getPort();
        HttpResponse<String> fromTheShop = send(admin("/api/nodes/node-1/drain")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + TOKEN)
                .header("Origin", shopOrigin)
                .header("Sec-Fetch-Site", "same-site"));
        assertThat(fromTheShop.statusCode()).isEqualTo(403);
        HttpResponse<String> lyingFetchSite = send(admin("/api/nodes/node-1/drain")
                .POST(HttpRequest.BodyPublishers.ofString("{}"))
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + TOKEN)
                .header("Origin", adminOrigin())
                .header("Sec-Fetch-Site", "cross-site"));
        assertThat(lyingFetchSite.statusCode()).isEqualTo(403);
        assertThat(balancer.nodes().get(0).state()).isEqualTo(NodeState.UP);
        HttpResponse<String> drained = send(fromPage.header("Authorization", "Bearer " + TOKEN));
        assertThat(drained.statusCode()).isEqualTo(200);
        assertThat(balancer.nodes().get(0).state()).isEqualTo(NodeState.DRAINING);
        assertThat(state().path("nodes").get(0).path("state").asText()).isEqualTo("draining");
    }
}
