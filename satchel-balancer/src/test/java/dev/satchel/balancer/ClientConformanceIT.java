package dev.satchel.balancer;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the balancer does with the client's side of the conversation (RFC 9110 sections 7 and 10,
 * RFC 9112 sections 3 and 9): connection management, HTTP/1.0 clients, Host, Expect and forwarding
 * headers. One raw node over a real socket records exactly what reached it; each test asserts that
 * and what the client received, and that the connection goes on (or ends) as it should.
 */
class ClientConformanceIT {
    private RawBackend node;
    private Balancer balancer;

    @BeforeEach
    void start() throws Exception {
        node = new RawBackend(r -> switch (r.path()) {
            case "/chunked" -> List.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: 1\r\n\r\n");
            case "/until-close" -> List.of("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nto the end");
            case "/slow" -> slowly(r);
            default -> List.of(echo(r.path()));
        });
        balancer = Balancer.start(BalancerConfig.builder()
                .listen("127.0.0.1", 0)
                .admin("127.0.0.1", 0)
                .policy(Policy.ROUND_ROBIN)
                .healthCheck("/health", Duration.ofSeconds(30), 1, 1000)
                .node(node.address("raw"))
                .build());
    }

    /** Answers after a pause, so a request pipelined behind it is ready long before this answer. */
    private static List<String> slowly(RawBackend.Received r) {
        try {
            Thread.sleep(300);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return List.of(echo(r.path()));
    }

    private static String echo(String body) {
        return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }

    @AfterEach
    void stop() throws Exception {
        balancer.close();
        node.close();
    }

    private RawClient client() throws Exception {
        return new RawClient(balancer.address().getPort());
    }

    private RawBackend.Received lastAtNode() {
        List<RawBackend.Received> seen = node.requests();
        assertThat(seen).isNotEmpty();
        return seen.get(seen.size() - 1);
    }

    // ---- connection management (RFC 9112 section 9) ---------------------------------------------

    @Test
    void connectionClose_fromAnHttp11Client_endsTheConnectionAfterTheResponse() throws Exception {
        try (RawClient c = client()) {
            RawClient.Response r = c.send("GET /bye HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n")
                    .read();
            assertThat(r.body()).isEqualTo("/bye");
            assertThat(r.header("Connection")).containsExactly("close");
            assertThat(c.closed()).as("the balancer closes the connection").isTrue();
        }
        assertThat(lastAtNode().header("Connection"))
                .as("hop-by-hop: not forwarded")
                .isEmpty();
    }

    @Test
    void http10KeepAlive_isHonoured_andAnsweredInKind() throws Exception {
        try (RawClient c = client()) {
            for (String path : List.of("/one", "/two")) {
                RawClient.Response r = c.send("GET " + path + " HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                        .read();
                assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 OK");
                assertThat(r.body()).isEqualTo(path);
                assertThat(r.header("Connection")).containsExactly("keep-alive");
            }
        }
    }

    @Test
    void http10WithoutKeepAlive_isClosedAfterTheResponse() throws Exception {
        try (RawClient c = client()) {
            RawClient.Response r = c.send("GET /once HTTP/1.0\r\n\r\n").read();
            assertThat(r.body()).isEqualTo("/once");
            assertThat(c.closed()).isTrue();
        }
    }

    @Test
    void theConnectionHeader_removesOnlyWhatAProxyMayRemove() throws Exception {
        try (RawClient c = client()) {
            RawClient.Response r = c.send("POST /named HTTP/1.1\r\nHost: shop\r\n"
                            + "Connection: keep-alive, Host, Content-Length, X-Private\r\n"
                            + "X-Private: p\r\nTrailer: X-Checksum\r\nTE: trailers\r\nContent-Length: 2\r\n\r\nhi")
                    .read();
            assertThat(r.status()).isEqualTo(200);
        }
        RawBackend.Received seen = lastAtNode();
        assertThat(seen.header("Host")).containsExactly("shop");
        assertThat(seen.header("Content-Length")).containsExactly("2");
        assertThat(seen.header("X-Private")).as("named in Connection").isEmpty();
        assertThat(seen.header("Connection")).isEmpty();
        assertThat(seen.header("TE")).as("hop-by-hop").isEmpty();
        assertThat(seen.header("Trailer"))
                .as("end-to-end (RFC 9110 section 6.6.2)")
                .containsExactly("X-Checksum");
    }

    @Test
    void pipelinedRequests_areAnsweredInOrder_aSlowOneBeforeAFastOne() throws Exception {
        try (RawClient c = client()) {
            c.send("GET /slow HTTP/1.1\r\nHost: shop\r\n\r\nGET /fast HTTP/1.1\r\nHost: shop\r\n\r\n");
            assertThat(c.read().body()).isEqualTo("/slow");
            assertThat(c.read().body()).isEqualTo("/fast");
        }
        assertThat(node.requests().stream().map(RawBackend.Received::path)).containsExactly("/slow", "/fast");
    }

    // ---- HTTP/1.0 clients and the version (RFC 9110 section 6.2, RFC 9112 section 6.1) ---------

    @Test
    void anHttp10Client_getsNoChunking_andTheBodyEndsWithTheConnection() throws Exception {
        try (RawClient c = client()) {
            RawClient.Response r = c.send("GET /chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                    .read();
            assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 OK");
            assertThat(r.header("Transfer-Encoding")).isEmpty();
            assertThat(r.chunked()).isFalse();
            assertThat(r.body()).isEqualTo("hello world");
        }
        assertThat(lastAtNode().requestLine())
                .as("the balancer speaks its own version to the node")
                .isEqualTo("GET /chunked HTTP/1.1");
    }

    @Test
    void anHttp11Client_getsAResponseDelimitedByClose_chunked() throws Exception {
        try (RawClient c = client()) {
            RawClient.Response r =
                    c.send("GET /until-close HTTP/1.1\r\nHost: shop\r\n\r\n").read();
            assertThat(r.chunked()).isTrue();
            assertThat(r.body()).isEqualTo("to the end");
            RawClient.Response next =
                    c.send("GET /next HTTP/1.1\r\nHost: shop\r\n\r\n").read();
            assertThat(next.body()).isEqualTo("/next");
        }
    }

    // ---- Host and the request target (RFC 9112 sections 3.2 and 3.2.2) -------------------------

    @Test
    void aMissingOrRepeatedHost_is400_andReachesNoNode() throws Exception {
        for (String bad : List.of(
                "GET /no-host HTTP/1.1\r\n\r\n",
                "GET /two-hosts HTTP/1.1\r\nHost: shop\r\nHost: shop\r\n\r\n",
                "GET /two-hosts HTTP/1.1\r\nHost: shop\r\nHost: evil\r\n\r\n",
                "GET /bad-host HTTP/1.1\r\nHost: shop/evil\r\n\r\n",
                "GET http://user@shop/userinfo HTTP/1.1\r\nHost: shop\r\n\r\n",
                "GET shop/relative HTTP/1.1\r\nHost: shop\r\n\r\n")) {
            try (RawClient c = client()) {
                RawClient.Response r = c.send(bad).read();
                assertThat(r.status()).as(bad).isEqualTo(400);
                assertThat(r.body()).contains("\"error\"");
            }
        }
        assertThat(node.requests()).isEmpty();
        try (RawClient c = client()) {
            assertThat(c.send("GET /no-host HTTP/1.0\r\n\r\n").read().status())
                    .as("HTTP/1.0 needs no Host")
                    .isEqualTo(200);
        }
    }

    @Test
    void anAbsoluteFormTarget_setsHost_andTheNodeGetsOriginForm() throws Exception {
        try (RawClient c = client()) {
            RawClient.Response r = c.send("GET http://shop.example:8080/cart?id=7 HTTP/1.1\r\nHost: elsewhere\r\n\r\n")
                    .read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("/cart?id=7");
        }
        RawBackend.Received seen = lastAtNode();
        assertThat(seen.requestLine()).isEqualTo("GET /cart?id=7 HTTP/1.1");
        assertThat(seen.header("Host")).containsExactly("shop.example:8080");
        assertThat(seen.header("X-Forwarded-Host")).containsExactly("shop.example:8080");
    }

    // ---- Expect and X-Forwarded-For (RFC 9110 section 10.1.1) ----------------------------------

    @Test
    void expect100Continue_fromAnHttp10Client_isIgnored() throws Exception {
        try (RawClient c = client()) {
            RawClient.Response r = c.send(
                            "POST /old-expect HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi")
                    .read();
            assertThat(r.status()).as("no 417 and no 100").isEqualTo(200);
            assertThat(r.body()).isEqualTo("/old-expect");
        }
        assertThat(lastAtNode().header("Expect")).isEmpty();
    }

    @Test
    void everyXForwardedForLine_isKept_andTheClientAppended() throws Exception {
        try (RawClient c = client()) {
            c.send("GET /xff HTTP/1.1\r\nHost: shop\r\nX-Forwarded-For: 10.0.0.1\r\n"
                            + "X-Forwarded-For: 10.0.0.2, 10.0.0.3\r\n\r\n")
                    .read();
        }
        assertThat(lastAtNode().header("X-Forwarded-For")).containsExactly("10.0.0.1, 10.0.0.2, 10.0.0.3, 127.0.0.1");
    }
}
