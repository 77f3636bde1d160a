package dev.satchel.balancer;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.testkit.Await;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The balancer in front of three real HTTP servers, over real sockets. */
class BalancerIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ADMIN_TOKEN = BalancerConfig.generateAdminToken();

    private final List<TestBackend> backends = new ArrayList<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Balancer balancer;

    private Balancer start(Policy policy, UnaryOperator<BalancerConfig.Builder> extra) throws Exception {
        BalancerConfig.Builder b = BalancerConfig.builder()
                .listen("127.0.0.1", 0)
                .admin("127.0.0.1", 0)
                .adminToken(ADMIN_TOKEN)
                .policy(policy)
                .healthCheck("/health", Duration.ofMillis(200), 2, 2);
        for (int i = 1; i <= 3; i++) {
            TestBackend backend = new TestBackend("node-" + i);
            backends.add(backend);
            b.node(backend.address());
        }
        balancer = Balancer.start(extra.apply(b).build());
        return balancer;
    }

    @AfterEach
    void stop() {
        if (balancer != null) {
            balancer.close();
        }
        backends.forEach(TestBackend::close);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + balancer.address().getPort() + path);
    }

    /** An admin call as a script makes it: the token, JSON, no Origin. */
    private HttpRequest.Builder adminRequest(String path) {
        return HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + balancer.adminAddress().getPort() + path))
                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                .header("Content-Type", "application/json");
    }

    private HttpResponse<String> get(String path, String cookie) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10));
        if (cookie != null) {
            r.header("Cookie", cookie);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String affinity(HttpResponse<?> r) {
        return r.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("SATCHEL_NODE="))
                .findFirst()
                .map(c -> c.substring(0, c.indexOf(';')))
                .orElse(null);
    }

    private TestBackend backend(String name) {
        return backends.stream().filter(b -> b.name.equals(name)).findFirst().orElseThrow();
    }

    /** Sends raw bytes and returns everything the balancer answers before closing (or 3 s pass). */
    private String raw(String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", balancer.address().getPort())) {
            s.setSoTimeout(3000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder answer = new StringBuilder();
            byte[] buf = new byte[4096];
            try {
                for (int n; (n = in.read(buf)) > 0; ) {
                    answer.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                }
            } catch (java.net.SocketTimeoutException e) {
                // a kept-alive connection: what arrived is the answer
            }
            return answer.toString();
        }
    }

    private int backendRequests() {
        return backends.stream().mapToInt(b -> b.requests.get()).sum();
    }

    // ---- routing ------------------------------------------------------------------------------

    @Test
    void roundRobin_spreadsRequestsOverEveryNode() throws Exception {
        start(Policy.ROUND_ROBIN, b -> b);
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            seen.merge(get("/", null).body(), 1, Integer::sum);
        }
        assertThat(seen).containsOnly(Map.entry("node-1", 10), Map.entry("node-2", 10), Map.entry("node-3", 10));
    }

    @Test
    void stickyCookie_keepsAUserOnOneNode_withASignedHttpOnlyCookie() throws Exception {
        start(Policy.STICKY_COOKIE, b -> b);
        HttpResponse<String> first = get("/", null);
        String cookie = affinity(first);
        assertThat(cookie).startsWith("SATCHEL_NODE=" + first.body() + ".");
        assertThat(first.headers().firstValue("Set-Cookie").orElseThrow().toLowerCase())
                .contains("httponly", "samesite=lax", "path=/")
                .doesNotContain(String.valueOf(backend(first.body()).port));
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> again = get("/", cookie);
            assertThat(again.body()).isEqualTo(first.body());
            assertThat(affinity(again)).as("no new cookie while pinned").isNull();
        }
    }

    @Test
    void stickyCookie_pinnedNodeKilled_redispatchesAndRepins() throws Exception {
        start(Policy.STICKY_COOKIE, b -> b);
        HttpResponse<String> first = get("/", null);
        String cookie = affinity(first);
        backend(first.body()).stop();
        HttpResponse<String> moved = get("/", cookie);
        assertThat(moved.statusCode()).isEqualTo(200);
        assertThat(moved.body()).isNotEqualTo(first.body());
        String repinned = affinity(moved);
        assertThat(repinned).startsWith("SATCHEL_NODE=" + moved.body() + ".");
        for (int i = 0; i < 5; i++) {
            assertThat(get("/", repinned).body()).isEqualTo(moved.body());
        }
        JsonNode dead = nodes().get(first.body());
        assertThat(dead.path("redispatches").asLong()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void drain_keepsPinnedUsers_sendsNewOnesElsewhere_andEnableUndoesIt() throws Exception {
        start(Policy.STICKY_COOKIE, b -> b);
        HttpResponse<String> first = get("/", null);
        String pinnedNode = first.body();
        String cookie = affinity(first);
        HttpResponse<String> drained = http.send(
                adminRequest("/api/nodes/" + pinnedNode + "/drain")
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(JSON.readTree(drained.body()).path("state").asText()).isEqualTo("DRAINING");
        for (int i = 0; i < 10; i++) {
            assertThat(get("/", cookie).body()).isEqualTo(pinnedNode);
            assertThat(get("/", null).body()).isNotEqualTo(pinnedNode);
        }
        http.send(
                adminRequest("/api/nodes/" + pinnedNode + "/enable")
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(nodes().get(pinnedNode).path("state").asText()).isEqualTo("UP");
    }

    // ---- proxying -------------------------------------------------------------------------------

    @Test
    void forwardedHeadersAreAdded_andHopByHopHeadersRemovedBothWays() throws Exception {
        start(Policy.ROUND_ROBIN, b -> b);
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(uri("/"))
                        .header("X-Private", "p")
                        .header("X-Forwarded-For", "10.9.8.7")
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        TestBackend b = backend(r.body());
        assertThat(b.lastHeaders)
                .containsEntry("x-forwarded-for", "10.9.8.7, 127.0.0.1")
                .containsEntry("x-forwarded-proto", "http")
                .containsKey("x-forwarded-host");
        assertThat(r.headers().firstValue("X-Backend-Private"))
                .as("named in the node's Connection header")
                .isEmpty();
        String answer = raw(
                "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Private\r\nX-Private: p\r\nX-Raw: 1\r\n\r\n");
        assertThat(answer).startsWith("HTTP/1.1 200");
        Map<String, String> seen = backends.stream()
                .map(x -> x.lastHeaders)
                .filter(h -> h.containsKey("x-raw"))
                .findFirst()
                .orElseThrow();
        assertThat(seen).doesNotContainKeys("x-private", "connection", "keep-alive");
    }

    @Test
    void largeBodies_streamBothWays_intact() throws Exception {
        start(Policy.ROUND_ROBIN, b -> b.limits(4096, 8192, 8L * 1024 * 1024));
        byte[] upload = new byte[5 * 1024 * 1024];
        new Random(7).nextBytes(upload);
        MessageDigest sha = TestBackend.sha();
        String expected = upload.length + ":" + HexFormat.of().formatHex(sha.digest(upload));
        HttpResponse<String> sized = http.send(
                HttpRequest.newBuilder(uri("/upload"))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(upload))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(sized.body()).isEqualTo(expected);
        HttpResponse<String> chunked = http.send(
                HttpRequest.newBuilder(uri("/upload"))
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(upload)))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.body()).isEqualTo(expected);
        HttpResponse<byte[]> download = http.send(
                HttpRequest.newBuilder(uri("/download?n=3000000")).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(download.body()).hasSize(3_000_000);
        assertThat(download.body()[8193]).isEqualTo((byte) 1);
    }

    @Test
    void keepAlive_reusesOneClientConnectionForManyRequests() throws Exception {
        start(Policy.ROUND_ROBIN, b -> b);
        try (Socket s = new Socket("127.0.0.1", balancer.address().getPort())) {
            s.setSoTimeout(5000);
            java.io.BufferedReader in = new java.io.BufferedReader(
                    new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            for (int i = 0; i < 5; i++) {
                s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                assertThat(in.readLine()).isEqualTo("HTTP/1.1 200 OK");
                int length = -1;
                for (String line; !(line = in.readLine()).isEmpty(); ) {
                    if (line.toLowerCase().startsWith("content-length:")) {
                        length = Integer.parseInt(line.substring(15).strip());
                    }
                }
                char[] body = new char[length];
                int read = 0;
                while (read < length) {
                    read += in.read(body, read, length - read);
                }
                assertThat(new String(body)).startsWith("node-");
            }
        }
    }

    // ---- bad requests ---------------------------------------------------------------------------

    @Test
    void malformedAndSmuggledRequests_get400_andNeverReachANode() throws Exception {
        start(Policy.ROUND_ROBIN, b -> b);
        List<String> attacks = List.of(
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nabcde",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
                "GARBAGE\r\n\r\n",
                "GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n");
        for (String attack : attacks) {
            try (RawClient c = new RawClient(balancer.address().getPort())) {
                RawClient.Response answer = c.send(attack).read();
                assertThat(answer.statusLine()).as(attack).startsWith("HTTP/1.1 400");
                assertThat(answer.header("Content-Type")).as(attack).containsExactly("application/json");
                assertThat(answer.header("Connection")).as(attack).containsExactly("close");
                assertThat(c.closed()).as("then the balancer closes: " + attack).isTrue();
            }
        }
        assertThat(raw("GET / HTTP/9.9\r\nHost: x\r\n\r\n")).startsWith("HTTP/1.1 505");
        assertThat(backendRequests()).as("no attack reached a node").isZero();
    }

    @Test
    void limits_answerWithTheRightStatus() throws Exception {
        start(Policy.ROUND_ROBIN, b -> b.limits(1024, 4096, 1024 * 1024));
        assertThat(raw("GET / HTTP/1.1\r\nHost: x\r\nCookie: " + "a".repeat(8000) + "\r\n\r\n"))
                .startsWith("HTTP/1.1 431");
        assertThat(raw("GET /" + "a".repeat(2000) + " HTTP/1.1\r\nHost: x\r\n\r\n"))
                .startsWith("HTTP/1.1 414");
        assertThat(raw("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n"))
                .startsWith("HTTP/1.1 413");
        HttpResponse<String> chunkedTooBig = http.send(
                HttpRequest.newBuilder(uri("/upload"))
                        .POST(HttpRequest.BodyPublishers.ofInputStream(
                                () -> new java.io.ByteArrayInputStream(new byte[2_000_000])))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(chunkedTooBig.statusCode()).isEqualTo(413);
        assertThat(raw("GET / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n")).startsWith("HTTP/1.1 417");
    }

    // ---- failures -------------------------------------------------------------------------------

    @Test
    void getIsRetriedOnAnotherNode_butAPostThatMayHaveArrivedIsNot() throws Exception {
        start(Policy.ROUND_ROBIN, b -> b.passiveFailures(100));
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = get("/flaky?node=node-1", null);
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isNotEqualTo("node-1");
        }
        int posted = 0;
        int badGateway = 0;
        for (int i = 0; i < 6; i++) {
            HttpResponse<String> r = http.send(
                    HttpRequest.newBuilder(uri("/flaky?node=node-1"))
                            .POST(HttpRequest.BodyPublishers.ofString("order"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 502) {
                badGateway++;
                assertThat(r.body()).contains("node_failed");
            } else {
                posted++;
            }
        }
        assertThat(badGateway)
                .as("the POSTs that reached node-1 are not retried")
                .isEqualTo(2);
        assertThat(posted).isEqualTo(4);
    }

    @Test
    void passiveChecks_markANodeDownAfterRepeated5xx_andActiveChecksBringItBack() throws Exception {
        start(Policy.ROUND_ROBIN, b -> b.passiveFailures(2).observe5xx(true));
        TestBackend sick = backend("node-2");
        sick.healthy = false;
        awaitState("node-2", "DOWN");
        for (int i = 0; i < 9; i++) {
            assertThat(get("/", null).body()).isNotEqualTo("node-2");
        }
        sick.healthy = true;
        awaitState("node-2", "UP");
        for (int i = 0; i < 5; i++) {
            get("/fail", null);
        }
        assertThat(nodes().values().stream()
                        .filter(n -> n.path("state").asText().equals("DOWN"))
                        .count())
                .as("with observe5xx, two 5xx in a row take a node down")
                .isPositive();
    }

    @Test
    void noNodeUp_answers503WithAReason() throws Exception {
        start(Policy.ROUND_ROBIN, b -> b);
        backends.forEach(TestBackend::stop);
        HttpResponse<String> r = get("/", null);
        assertThat(r.statusCode()).isIn(502, 503);
        assertThat(r.body()).contains("\"error\"");
    }

    @Test
    void slowNode_getsA504AfterTheResponseTimeout() throws Exception {
        start(
                Policy.ROUND_ROBIN,
                b -> b.timeouts(Duration.ofSeconds(1), Duration.ofMillis(300), Duration.ofSeconds(10)));
        HttpResponse<String> r = get("/slow?ms=2000", null);
        assertThat(r.statusCode()).isEqualTo(504);
        assertThat(r.body()).contains("node_timeout");
    }

    // ---- admin --------------------------------------------------------------------------------

    @Test
    void admin_listsAddsAndRemovesNodes_andServesMetricsAndExports() throws Exception {
        start(Policy.STICKY_COOKIE, b -> b);
        get("/", null);
        assertThat(nodes()).containsOnlyKeys("node-1", "node-2", "node-3");
        TestBackend extra = new TestBackend("node-4");
        backends.add(extra);
        HttpResponse<String> added = http.send(
                adminRequest("/api/nodes")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"name\":\"node-4\",\"host\":\"127.0.0.1\",\"port\":" + extra.port + "}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(added.statusCode()).isEqualTo(201);
        HttpResponse<String> again = http.send(
                adminRequest("/api/nodes")
                        .POST(HttpRequest.BodyPublishers.ofString(
                                "{\"name\":\"node-4\",\"host\":\"127.0.0.1\",\"port\":1}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(again.statusCode()).isEqualTo(409);
        HttpResponse<String> bad = http.send(
                adminRequest("/api/nodes")
                        .POST(HttpRequest.BodyPublishers.ofString("{nope"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(http.send(adminRequest("/api/nodes/node-1").DELETE().build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode())
                .isEqualTo(204);
        assertThat(nodes()).containsOnlyKeys("node-2", "node-3", "node-4");
        assertThat(http.send(
                                adminRequest("/api/nodes/ghost/drain")
                                        .POST(HttpRequest.BodyPublishers.noBody())
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .statusCode())
                .isEqualTo(404);
        assertThat(http.send(
                                adminRequest("/api/nodes/node-2/kill")
                                        .POST(HttpRequest.BodyPublishers.noBody())
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body())
                .contains("demo_only");
        String metrics = http.send(adminRequest("/metrics").build(), HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(metrics).contains("satchel_balancer_responses_total", "satchel_balancer_request_duration");
        String haproxy = http.send(adminRequest("/api/config/haproxy").build(), HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(haproxy).contains("cookie SATCHEL_NODE insert", "server node-1 127.0.0.1:");
    }

    private Map<String, JsonNode> nodes() throws Exception {
        JsonNode body =
                JSON.readTree(http.send(adminRequest("/api/nodes").build(), HttpResponse.BodyHandlers.ofString())
                        .body());
        Map<String, JsonNode> byName = new HashMap<>();
        body.path("nodes").forEach(n -> byName.put(n.path("name").asText(), n));
        return byName;
    }

    private void awaitState(String node, String state) {
        Await.until(
                Duration.ofSeconds(10),
                () -> nodes().get(node).path("state").asText(),
                state::equals,
                "state " + state + " of " + node);
    }
}
