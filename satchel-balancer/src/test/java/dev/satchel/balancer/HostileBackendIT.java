package dev.satchel.balancer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A node that stalls or closes at awkward moments, and a client that reads slowly: the timing cases
 * the framing tests in {@link BackendConformanceIT} do not reach. Each asserts what the client
 * receives, over real sockets, and that nothing waits longer than the configured deadlines.
 */
class HostileBackendIT {
    private final Map<String, List<String>> answers = new ConcurrentHashMap<>();
    private RawBackend node;
    private Balancer balancer;

    private void start(UnaryOperator<BalancerConfig.Builder> extra) throws Exception {
        node = new RawBackend(r -> answers.getOrDefault(r.path(), List.of(RawBackend.ok(r.path()))));
        BalancerConfig.Builder b = BalancerConfig.builder()
                .listen("127.0.0.1", 0)
                .admin("127.0.0.1", 0)
                .policy(Policy.ROUND_ROBIN)
                .passiveFailures(1000)
                .healthCheck("/health", Duration.ofSeconds(30), 1, 1000)
                .node(node.address("raw"));
        balancer = Balancer.start(extra.apply(b).build());
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

    /** Reads until the balancer closes, or {@code wait} passes with nothing new. */
    private static byte[] readUntilClose(InputStream in, Duration wait, Socket s) throws IOException {
        s.setSoTimeout((int) wait.toMillis());
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        byte[] buf = new byte[64 * 1024];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                all.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            all.write("<still open>".getBytes(StandardCharsets.ISO_8859_1));
        } catch (IOException reset) {
            all.write("<reset>".getBytes(StandardCharsets.ISO_8859_1));
        }
        return all.toByteArray();
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void aWholeResponseFollowedByTheNodesClose_reachesASlowReaderWhole() throws Exception {
        int size = 4 * 1024 * 1024;
        String body = "x".repeat(size - 3) + "END";
        answers.put(
                "/big", List.of("HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\nConnection: close\r\n\r\n" + body));
        // A response timeout shorter than the client's pause: a slow reader is not a silent node.
        start(b -> b.timeouts(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(60)));
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(8 * 1024); // a reader slower than the node: the balancer must hold on
            s.connect(new InetSocketAddress("127.0.0.1", balancer.address().getPort()), 2000);
            s.getOutputStream().write(RawClient.get("/big").getBytes(StandardCharsets.ISO_8859_1));
            Thread.sleep(1500); // the node has written it all and closed before the client reads a byte
            s.setSoTimeout(5000);
            InputStream in = s.getInputStream();
            assertThat(readHead(in)).startsWith("HTTP/1.1 200 OK");
            String received = new String(in.readNBytes(size), StandardCharsets.ISO_8859_1);
            assertThat(received.length()).as("body bytes received").isEqualTo(size);
            assertThat(received).endsWith("END");
        }
    }

