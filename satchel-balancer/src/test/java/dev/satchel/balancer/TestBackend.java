package dev.satchel.balancer;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/** A real HTTP server standing in for an app node: it reports who it is and what it received. */
final class TestBackend implements AutoCloseable {
    final String name;
    final int port;
    final AtomicInteger requests = new AtomicInteger();
    final Map<String, String> lastHeaders = new ConcurrentHashMap<>();
    /** Requests seen per path, counted when the head arrives, before any body is read. */
    final Map<String, AtomicInteger> paths = new ConcurrentHashMap<>();

    volatile boolean healthy = true;
    /** What a healthy node's health check answers. */
    volatile String healthBody = "ok";

    private HttpServer server;

    TestBackend(String name) throws IOException {
        this.name = name;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        this.port = server.getAddress().getPort();
        configure();
    }

    private void configure() {
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/", this::handle);
        server.start();
    }

    NodeAddress address() {
        return new NodeAddress(name, "127.0.0.1", port);
    }

    void stop() {
        server.stop(0);
    }

    void restart() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
        configure();
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        if (path.equals("/health")) {
            respond(ex, healthy ? 200 : 503, healthy ? healthBody : "sick");
            return;
        }
        requests.incrementAndGet();
        paths.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        lastHeaders.clear();
        ex.getRequestHeaders().forEach((k, v) -> lastHeaders.put(k.toLowerCase(), String.join(",", v)));
        String query =
                ex.getRequestURI().getQuery() == null ? "" : ex.getRequestURI().getQuery();
        switch (path) {
            case "/upload" -> {
                MessageDigest sha = sha();
                long n = 0;
                try (InputStream in = ex.getRequestBody()) {
                    byte[] buf = new byte[16384];
                    for (int r; (r = in.read(buf)) > 0; ) {
                        sha.update(buf, 0, r);
                        n += r;
                    }
                }
                respond(ex, 200, n + ":" + HexFormat.of().formatHex(sha.digest()));
            }
            case "/download" -> {
                int size = Integer.parseInt(query.substring("n=".length()));
                ex.sendResponseHeaders(200, 0); // chunked
                try (OutputStream out = ex.getResponseBody()) {
                    byte[] chunk = new byte[8192];
                    for (int i = 0; i < chunk.length; i++) {
                        chunk[i] = (byte) i;
                    }
                    for (int sent = 0; sent < size; sent += chunk.length) {
                        out.write(chunk, 0, Math.min(chunk.length, size - sent));
                    }
                }
            }
            case "/flaky" -> {
                if (query.equals("node=" + name)) {
                    ex.getRequestBody().readAllBytes();
                    ex.close(); // no answer: the connection just ends
                } else {
                    ex.getRequestBody().readAllBytes();
                    respond(ex, 200, name);
                }
            }
            case "/fail" -> respond(ex, 500, "broken");
            case "/store-down" -> {
                // What a shop node answers while its session store is down (satchel-servlet's SatchelFilter).
                ex.getResponseHeaders().set("Retry-After", "1");
                respond(
                        ex,
                        503,
                        "{\"error\":\"session_store_unavailable\",\"message\":\"the session store is not answering\"}");
            }
            case "/small" -> {
                // As the shop's API: a body over 16 KB is refused with 413 and the rest left unread.
                byte[] body = ex.getRequestBody().readNBytes(16 * 1024 + 1);
                if (body.length > 16 * 1024) {
                    ex.getResponseHeaders().set("Connection", "close");
                    respond(ex, 413, "too large");
                } else {
                    respond(ex, 200, name);
                }
            }
            case "/slow" -> {
                try {
                    Thread.sleep(Long.parseLong(query.substring("ms=".length())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                respond(ex, 200, name);
            }
            default -> {
                ex.getRequestBody().readAllBytes();
                ex.getResponseHeaders().add("Connection", "X-Backend-Private");
                ex.getResponseHeaders().add("X-Backend-Private", "secret");
                respond(ex, 200, name);
            }
        }
    }

    static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void respond(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
