package dev.satchel.balancer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.testkit.Await;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Odd and broken responses from a node (RFC 9110 section 15, RFC 9112 sections 4 to 6), each sent as
 * raw bytes by one node over a real socket. Each test asserts what the client receives and that the
 * next request, on the same client connection and on another, gets its own answer: a response must
 * never end early, run over into the next exchange, or reach another client.
 */
class BackendConformanceIT {
    /** What a path answers, as parts written one after another; the default path echoes itself. */
    private final Map<String, List<String>> answers = new ConcurrentHashMap<>();

    private RawBackend node;
    private Balancer balancer;

    private void start(UnaryOperator<BalancerConfig.Builder> extra) throws Exception {
        node = new RawBackend(r -> answers.getOrDefault(r.path(), List.of(RawBackend.ok(r.path()))));
        BalancerConfig.Builder b = BalancerConfig.builder()
                .listen("127.0.0.1", 0)
                .admin("127.0.0.1", 0)
                .policy(Policy.ROUND_ROBIN)
                .passiveFailures(1000) // these tests are about framing, not about the node going down
                .healthCheck("/health", Duration.ofSeconds(30), 1, 1000)
                .node(node.address("raw"));
        balancer = Balancer.start(extra.apply(b).build());
    }

    private void start() throws Exception {
        start(b -> b);
    }

    @AfterEach
    void stop() throws Exception {
        if (balancer != null) {
            balancer.close();
        }
        if (node != null) {
            node.close();
        }
    }

    private RawClient client() throws Exception {
        return new RawClient(balancer.address().getPort());
    }

    /** The next request, on the client connection given and on a fresh one, gets its own answer. */
    private void nextRequestsAreUnaffected(RawClient same) throws Exception {
        RawClient.Response again = same.send(RawClient.get("/after-same")).read();
        assertThat(again.status()).as(again.statusLine() + " " + again.body()).isEqualTo(200);
        assertThat(again.body()).isEqualTo("/after-same");
        try (RawClient other = client()) {
            RawClient.Response fresh = other.send(RawClient.get("/after-other")).read();
            assertThat(fresh.status())
                    .as(fresh.statusLine() + " " + fresh.body())
                    .isEqualTo(200);
            assertThat(fresh.body()).isEqualTo("/after-other");
        }
    }

    private void assertBadGateway(RawClient.Response r) {
        assertThat(r.status()).as(r.statusLine()).isEqualTo(502);
        assertThat(r.body()).contains("bad_response");
        assertThat(r.statusLine()).startsWith("HTTP/1.1 ");
    }

    // ---- 1xx: interim responses (RFC 9110 section 15.2) -----------------------------------------

    @Test
    void earlyHints_reachTheClient_thenItsFinalResponse_andNoOtherClientGetsIt() throws Exception {
        answers.put(
                "/alice",
                List.of(
                        "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n",
                        "HTTP/1.1 200 OK\r\nSet-Cookie: SID=alice\r\nContent-Length: 5\r\n\r\nalice"));
        start();
        try (RawClient alice = client();
                RawClient bob = client()) {
            RawClient.Response hints = alice.send(RawClient.get("/alice")).read();
            assertThat(hints.status()).isEqualTo(103);
            assertThat(hints.header("Link")).containsExactly("</style.css>; rel=preload");
            // Bob asks while Alice's final response is still on its way from the node.
            bob.send(RawClient.get("/bob"));
            RawClient.Response aliceFinal = alice.read();
            assertThat(aliceFinal.status()).isEqualTo(200);
            assertThat(aliceFinal.body()).isEqualTo("alice");
            assertThat(aliceFinal.header("Set-Cookie")).contains("SID=alice");
            RawClient.Response bobs = bob.read();
            assertThat(bobs.body()).isEqualTo("/bob");
            assertThat(bobs.header("Set-Cookie")).doesNotContain("SID=alice");
            nextRequestsAreUnaffected(alice);
        }
    }