    @Test
    void aNodeStallingMidBody_endsTheClientsResponse_withinTheResponseTimeout() throws Exception {
        // Half the body, then nothing: the node neither finishes nor closes (a hung application thread).
        answers.put("/stall", List.of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf!"));
        start(b -> b.timeouts(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(60)));
        try (Socket s = new Socket("127.0.0.1", balancer.address().getPort())) {
            s.getOutputStream().write(RawClient.get("/stall").getBytes(StandardCharsets.ISO_8859_1));
            String got = new String(
                    readUntilClose(s.getInputStream(), Duration.ofSeconds(4), s), StandardCharsets.ISO_8859_1);
            assertThat(got).startsWith("HTTP/1.1 200 OK").contains("half!");
            assertThat(got)
                    .as("the client learns the body is not coming: the balancer closes")
                    .doesNotEndWith("<still open>");
        }
        try (RawClient other = new RawClient(balancer.address().getPort())) {
            assertThat(other.send(RawClient.get("/after")).read().body()).isEqualTo("/after");
        }
    }

    @Test
    void aClientThatNeverReadsItsResponse_isDroppedAfterTheClientIdleTimeout_freeingTheNodesConnection()
            throws Exception {
        int size = 4 * 1024 * 1024;
        answers.put("/big", List.of(RawBackend.ok("y".repeat(size))));
        start(b -> b.timeouts(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(1)));
        try (Socket s = new Socket()) {
            s.setReceiveBufferSize(8 * 1024);
            s.connect(new InetSocketAddress("127.0.0.1", balancer.address().getPort()), 2000);
            s.getOutputStream().write(RawClient.get("/big").getBytes(StandardCharsets.ISO_8859_1));
            Thread.sleep(3000); // reads nothing, well past the 1 s client idle timeout
            byte[] got = readUntilClose(s.getInputStream(), Duration.ofSeconds(4), s);
            String tail = new String(
                    got, Math.max(0, got.length - 12), Math.min(12, got.length), StandardCharsets.ISO_8859_1);
            assertThat(tail).as("the balancer closed the connection").doesNotEndWith("<still open>");
            assertThat(got.length).as("bytes received before the close").isLessThan(size);
        }
        try (RawClient other = new RawClient(balancer.address().getPort())) {
            assertThat(other.send(RawClient.get("/after")).read().body()).isEqualTo("/after");
        }
    }

    @Test
    void manyClients_whileTheNodeMisbehavesOnSomePaths_eachGetOnlyTheirOwnAnswers() throws Exception {
        answers.put(
                "/hints",
                List.of("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nSet-Cookie: SID=hinted\r\nContent-Length: 5\r\n\r\nhints"));
        answers.put("/nocontent", List.of("HTTP/1.1 204 No Content\r\nContent-Length: 6\r\n\r\nSTOLEN"));
        answers.put(
                "/forged",
                List.of("HTTP/1.1 304 Not Modified\r\n\r\n"
                        + "HTTP/1.1 200 OK\r\nSet-Cookie: SID=forged\r\nContent-Length: 6\r\n\r\nFORGED"));
        start(b -> b);
        int clients = 16;
        ExecutorService threads = Executors.newFixedThreadPool(clients);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int id = c;
                results.add(threads.submit(() -> {
                    List<String> wrong = new ArrayList<>();
                    try (RawClient client = new RawClient(balancer.address().getPort())) {
                        for (int i = 0; i < 25; i++) {
                            String own = "/c" + id + "-" + i;
                            String odd =
                                    List.of("/hints", "/nocontent", "/forged").get((id + i) % 3);
                            RawClient.Response r =
                                    client.send(RawClient.get(own)).read();
                            if (r.status() != 200
                                    || !r.body().equals(own)
                                    || !r.header("Set-Cookie").isEmpty()) {
                                wrong.add(
                                        own + " got " + r.statusLine() + " " + r.header("Set-Cookie") + " " + r.body());
                            }
                            RawClient.Response o =
                                    client.send(RawClient.get(odd)).read();
                            if (odd.equals("/hints")) {
                                if (o.status() != 103) {
                                    wrong.add(odd + " first got " + o.statusLine());
                                }
                                o = client.read();
                            }
                            int expected = Map.of("/hints", 200, "/nocontent", 204, "/forged", 304)
                                    .get(odd);
                            if (o.status() != expected) {
                                wrong.add(odd + " got " + o.statusLine() + " " + o.body());
                            }
                        }
                    }
                    return wrong;
                }));
            }
            List<String> wrong = new ArrayList<>();
            for (Future<List<String>> f : results) {
                wrong.addAll(f.get(60, TimeUnit.SECONDS));
            }
            assertThat(wrong).as("answers that were not the client's own").isEmpty();
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aTransferCodingOtherThanChunked_isABadGateway_notPassedOnWithoutItsCoding() throws Exception {
        answers.put(
                "/gzip", List.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\nnot-gzip"));
        answers.put(
                "/gzip-chunked",
                List.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n8\r\nnot-gzip\r\n0\r\n\r\n"));
        start(b -> b);
        for (String path : List.of("/gzip", "/gzip-chunked")) {
            try (RawClient client = new RawClient(balancer.address().getPort())) {
                RawClient.Response r = client.send(RawClient.get(path)).read();
                assertThat(r.status())
                        .as(path + ": " + r.statusLine() + " " + r.header("Transfer-Encoding"))
                        .isEqualTo(502);
                assertThat(client.send(RawClient.get("/after")).read().body()).isEqualTo("/after");
            }
        }
    }

    @Test
    void pipelinedRequests_withA103InTheFirstAnswer_areAnsweredInOrder() throws Exception {
        answers.put(
                "/hints",
                List.of(
                        "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n",
                        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhints"));
        start(b -> b);
        try (RawClient client = new RawClient(balancer.address().getPort())) {
            client.send(RawClient.get("/hints") + RawClient.get("/second") + RawClient.get("/third"));
            assertThat(client.read().status()).isEqualTo(103);
            assertThat(client.read().body()).isEqualTo("hints");
            assertThat(client.read().body()).isEqualTo("/second");
            assertThat(client.read().body()).isEqualTo("/third");
        }
    }

    @Test
    void aHeadAnswerThatIsChunkedAndCarriesABodyAnyway_reachesNoLaterRequest() throws Exception {
        answers.put(
                "/page",
                List.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "2d\r\nHTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nFORGED\r\n0\r\n\r\n"));
        start(b -> b);
        try (RawClient client = new RawClient(balancer.address().getPort())) {
            RawClient.Response head =
                    client.send("HEAD /page HTTP/1.1\r\nHost: shop\r\n\r\n").read(true);
            assertThat(head.status()).isEqualTo(200);
            for (int i = 0; i < 3; i++) {
                RawClient.Response next =
                        client.send(RawClient.get("/next" + i)).read();
                assertThat(next.body()).isEqualTo("/next" + i);
            }
        }
    }
}
