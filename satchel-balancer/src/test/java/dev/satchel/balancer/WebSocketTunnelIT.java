package dev.satchel.balancer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.testkit.Await;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * WebSocket through the balancer: a real client (the JDK's) and real servers (Jetty's), over real
 * sockets. The upgrade is routed like any request of its session, then bytes pass both ways until
 * a side closes, the tunnel idles out, or its node's drain deadline passes.
 */
class WebSocketTunnelIT {
    private static final String ADMIN_TOKEN = BalancerConfig.generateAdminToken();

    private final List<WebSocketNode> nodes = new ArrayList<>();
    private final List<AutoCloseable> closeLast = new ArrayList<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Balancer balancer;

    private void start(UnaryOperator<BalancerConfig.Builder> extra) throws Exception {
        BalancerConfig.Builder b = BalancerConfig.builder()
                .listen("127.0.0.1", 0)
                .admin("127.0.0.1", 0)
                .adminToken(ADMIN_TOKEN)
                .policy(Policy.STICKY_COOKIE)
                .healthCheck("/health", Duration.ofMillis(200), 2, 2);
        for (int i = 1; i <= 2; i++) {
            WebSocketNode node = new WebSocketNode("node-" + i);
            nodes.add(node);
            b.node(node.address());
        }
        balancer = Balancer.start(extra.apply(b).build());
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : closeLast) {
            c.close();
        }
        if (balancer != null) {
            balancer.close();
        }
        for (WebSocketNode n : nodes) {
            n.close();
        }
    }

    @Test
    void aPinnedSessionsWebSocket_reachesItsNode_andCarriesTextAndLargeBinaryBothWays() throws Exception {
        start(b -> b);
        HttpResponse<String> first = get("/hello", null);
        String cookie = affinityCookie(first);
        String pinned = first.body().split(" ")[0];

        Client ws = Client.open(http, wsUri("/ws"), cookie);
        for (int i = 0; i < 20; i++) {
            ws.socket.sendText("hello " + i, true).get(5, TimeUnit.SECONDS);
            assertThat(ws.nextText()).isEqualTo(pinned + ":hello " + i);
        }
        byte[] big = new byte[3 << 20];
        new Random(7).nextBytes(big);
        ws.socket.sendBinary(ByteBuffer.wrap(big), true).get(10, TimeUnit.SECONDS);
        assertThat(ws.nextBinary()).isEqualTo(big);

        WebSocketNode other = nodes.get(0).name.equals(pinned) ? nodes.get(1) : nodes.get(0);
        assertThat(other.upgrades).hasValue(0);
        assertThat(metrics()).contains("satchel_balancer_tunnels_open 1.0");

        ws.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);
        assertThat(ws.closed.get(5, TimeUnit.SECONDS)).isEqualTo("close " + WebSocket.NORMAL_CLOSURE);
        Await.until(
                Duration.ofSeconds(5),
                () -> metrics().contains("satchel_balancer_tunnels_open 0.0"),
                "the closed tunnel to leave the open-tunnels gauge");
        // The HTTP side of the balancer still works after the tunnel.
        assertThat(get("/hello", cookie).body()).startsWith(pinned);
    }

    @Test
    void theSwitchPinsANewClient_andFramesSentWithTheHandshakeArriveAfterIt() throws Exception {
        start(b -> b);
        try (Socket s = new Socket("127.0.0.1", balancer.address().getPort())) {
            s.setSoTimeout(5000);
            // The handshake and a first frame in one write: the frame must wait for the switch.
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(handshake("/ws", "").getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(maskedText("early"));
            s.getOutputStream().write(out.toByteArray());
            String head = readHead(s.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 101");
            assertThat(head.toLowerCase()).contains("upgrade: websocket").contains("connection: upgrade");
            assertThat(head).contains("Sec-WebSocket-Accept: ");
            assertThat(head).containsPattern("(?i)set-cookie: SATCHEL_NODE=node-[12]\\.");
            String node = head.replaceAll("(?s).*SATCHEL_NODE=(node-[12]).*", "$1");
            assertThat(readTextFrame(s.getInputStream())).isEqualTo(node + ":early");
        }
    }

    @Test
    void aRefusedUpgrade_isForwarded_andTheConnectionThenCloses() throws Exception {
        start(b -> b);
        try (Socket s = new Socket("127.0.0.1", balancer.address().getPort())) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(handshake("/not-a-socket", "").getBytes(StandardCharsets.US_ASCII));
            String head = readHead(s.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 404");
            assertThat(head.toLowerCase()).contains("connection: close");
            InputStream in = s.getInputStream();
            byte[] rest = in.readNBytes(4096); // the body, then the end of the stream
            assertThat(new String(rest, StandardCharsets.UTF_8)).contains("upgrade=websocket");
        }
    }

    @Test
    void anUpgradeToAnythingButWebSocket_goesOnAsPlainHttp() throws Exception {
        start(b -> b);
        try (RawClient c = new RawClient(balancer.address().getPort())) {
            String h2c = "GET /hello HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                    + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n";
            RawClient.Response r = c.send(h2c).read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).endsWith("upgrade=null");
            // Still plain HTTP: the next request on the same connection is answered as one.
            assertThat(c.send(RawClient.get("/hello")).read().status()).isEqualTo(200);
        }
    }

    @Test
    void aTunnelThatCarriesNothing_closesAfterTheTunnelTimeout_notTheClientIdleTimeout() throws Exception {
        start(b -> b.tunnelIdleTimeout(Duration.ofMillis(1500))
                .timeouts(Duration.ofSeconds(2), Duration.ofSeconds(30), Duration.ofMillis(500)));
        Client ws = Client.open(http, wsUri("/ws"), null);
        Thread.sleep(1000); // past the client idle timeout: a tunnel is not an idle HTTP connection
        ws.socket.sendText("still here", true).get(5, TimeUnit.SECONDS);
        assertThat(ws.nextText()).endsWith(":still here");
        long quietFrom = System.nanoTime();
        assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isNotNull();
        assertThat(Duration.ofNanos(System.nanoTime() - quietFrom)).isGreaterThan(Duration.ofMillis(1200));
        assertThat(metrics()).contains("satchel_balancer_rejections_total{reason=\"tunnel_idle\"} 1.0");
    }

    @Test
    void aDrainLeavesOpenTunnelsAlone_untilItsDeadline() throws Exception {
        start(b -> b.drainDeadline(Duration.ofSeconds(3)));
        Client ws = Client.open(http, wsUri("/ws"), null);
        ws.socket.sendText("who", true).get(5, TimeUnit.SECONDS);
        String node = ws.nextText().split(":")[0];
        HttpResponse<String> drained = http.send(
                HttpRequest.newBuilder(adminUri("/api/nodes/" + node + "/drain"))
                        .header("Authorization", "Bearer " + ADMIN_TOKEN)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(drained.statusCode()).isEqualTo(200);
        long drainedAt = System.nanoTime();
        Thread.sleep(1000);
        ws.socket.sendText("during the drain", true).get(5, TimeUnit.SECONDS);
        assertThat(ws.nextText()).isEqualTo(node + ":during the drain");
        assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isNotNull();
        assertThat(Duration.ofNanos(System.nanoTime() - drainedAt)).isGreaterThan(Duration.ofMillis(2900));
    }

    @Test
    void aClientThatSendsFasterThanTheNodeReads_isHeldBack_notBufferedAtTheBalancer() throws Exception {
        // A node that switches, then never reads: what the client sends must stop in socket buffers.
        ServerSocket deaf = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        closeLast.add(deaf);
        Thread accept = new Thread(() -> {
            try {
                while (true) {
                    Socket c = deaf.accept();
                    closeLast.add(c);
                    String head = readHead(c.getInputStream());
                    String answer = head.startsWith("GET /health ")
                            ? "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            : "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                    + "Connection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n";
                    c.getOutputStream().write(answer.getBytes(StandardCharsets.US_ASCII));
                }
            } catch (Exception e) {
                // closed at the end of the test; the test fails on its own assertions
            }
        });
        accept.setDaemon(true);
        accept.start();
        BalancerConfig.Builder b = BalancerConfig.builder()
                .listen("127.0.0.1", 0)
                .admin("127.0.0.1", 0)
                .adminToken(ADMIN_TOKEN)
                .policy(Policy.ROUND_ROBIN)
                .healthCheck("/health", Duration.ofHours(1), 1, 1000)
                .node(new NodeAddress("deaf", "127.0.0.1", deaf.getLocalPort()));
        balancer = Balancer.start(b.build());
        try (SocketChannel c = SocketChannel.open(
                new InetSocketAddress("127.0.0.1", balancer.address().getPort()))) {
            c.write(ByteBuffer.wrap(handshake("/ws", "").getBytes(StandardCharsets.US_ASCII)));
            Socket s = c.socket();
            s.setSoTimeout(5000);
            assertThat(readHead(s.getInputStream())).startsWith("HTTP/1.1 101");
            c.configureBlocking(false);
            ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
            long sent = 0;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
            while (System.nanoTime() < until && sent < (256L << 20)) {
                chunk.clear();
                int n = c.write(chunk);
                sent += n;
                if (n == 0) {
                    Thread.sleep(10);
                }
            }
            // Socket buffers on the three hops hold a few MiB; the balancer itself holds one read.
            assertThat(sent).isLessThan(64L << 20);
        }
    }

    // --- helpers ---

    private HttpResponse<String> get(String path, String cookie) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + balancer.address().getPort() + path))
                .timeout(Duration.ofSeconds(10));
        if (cookie != null) {
            r.header("Cookie", cookie);
        }
        return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String affinityCookie(HttpResponse<?> r) {
        return r.headers().allValues("set-cookie").stream()
                .filter(c -> c.startsWith(BalancerConfig.DEFAULT_AFFINITY_COOKIE + "="))
                .map(c -> c.substring(0, c.indexOf(';')))
                .findFirst()
                .orElseThrow();
    }

    private URI wsUri(String path) {
        return URI.create("ws://127.0.0.1:" + balancer.address().getPort() + path);
    }

    private URI adminUri(String path) {
        return URI.create("http://127.0.0.1:" + balancer.adminAddress().getPort() + path);
    }

    private String metrics() throws Exception {
        return http.send(
                        HttpRequest.newBuilder(adminUri("/metrics"))
                                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private static String handshake(String path, String extraHeaders) {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" + extraHeaders
                + "\r\n";
    }

    /** A client's text frame (RFC 6455 section 5.2): final, masked, under 126 bytes. */
    private static byte[] maskedText(String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        byte[] mask = {1, 2, 3, 4};
        byte[] frame = new byte[2 + 4 + payload.length];
        frame[0] = (byte) 0x81;
        frame[1] = (byte) (0x80 | payload.length);
        System.arraycopy(mask, 0, frame, 2, 4);
        for (int i = 0; i < payload.length; i++) {
            frame[6 + i] = (byte) (payload[i] ^ mask[i % 4]);
        }
        return frame;
    }

    /** A server's unmasked text frame under 126 bytes. */
    private static String readTextFrame(InputStream in) throws Exception {
        byte[] head = in.readNBytes(2);
        assertThat(head[0] & 0xff).isEqualTo(0x81);
        return new String(in.readNBytes(head[1] & 0x7f), StandardCharsets.UTF_8);
    }

    /** Reads a response head byte by byte, so nothing after it is consumed. */
    private static String readHead(InputStream in) throws Exception {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("closed before the end of the head: " + head);
            }
            head.write(b);
            byte[] h = head.toByteArray();
            if (h.length >= 4 && Arrays.equals(h, h.length - 4, h.length, new byte[] {13, 10, 13, 10}, 0, 4)) {
                return head.toString(StandardCharsets.US_ASCII);
            }
        }
    }

    /** The JDK's WebSocket client, with what it received queued. */
    private static final class Client implements WebSocket.Listener {
        final BlockingQueue<Object> received = new LinkedBlockingQueue<>();
        final CompletableFuture<String> closed = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();
        private final ByteArrayOutputStream binary = new ByteArrayOutputStream();
        WebSocket socket;

        static Client open(HttpClient http, URI uri, String cookie) throws Exception {
            Client c = new Client();
            WebSocket.Builder b = http.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
            if (cookie != null) {
                b.header("Cookie", cookie);
            }
            c.socket = b.buildAsync(uri, c).get(10, TimeUnit.SECONDS);
            return c;
        }

        String nextText() throws Exception {
            Object m = received.poll(10, TimeUnit.SECONDS);
            assertThat(m).isInstanceOf(String.class);
            return (String) m;
        }

        byte[] nextBinary() throws Exception {
            Object m = received.poll(20, TimeUnit.SECONDS);
            assertThat(m).isInstanceOf(byte[].class);
            return (byte[]) m;
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                received.add(text.toString());
                text.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] part = new byte[data.remaining()];
            data.get(part);
            binary.writeBytes(part);
            if (last) {
                received.add(binary.toByteArray());
                binary.reset();
            }
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            closed.complete("close " + status);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.complete("error " + error);
        }
    }
}
