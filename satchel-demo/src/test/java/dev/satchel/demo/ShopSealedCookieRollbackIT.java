package dev.satchel.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.cookie.RevocationList;
import dev.satchel.cookie.SealedCookieSessions;
import dev.satchel.core.memory.MemorySessionStore;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A logged-in user's older sealed cookie, replayed on another node after a cart line was removed:
 * without the freshness check the removed line comes back and writes through the old cookie are
 * accepted (as docs/strategies.md says); with it, the old cookie is no session and the user's newest
 * cookie is untouched.
 */
class ShopSealedCookieRollbackIT {
    private static final String CREDENTIALS = "{\"username\":\"ann\",\"password\":\"correct horse battery\"}";

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private MemorySessionStore revocationStore;
    private ShopNode nodeA;
    private ShopNode nodeB;

    private void start(boolean freshnessCheck) throws Exception {
        Path data = Files.createTempDirectory("satchel-rollback");
        String keyset = SealedCookieSessions.generateKeyset();
        revocationStore = MemorySessionStore.builder().build();
        RevocationList revocations = new RevocationList(revocationStore, Clock.systemUTC(), Duration.ofHours(8));
        nodeA = ShopNode.start(
                new ShopConfig("node-a", "127.0.0.1", 0, data, Clock.systemUTC()),
                sealer(keyset, revocations, freshnessCheck));
        nodeB = ShopNode.start(
                new ShopConfig("node-b", "127.0.0.1", 0, data, Clock.systemUTC()),
                sealer(keyset, revocations, freshnessCheck));
    }

    private static SealedCookieSessions sealer(String keyset, RevocationList revocations, boolean freshnessCheck) {
        return SealedCookieSessions.builder("SID")
                .keyset(keyset)
                .revocations(revocations)
                .freshnessCheck(freshnessCheck)
                .build();
    }

    @AfterEach
    void stop() {
        nodeA.close();
        nodeB.close();
        revocationStore.close();
    }

    /** Logs in, fills the cart with two lines, keeps that cookie, removes a line: the two cookies. */
    private String[] olderAndNewest() throws Exception {
        send(nodeA.uri(), "POST", "/api/signup", CREDENTIALS, "");
        HttpResponse<String> login = send(nodeA.uri(), "POST", "/api/login", CREDENTIALS, "");
        assertThat(login.statusCode()).isEqualTo(200);
        String jar = cookie(login, "");
        jar = cookie(send(nodeA.uri(), "POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":1}", jar), jar);
        jar = cookie(send(nodeA.uri(), "POST", "/api/cart/items", "{\"sku\":\"MUG-01\",\"qty\":1}", jar), jar);
        String older = jar;
        HttpResponse<String> removed = send(nodeA.uri(), "DELETE", "/api/cart/items/MUG-01", null, jar);
        assertThat(removed.statusCode()).isEqualTo(200);
        String newest = cookie(removed, jar);
        assertThat(newest).isNotEqualTo(older);
        return new String[] {older, newest};
    }

    @Test
    void olderCookie_bringsBackARemovedLine_withoutTheFreshnessCheck() throws Exception {
        start(false);
        String[] cookies = olderAndNewest();
        HttpResponse<String> replay = send(nodeB.uri(), "GET", "/api/cart", null, cookies[0]);
        assertThat(replay.body()).as("the cart through the older cookie").contains("MUG-01");
        HttpResponse<String> write =
                send(nodeB.uri(), "POST", "/api/cart/items", "{\"sku\":\"MAP-01\",\"qty\":1}", cookies[0]);
        assertThat(write.statusCode()).isEqualTo(200);
        assertThat(write.body()).as("a write through it, accepted").contains("MUG-01", "MAP-01");
    }

    @Test
    void olderCookie_isNoSession_withTheFreshnessCheck_andTheNewestStillWorks() throws Exception {
        start(true);
        String[] cookies = olderAndNewest();
        HttpResponse<String> me = send(nodeB.uri(), "GET", "/api/me", null, cookies[0]);
        assertThat(me.statusCode())
                .as("the older cookie, replayed on the other node")
                .isEqualTo(401);
        HttpResponse<String> cart = send(nodeB.uri(), "GET", "/api/cart", null, cookies[0]);
        assertThat(cart.statusCode()).isEqualTo(200);
        assertThat(cart.body()).doesNotContain("MUG-01", "HAT-01");
        HttpResponse<String> write =
                send(nodeB.uri(), "POST", "/api/cart/items", "{\"sku\":\"MAP-01\",\"qty\":1}", cookies[0]);
        assertThat(write.body())
                .as("a write through it starts a new, empty cart")
                .doesNotContain("MUG-01", "HAT-01");

        HttpResponse<String> newest = send(nodeB.uri(), "GET", "/api/cart", null, cookies[1]);
        assertThat(newest.body()).contains("HAT-01").doesNotContain("MUG-01", "MAP-01");
        assertThat(send(nodeB.uri(), "GET", "/api/me", null, cookies[1]).body()).contains("ann");
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

    /** The cookie the response set, or the one the client already had. */
    private static String cookie(HttpResponse<String> response, String previous) {
        return response.headers().allValues("Set-Cookie").stream()
                .filter(c -> c.startsWith("SID="))
                .map(c -> c.substring(0, c.indexOf(';')))
                .reduce((a, b) -> b)
                .map(c -> c.equals("SID=") ? "" : c)
                .orElse(previous);
    }
}
