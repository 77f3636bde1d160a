package dev.satchel.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.store.jdbc.JdbcSessionStore;
import dev.satchel.testkit.Await;
import dev.satchel.testkit.LocalPostgresServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shop on the SQL store while PostgreSQL is stopped and started again: requests that need the
 * session fail fast with a 503 and a JSON reason, and the same node serves the same session again
 * once the database is back, with no restart.
 */
class ShopDatabaseOutageIT {
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void stoppedDatabase_gives503Fast_andTheSessionIsBackWhenItIs() throws Exception {
        Path work = Files.createDirectories(Path.of("target", "outage-it").toAbsolutePath());
        try (LocalPostgresServer postgres = LocalPostgresServer.start(work.resolve("postgres"));
                JdbcSessionStore store = JdbcSessionStore.builder(postgres.jdbcUrl())
                        .timeout(Duration.ofSeconds(1))
                        .build();
                ShopNode node = ShopNode.start(
                        new ShopConfig(
                                "node-a", "127.0.0.1", 0, Files.createTempDirectory(work, "shop"), Clock.systemUTC()),
                        store)) {
            String cookie =
                    sessionCookie(send(node.uri(), "POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":2}", ""));
            assertThat(send(node.uri(), "GET", "/api/cart", null, cookie).body())
                    .contains("HAT-01");

            postgres.stop();
            try {
                long start = System.nanoTime();
                HttpResponse<String> down = send(node.uri(), "GET", "/api/cart", null, cookie);
                assertThat(down.statusCode()).isEqualTo(503);
                // The store's 503 is the node's answer too: named, and as uncacheable as any other.
                assertThat(down.headers().firstValue("X-Served-By")).contains("node-a");
                assertThat(down.headers().firstValue("Cache-Control")).contains("no-store");
                assertThat(down.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
                assertThat(down.headers().firstValue("Content-Type"))
                        .hasValueSatisfying(t -> assertThat(t).contains("json"));
                assertThat(down.body())
                        .contains("\"error\"")
                        .doesNotContain("Exception")
                        .doesNotContain("at dev.");
                // Not a speed target: a bound far above the 1 s timeout that tells failing from hanging.
                assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start))
                        .isLessThan(10);
            } finally {
                postgres.begin();
            }

            HttpResponse<String> back = Await.until(
                    Duration.ofSeconds(30),
                    () -> send(node.uri(), "GET", "/api/cart", null, cookie),
                    r -> r.statusCode() != 503,
                    "an answer other than 503 once the database is back");
            assertThat(back.statusCode()).isEqualTo(200);
            assertThat(back.body()).as("the cart written before the outage").contains("HAT-01");
        }
    }

    private HttpResponse<String> send(URI base, String method, String path, String body, String cookie)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(20));
        if (!cookie.isEmpty()) {
            b.header("Cookie", cookie);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(
                method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String sessionCookie(HttpResponse<String> response) {
        String header = response.headers().firstValue("Set-Cookie").orElseThrow();
        return header.substring(0, header.indexOf(';'));
    }
}
