package dev.satchel.balancer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * The admin API as an attacker meets it, over real sockets: without the bearer token nothing is
 * read or changed, and a browser page cannot drive it even from an operator's machine.
 */
class AdminSecurityIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = BalancerConfig.generateAdminToken();
    /** What a web page can send without a CORS preflight: a "simple" request. */
    private static final String EVIL_NODE = "{\"name\":\"evil\",\"host\":\"127.0.0.1\",\"port\":1}";

    private final List<TestBackend> backends = new ArrayList<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Balancer balancer;

    @BeforeEach
    void start() throws Exception {
        BalancerConfig.Builder b = BalancerConfig.builder()
                .listen("127.0.0.1", 0)
                .admin("127.0.0.1", 0)
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

    private HttpRequest.Builder admin(String path) {
        return HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + balancer.adminAddress().getPort() + path))
                .timeout(Duration.ofSeconds(10));
    }

    private HttpResponse<String> send(HttpRequest.Builder r) throws Exception {
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest.BodyPublisher body(String s) {
        return HttpRequest.BodyPublishers.ofString(s);
    }

    private List<String> nodeNames() {
        return balancer.nodes().stream().map(NodeView::name).toList();
    }

    @Test
    void withoutTheToken_nothingIsReadOrChanged_andTheAnswerAsksForABearerToken() throws Exception {
        List<HttpRequest.Builder> calls = List.of(
                admin("/api/nodes"),
                admin("/api/nodes/node-1"),
                admin("/metrics"),
                admin("/api/config/haproxy"),
                admin("/api/nodes").POST(body(EVIL_NODE)).header("Content-Type", "application/json"),
                admin("/api/nodes/node-1/drain").POST(body("")).header("Content-Type", "application/json"),
                admin("/api/nodes/node-2").DELETE());
        for (HttpRequest.Builder call : calls) {
            HttpResponse<String> r = send(call);
            assertThat(r.statusCode()).as(r.request().method() + " " + r.uri()).isEqualTo(401);
            assertThat(r.headers().firstValue("WWW-Authenticate"))
                    .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
            assertThat(r.body()).doesNotContain("node-1", "127.0.0.1");
        }
        assertThat(nodeNames()).containsExactly("node-1", "node-2");
        assertThat(balancer.nodes().get(0).state()).isNotEqualTo(NodeState.DRAINING);
    }

    @Test
    void aWrongToken_isRefusedLikeNone() throws Exception {
        char last = TOKEN.charAt(TOKEN.length() - 1);
        String oneCharOff = TOKEN.substring(0, TOKEN.length() - 1) + (last == 'A' ? 'B' : 'A');
        for (String wrong : List.of(oneCharOff, TOKEN.substring(1), TOKEN + "x", "")) {
            HttpResponse<String> read = send(admin("/api/nodes").header("Authorization", "Bearer " + wrong));
            assertThat(read.statusCode()).as(wrong).isEqualTo(401);
            HttpResponse<String> add = send(admin("/api/nodes")
                    .POST(body(EVIL_NODE))
                    .header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + wrong));
            assertThat(add.statusCode()).as(wrong).isEqualTo(401);
        }
        // Only the Bearer scheme carries it: the token as a Basic password is no credential.
        assertThat(send(admin("/api/nodes").header("Authorization", "Basic " + TOKEN))
                        .statusCode())
                .isEqualTo(401);
        assertThat(nodeNames()).containsExactly("node-1", "node-2");
    }

    @Test
    void aCrossOriginFormPost_isRefusedEvenWithTheToken() throws Exception {
        // A page cannot attach the token itself; this shows the Content-Type and Origin checks
        // stand on their own should a token ever leak into a browser.
        HttpResponse<String> plain = send(admin("/api/nodes")
                .POST(body(EVIL_NODE))
                .header("Content-Type", "text/plain")
                .header("Origin", "https://attacker.example")
                .header("Authorization", "Bearer " + TOKEN));
        assertThat(plain.statusCode()).isIn(403, 415);
        HttpResponse<String> form = send(admin("/api/nodes/node-1/drain")
                .POST(body("x=1"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", "Bearer " + TOKEN));
        assertThat(form.statusCode()).isEqualTo(415);
        HttpResponse<String> noType =
                send(admin("/api/nodes/node-1/drain").POST(body("")).header("Authorization", "Bearer " + TOKEN));
        assertThat(noType.statusCode()).isEqualTo(415);
        HttpResponse<String> jsonFromAPage = send(admin("/api/nodes")
                .POST(body(EVIL_NODE))
                .header("Content-Type", "application/json")
                .header("Origin", "https://attacker.example")
                .header("Authorization", "Bearer " + TOKEN));
        assertThat(jsonFromAPage.statusCode()).isEqualTo(403);
        HttpResponse<String> deleteFromAPage = send(admin("/api/nodes/node-2")
                .DELETE()
                .header("Origin", "null")
                .header("Authorization", "Bearer " + TOKEN));
        assertThat(deleteFromAPage.statusCode()).isEqualTo(403);
        assertThat(nodeNames()).containsExactly("node-1", "node-2");
        assertThat(balancer.nodes().get(0).state()).isNotEqualTo(NodeState.DRAINING);
    }

    @Test
    void withTheToken_curlsJsonCallsWork() throws Exception {
        String auth = "Bearer " + TOKEN;
        HttpResponse<String> list = send(admin("/api/nodes").header("Authorization", auth));
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(list.body()).path("nodes")).hasSize(2);
        TestBackend extra = new TestBackend("node-3");
        backends.add(extra);
        HttpResponse<String> added = send(admin("/api/nodes")
                .POST(body("{\"name\":\"node-3\",\"host\":\"127.0.0.1\",\"port\":" + extra.port + "}"))
                .header("Content-Type", "application/json; charset=utf-8")
                .header("Authorization", auth));
        assertThat(added.statusCode()).isEqualTo(201);
        HttpResponse<String> drained = send(admin("/api/nodes/node-1/drain")
                .POST(body(""))
                .header("Content-Type", "application/json")
                .header("Authorization", auth));
        assertThat(drained.statusCode()).isEqualTo(200);
        JsonNode state = JSON.readTree(drained.body());
        assertThat(state.path("state").asText()).isEqualTo(NodeState.DRAINING.name());
        assertThat(send(admin("/api/nodes/node-2").DELETE().header("Authorization", auth))
                        .statusCode())
                .isEqualTo(204);
        assertThat(nodeNames()).containsExactlyInAnyOrder("node-1", "node-3");
        assertThat(send(admin("/metrics").header("Authorization", auth)).statusCode())
                .isEqualTo(200);
    }

    @Test
    void theHealthProbe_answersWithoutTheToken_andTellsNothing() throws Exception {
        HttpResponse<String> r = send(admin("/health"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).doesNotContain("node-");
        assertThat(send(admin("/health").POST(body(""))).statusCode()).isEqualTo(401);
    }

    @Test
    void aBalancerGivenNoToken_failsClosed() throws Exception {
        try (Balancer unconfigured = Balancer.start(BalancerConfig.builder()
                .listen("127.0.0.1", 0)
                .admin("127.0.0.1", 0)
                .build())) {
            URI nodes =
                    URI.create("http://127.0.0.1:" + unconfigured.adminAddress().getPort() + "/api/nodes");
            assertThat(send(HttpRequest.newBuilder(nodes)).statusCode()).isEqualTo(401);
        }
    }

    @Test
    void theAdminApi_listensOnLoopbackUnlessTold_evenWhenTheProxyListensEverywhere() throws Exception {
        BalancerConfig defaults = BalancerConfig.builder().listen("0.0.0.0", 0).build();
        assertThat(defaults.adminHost).isEqualTo("127.0.0.1");
        assertThat(balancer.adminAddress().getAddress().isLoopbackAddress()).isTrue();
    }
}
