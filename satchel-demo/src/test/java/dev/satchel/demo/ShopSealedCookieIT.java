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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shop with sessions sealed in the client's cookie, two nodes sharing only the keyset and the
 * revocation record: a session written on one opens on the other, a replayed cookie after logout
 * is refused, and a forged cookie is no session, not an error page.
 */
class ShopSealedCookieIT {
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private MemorySessionStore revocationStore;
    private ShopNode nodeA;
    private ShopNode nodeB;

    @BeforeEach
    void start() throws Exception {
        Path data = Files.createTempDirectory("satchel-sealed");
        String keyset = SealedCookieSessions.generateKeyset();
        revocationStore = MemorySessionStore.builder().build();
        RevocationList revocations = new RevocationList(revocationStore, Clock.systemUTC(), Duration.ofHours(8));
        nodeA = ShopNode.start(
                new ShopConfig("node-a", "127.0.0.1", 0, data, Clock.systemUTC()), sealer(keyset, revocations));
        nodeB = ShopNode.start(
                new ShopConfig("node-b", "127.0.0.1", 0, data, Clock.systemUTC()), sealer(keyset, revocations));
    }

    private static SealedCookieSessions sealer(String keyset, RevocationList revocations) {
        return SealedCookieSessions.builder("SID")
                .keyset(keyset)
                .revocations(revocations)
                .build();
    }

    @AfterEach
    void stop() {
        nodeA.close();
        nodeB.close();
        revocationStore.close();
    }

    @Test
    void aSealedSession_movesBetweenNodes_andItsCopyIsDeadAfterLogout() throws Exception {
        String jar = "";
        jar = cookie(
                send(
                        nodeA.uri(),
                        "POST",
                        "/api/signup",
                        "{\"username\":\"ann\",\"password\":\"correct horse battery\"}",
                        jar),
                jar);
        HttpResponse<String> login = send(
                nodeA.uri(),
                "POST",
                "/api/login",
                "{\"username\":\"ann\",\"password\":\"correct horse battery\"}",
                jar);
        assertThat(login.statusCode()).isEqualTo(200);
        jar = cookie(login, jar);
        jar = cookie(send(nodeB.uri(), "POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":2}", jar), jar);

        HttpResponse<String> cartOnA = send(nodeA.uri(), "GET", "/api/cart", null, jar);
        assertThat(cartOnA.statusCode()).isEqualTo(200);
        assertThat(cartOnA.body()).contains("HAT-01");
        assertThat(send(nodeB.uri(), "GET", "/api/me", null, jar).body()).contains("ann");

        String stolen = jar; // someone copied the cookie
        HttpResponse<String> logout = send(nodeA.uri(), "POST", "/api/logout", null, jar);
        assertThat(logout.statusCode()).isEqualTo(204);
        assertThat(logout.headers().allValues("Set-Cookie"))
                .anySatisfy(c -> assertThat(c).contains("Max-Age=0"));

        HttpResponse<String> replay = send(nodeB.uri(), "GET", "/api/me", null, stolen);
        assertThat(replay.statusCode())
                .as("the old cookie, replayed on the other node")
                .isEqualTo(401);
    }

    @Test
    void aForgedCookie_isNoSession_notAnError() throws Exception {
        String jar = cookie(send(nodeA.uri(), "POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":1}", ""), "");
        char last = jar.charAt(jar.length() - 1);
        String forged = jar.substring(0, jar.length() - 1) + (last == 'A' ? 'B' : 'A');
        HttpResponse<String> cart = send(nodeB.uri(), "GET", "/api/cart", null, forged);
        assertThat(cart.statusCode()).isEqualTo(200);
        assertThat(cart.body()).doesNotContain("HAT-01");
        HttpResponse<String> me = send(nodeB.uri(), "GET", "/api/me", null, "SID=garbage%%%");
        assertThat(me.statusCode()).isEqualTo(401);
        assertThat(me.body()).contains("not_logged_in");
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
