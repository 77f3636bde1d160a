package dev.satchel.balancer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The balancer terminating TLS with a certificate the test makes, in front of real HTTP and
 * WebSocket servers, reached by the JDK's TLS client over real sockets.
 */
class TlsTerminationIT {
    private static final String ADMIN_TOKEN = BalancerConfig.generateAdminToken();

    @TempDir
    Path dir;

    private final List<TestBackend> backends = new ArrayList<>();
    private WebSocketNode socketNode;
    private Balancer balancer;
    private TlsSettings tls;
    private HttpClient https;

    private void start(UnaryOperator<BalancerConfig.Builder> extra) throws Exception {
        tls = SelfSignedCertificates.forLocalhost(dir, 2);
        BalancerConfig.Builder b = BalancerConfig.builder()
                .listen("127.0.0.1", 0)
                .admin("127.0.0.1", 0)
                .adminToken(ADMIN_TOKEN)
                .policy(Policy.STICKY_COOKIE)
                .healthCheck("/health", Duration.ofMillis(200), 2, 2)
                .tls(tls);
        for (int i = 1; i <= 2; i++) {
            TestBackend backend = new TestBackend("node-" + i);
            backends.add(backend);
            b.node(backend.address());
        }
        balancer = Balancer.start(extra.apply(b).build());
        https = HttpClient.newBuilder()
                .sslContext(trusting())
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    @AfterEach
    void stop() throws Exception {
        if (balancer != null) {
            balancer.close();
        }
        backends.forEach(TestBackend::close);
        if (socketNode != null) {
            socketNode.close();
        }
    }

    private SSLContext trusting() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("balancer", tls.certificate());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    private URI uri(String scheme, String path) {
        return URI.create(scheme + "://127.0.0.1:" + balancer.address().getPort() + path);
    }

    @Test
    void https_reachesTheNode_asHttpsForwarded_withASecureAffinityCookie() throws Exception {
        start(b -> b);
        HttpResponse<String> r = https.send(
                HttpRequest.newBuilder(uri("https", "/"))
                        .header("X-Forwarded-Proto", "http") // what a client claims does not count
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        TestBackend served = backends.stream()
                .filter(n -> n.name.equals(r.body()))
                .findFirst()
                .orElseThrow();
        assertThat(served.lastHeaders).containsEntry("x-forwarded-proto", "https");
        assertThat(r.headers().allValues("set-cookie"))
                .anySatisfy(c -> assertThat(c).startsWith("SATCHEL_NODE=").contains("; Secure"));
    }

    @Test
    void theJdkEngine_theFallback_servesTheSameWay() throws Exception {
        System.setProperty("satchel.balancer.tls-engine", "jdk");
        try {
            start(b -> b);
        } finally {
            System.clearProperty("satchel.balancer.tls-engine");
        }
        try (SSLSocket s = (SSLSocket) trusting()
                .getSocketFactory()
                .createSocket("127.0.0.1", balancer.address().getPort())) {
            s.setEnabledProtocols(new String[] {"TLSv1.2"});
            s.startHandshake();
            assertThat(TlsSettings.CIPHERS).contains(s.getSession().getCipherSuite());
        }
        HttpResponse<String> r =
                https.send(HttpRequest.newBuilder(uri("https", "/")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
    }

    @Test
    void onlyTls12And13_withForwardSecretAeadCiphers() throws Exception {
        start(b -> b);
        for (String protocol : List.of("TLSv1.3", "TLSv1.2")) {
            try (SSLSocket s = (SSLSocket) trusting()
                    .getSocketFactory()
                    .createSocket("127.0.0.1", balancer.address().getPort())) {
                s.setEnabledProtocols(new String[] {protocol});
                s.startHandshake();
                assertThat(s.getSession().getProtocol()).isEqualTo(protocol);
                assertThat(TlsSettings.CIPHERS).contains(s.getSession().getCipherSuite());
            }
        }
        try (SSLSocket s = (SSLSocket) trusting()
                .getSocketFactory()
                .createSocket("127.0.0.1", balancer.address().getPort())) {
            s.setEnabledProtocols(new String[] {"TLSv1.2"});
            s.setEnabledCipherSuites(new String[] {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"}); // CBC: refused
            assertThatThrownBy(s::startHandshake).isInstanceOf(SSLHandshakeException.class);
        }
        // TLS 1.1 and 1.0, offered by OpenSSL (the JDK's client will not even offer them).
        for (String old : List.of("-tls1_1", "-tls1")) {
            Process p = new ProcessBuilder(
                            "openssl",
                            "s_client",
                            old,
                            "-cipher",
                            "DEFAULT@SECLEVEL=0",
                            "-connect",
                            "127.0.0.1:" + balancer.address().getPort())
                    .redirectErrorStream(true)
                    .start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            assertThat(out).as("openssl s_client " + old).contains("Cipher is (NONE)");
        }
    }

    @Test
    void plainHttpOnTheTlsPort_isDropped_andCounted_andTheNextClientIsServed() throws Exception {
        start(b -> b);
        try (RawClient plain = new RawClient(balancer.address().getPort())) {
            plain.send(RawClient.get("/"));
            assertThat(plain.closed()).isTrue();
        }
        assertThat(https.send(HttpRequest.newBuilder(uri("https", "/")).build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode())
                .isEqualTo(200);
        String metrics = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                        + balancer.adminAddress().getPort() + "/metrics"))
                                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(metrics).contains("satchel_balancer_rejections_total{reason=\"tls_handshake_failed\"} 1.0");
    }

    @Test
    void aClientThatNeverFinishesItsHandshake_isDroppedOnTheHeadDeadline() throws Exception {
        start(b -> b.clientDeadlines(Duration.ofSeconds(1), Duration.ofSeconds(5)));
        try (Socket s = new Socket("127.0.0.1", balancer.address().getPort())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(new byte[] {0x16, 0x03, 0x01}); // the start of a record, then nothing
            long start = System.nanoTime();
            assertThat(s.getInputStream().readAllBytes().length).isLessThan(100); // an alert at most
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        }
    }

    @Test
    void theHttpListener_redirectsEveryRequestToTheSameTargetOverHttps() throws Exception {
        start(b -> b.httpRedirect(0));
        int tlsPort = balancer.address().getPort();
        int plainPort = balancer.redirectAddress().orElseThrow().getPort();
        record Case(String request, int status, String location) {}
        List<Case> cases = List.of(
                new Case(
                        "GET /cart?x=1 HTTP/1.1\r\nHost: shop.example:80\r\n\r\n",
                        308,
                        "https://shop.example:" + tlsPort + "/cart?x=1"),
                new Case(
                        "POST /login HTTP/1.1\r\nHost: [::1]:8080\r\nContent-Length: 0\r\n\r\n",
                        308,
                        "https://[::1]:" + tlsPort + "/login"),
                new Case(
                        "GET http://other.example/p HTTP/1.1\r\nHost: shop.example\r\n\r\n",
                        308,
                        "https://other.example:" + tlsPort + "/p"),
                new Case("GET / HTTP/1.1\r\nHost: evil.example/x\r\n\r\n", 400, null),
                new Case("GET / HTTP/1.0\r\n\r\n", 400, null),
                new Case("GET /a\u0001b HTTP/1.1\r\nHost: shop\r\n\r\n", 400, null));
        for (Case c : cases) {
            try (RawClient client = new RawClient(plainPort)) {
                RawClient.Response r = client.send(c.request()).read();
                assertThat(r.status()).as(c.request()).isEqualTo(c.status());
                if (c.location() != null) {
                    assertThat(r.header("Location")).containsExactly(c.location());
                }
                assertThat(client.closed()).isTrue();
            }
        }
        assertThat(backends).allSatisfy(n -> assertThat(n.requests).hasValue(0));
    }

    @Test
    void aRedirectWithoutTls_isRefusedAtConfiguration() {
        assertThatThrownBy(() -> BalancerConfig.builder().httpRedirect(8080).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("needs TLS");
    }

    @Test
    void webSocketsOverTls_areTunnelledToo() throws Exception {
        socketNode = new WebSocketNode("ws-node");
        start(b -> b.policy(Policy.ROUND_ROBIN));
        // Only the WebSocket server: the two plain backends go.
        HttpClient admin = HttpClient.newHttpClient();
        for (TestBackend n : backends) {
            admin.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                    + balancer.adminAddress().getPort() + "/api/nodes/" + n.name))
                            .header("Authorization", "Bearer " + ADMIN_TOKEN)
                            .DELETE()
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
        }
        NodeAddress a = socketNode.address();
        HttpResponse<String> added = admin.send(
                HttpRequest.newBuilder(URI.create(
                                "http://127.0.0.1:" + balancer.adminAddress().getPort() + "/api/nodes"))
                        .header("Authorization", "Bearer " + ADMIN_TOKEN)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + a.name() + "\",\"host\":\""
                                + a.host() + "\",\"port\":" + a.port() + "}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(added.statusCode()).as(added.body()).isBetween(200, 201);
        CompletableFuture<String> echoed = new CompletableFuture<>();
        WebSocket ws = https.newWebSocketBuilder()
                .buildAsync(uri("wss", "/ws"), new WebSocket.Listener() {
                    private final StringBuilder text = new StringBuilder();

                    @Override
                    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                        text.append(data);
                        if (last) {
                            echoed.complete(text.toString());
                        }
                        socket.request(1);
                        return null;
                    }
                })
                .get(10, TimeUnit.SECONDS);
        ws.sendText("over tls", true).get(5, TimeUnit.SECONDS);
        assertThat(echoed.get(10, TimeUnit.SECONDS)).isEqualTo("ws-node:over tls");
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
    }
}