    @Test
    void interimResponses_areNotSentToAnHttp10Client() throws Exception {
        answers.put("/hints", List.of("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n", RawBackend.ok("final")));
        start();
        try (RawClient c = client()) {
            RawClient.Response r = c.send("GET /hints HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                    .read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("final");
            nextRequestsAreUnaffected(c);
        }
    }

    @Test
    void anInterimResponse_doesNotStopTheResponseTimer() throws Exception {
        answers.put("/stalls", List.of("HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n"));
        start(b -> b.timeouts(Duration.ofSeconds(1), Duration.ofMillis(500), Duration.ofSeconds(10)));
        try (RawClient c = client()) {
            assertThat(c.send(RawClient.get("/stalls")).read().status()).isEqualTo(103);
            RawClient.Response timedOut = c.read();
            assertThat(timedOut.status()).isEqualTo(504);
            nextRequestsAreUnaffected(c);
        }
    }

    @Test
    void aNodesOwn100Continue_isDropped_andTheFinalResponseComes() throws Exception {
        answers.put("/continue", List.of("HTTP/1.1 100 Continue\r\n\r\n", RawBackend.ok("done")));
        answers.put("/continue-one-write", List.of("HTTP/1.1 100 Continue\r\n\r\n" + RawBackend.ok("done")));
        start();
        try (RawClient c = client()) {
            for (String path : List.of("/continue", "/continue-one-write")) {
                RawClient.Response r = c.send(RawClient.get(path)).read();
                assertThat(r.status()).as(path).isEqualTo(200);
                assertThat(r.body()).isEqualTo("done");
            }
            RawClient.Response expecting = c.send(
                            "POST /continue HTTP/1.1\r\nHost: shop\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
                    .read();
            assertThat(expecting.status()).as("the balancer's own 100").isEqualTo(100);
            RawClient.Response done = c.send("hi").read();
            assertThat(done.status()).isEqualTo(200);
            assertThat(done.body()).isEqualTo("done");
            nextRequestsAreUnaffected(c);
        }
    }

    @Test
    void anUnrequested101_isABadGateway_andItsBytesGoNowhere() throws Exception {
        answers.put(
                "/switch",
                List.of("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
                        + "\u0081\u0005hello"));
        start();
        try (RawClient c = client()) {
            assertBadGateway(c.send(RawClient.get("/switch")).read());
            nextRequestsAreUnaffected(c);
        }
    }

    // ---- bodiless responses (RFC 9112 section 6.3) ----------------------------------------------

    @Test
    void a204Or304CarryingABody_endsAtItsHead_andTheBytesNeverReachTheNextRequest() throws Exception {
        String forged = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nforged";
        answers.put("/204-with-length", List.of("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", "hello"));
        answers.put("/204-with-response", List.of("HTTP/1.1 204 No Content\r\n\r\n" + forged));
        answers.put("/304-with-length", List.of("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\nhello"));
        answers.put(
                "/304-chunked",
                List.of("HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", "5\r\nhello\r\n0\r\n\r\n"));
        start();
        for (String path : answers.keySet()) {
            try (RawClient c = client()) {
                RawClient.Response r = c.send(RawClient.get(path)).read();
                assertThat(r.status()).as(path).isIn(204, 304);
                assertThat(r.header("Content-Length")).as(path).allMatch(v -> v.equals("0") || v.equals("5"));
                assertThat(r.header("Transfer-Encoding")).as(path).isEmpty();
                nextRequestsAreUnaffected(c);
            }
        }
    }

    @Test
    void aHeadResponseDeclaringALength_hasNoBody_andTheConnectionStaysInStep() throws Exception {
        answers.put("/head", List.of("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"));
        start();
        try (RawClient c = client()) {
            RawClient.Response r =
                    c.send("HEAD /head HTTP/1.1\r\nHost: shop\r\n\r\n").read(true);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("Content-Length")).containsExactly("1234");
            nextRequestsAreUnaffected(c);
        }
    }

    // ---- broken heads (RFC 9112 sections 4 and 6.3) ---------------------------------------------

    @Test
    void anUnparseableStatusLine_isABadGateway_neverPassedOn() throws Exception {
        answers.put("/letters", List.of("HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n"));
        answers.put("/garbage", List.of("garbage\r\n\r\n"));
        answers.put("/no-version", List.of("200 OK\r\nContent-Length: 0\r\n\r\n"));
        answers.put("/http2", List.of("HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
        answers.put("/out-of-range", List.of("HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n"));
        answers.put("/two-digits", List.of("HTTP/1.1 20 Odd\r\nContent-Length: 0\r\n\r\n"));
        start();
        for (String path : answers.keySet()) {
            try (RawClient c = client()) {
                RawClient.Response r = c.send(RawClient.get(path)).read();
                assertThat(r.status()).as(path + ": " + r.statusLine()).isEqualTo(502);
                assertBadGateway(r);
                nextRequestsAreUnaffected(c);
            }
        }
    }

    @Test
    void brokenFraming_isABadGateway_notAHang() throws Exception {
        answers.put("/length-letters", List.of("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nabc"));
        answers.put("/two-lengths", List.of("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde"));
        answers.put(
                "/two-lengths-10", List.of("HTTP/1.0 200 OK\r\nContent-Length: 3\r\nContent-Length: 5\r\n\r\nabcde"));
        answers.put("/length-list", List.of("HTTP/1.1 200 OK\r\nContent-Length: 3, 5\r\n\r\nabcde"));
        answers.put("/negative", List.of("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nabc"));
        answers.put(
                "/length-and-chunked",
                List.of(
                        "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"));
        answers.put(
                "/bad-chunk", List.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"));
        answers.put(
                "/huge-head",
                List.of("HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(40_000) + "\r\nContent-Length: 0\r\n\r\n"));
        start();
        for (String path : answers.keySet()) {
            try (RawClient c = client()) {
                RawClient.Response r = c.send(RawClient.get(path)).read();
                assertThat(r.status()).as(path + ": " + r.statusLine()).isEqualTo(502);
                assertBadGateway(r);
                nextRequestsAreUnaffected(c);
            }
        }
    }

    @Test
    void aResponseHeadOf9Kilobytes_passesByDefault_asWithHAProxy() throws Exception {
        String header = "X-Big: " + "a".repeat(9 * 1024);
        answers.put("/big-head", List.of("HTTP/1.1 200 OK\r\n" + header + "\r\nContent-Length: 2\r\n\r\nok"));
        start();
        try (RawClient c = client()) {
            RawClient.Response r = c.send(RawClient.get("/big-head")).read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("ok");
            assertThat(r.header("X-Big")).containsExactly("a".repeat(9 * 1024));
            nextRequestsAreUnaffected(c);
        }
    }

    @Test
    void theResponseHeaderLimit_isConfigurable() throws Exception {
        answers.put(
                "/big-head",
                List.of("HTTP/1.1 200 OK\r\nX-Big: " + "a".repeat(5000) + "\r\nContent-Length: 0\r\n\r\n"));
        start(b -> b.responseHeaderLimit(4096));
        try (RawClient c = client()) {
            assertBadGateway(c.send(RawClient.get("/big-head")).read());
            nextRequestsAreUnaffected(c);
        }
    }

    // ---- connection reuse -----------------------------------------------------------------------

    @Test
    void bytesANodeSendsOnAnIdlePooledConnection_closeIt_andReachNoLaterRequest() throws Exception {
        answers.put(
                "/then-more",
                List.of(
                        // The body's end comes in a read of its own, after which the balancer reads no more.
                        "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nmi",
                        "ne",
                        "HTTP/1.1 200 OK\r\nSet-Cookie: SID=someone\r\nContent-Length: 6\r\n\r\nforged"));
        start();
        try (RawClient c = client()) {
            assertThat(c.send(RawClient.get("/then-more")).read().body()).isEqualTo("mine");
            // Wait until the node has sent its unasked-for response and the balancer closed on it.
            Await.until(
                    Duration.ofSeconds(5),
                    () -> node.closedByBalancer() >= 1,
                    "the balancer to close the connection the node spoke on unasked");
            assertThat(node.closedByBalancer())
                    .as("the idle connection was closed")
                    .isEqualTo(1);
            RawClient.Response next = c.send(RawClient.get("/next")).read();
            assertThat(next.body()).isEqualTo("/next");
            assertThat(next.header("Set-Cookie")).isEmpty();
            nextRequestsAreUnaffected(c);
        }
    }

    // ---- the response's version and framing towards the client (RFC 9110 section 6.2) ----------

    @Test
    void theClientGetsTheBalancersVersion_notTheNodes() throws Exception {
        answers.put("/old", List.of("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold"));
        start();
        try (RawClient c = client()) {
            RawClient.Response r = c.send(RawClient.get("/old")).read();
            assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 OK");
            assertThat(r.body()).isEqualTo("old");
            nextRequestsAreUnaffected(c);
        }
    }
}
