package dev.satchel.sample;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.testkit.LocalRedisServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The sample as it is meant to run: two instances on real ports in embedded Tomcat, Spring
 * Security form login on both, sharing a real Redis through the starter. A user signed in through
 * one is signed in through the other, sees the same cart, has one session at most across both
 * (staff more), a logout on one ends the session on both, and logging out everywhere ends every
 * session of the user.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwoInstancesIT {
    private static final String PASSWORD = "two-instances-password";
    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\"[^>]*value=\"([^\"]+)\"");

    private LocalRedisServer redis;
    private final List<ConfigurableApplicationContext> apps = new ArrayList<>();
    private final List<URI> bases = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    @BeforeAll
    void startRedisAndTwoInstances() throws Exception {
        redis = LocalRedisServer.start(Files.createTempDirectory("satchel-sample-redis"));
        for (int i = 0; i < 2; i++) {
            // As command-line arguments: they win over the sample's application.properties.
            ConfigurableApplicationContext app = new SpringApplicationBuilder(SampleApplication.class)
                    .run(
                            "--server.port=0",
                            "--server.address=127.0.0.1",
                            "--sample.instance=" + (char) ('A' + i),
                            "--sample.password=" + PASSWORD,
                            "--satchel.store=redis://127.0.0.1:" + redis.port());
            apps.add(app);
            bases.add(URI.create("http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port")));
        }
    }

    @AfterAll
    void stopAll() {
        apps.forEach(ConfigurableApplicationContext::close);
        if (redis != null) {
            redis.close();
        }
    }

    /** A browser with a cookie jar of one, the session cookie, that does not follow redirects. */
    private final class Browser {
        private String cookie = "";

        HttpResponse<String> get(int app, String path) throws Exception {
            return send(
                    app, HttpRequest.newBuilder(bases.get(app).resolve(path)).GET());
        }

        HttpResponse<String> post(int app, String path, Map<String, String> form) throws Exception {
            String body = form.entrySet().stream()
                    .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                    .collect(Collectors.joining("&"));
            return send(
                    app,
                    HttpRequest.newBuilder(bases.get(app).resolve(path))
                            .header("Content-Type", "application/x-www-form-urlencoded")
                            .POST(HttpRequest.BodyPublishers.ofString(body)));
        }

        HttpResponse<String> delete(int app, String path, String csrf) throws Exception {
            return send(
                    app,
                    HttpRequest.newBuilder(bases.get(app).resolve(path))
                            .header("X-CSRF-TOKEN", csrf)
                            .DELETE());
        }

        private HttpResponse<String> send(int app, HttpRequest.Builder request) throws Exception {
            request.timeout(Duration.ofSeconds(10));
            if (!cookie.isEmpty()) {
                request.header("Cookie", cookie);
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            for (String h : response.headers().allValues("Set-Cookie")) {
                if (h.startsWith("SID=")) {
                    String value = h.substring(0, h.indexOf(';'));
                    cookie = value.equals("SID=") ? "" : value;
                }
            }
            return response;
        }

        /** The CSRF token of the form on {@code path}. */
        String csrf(int app, String path) throws Exception {
            HttpResponse<String> page = get(app, path);
            assertThat(page.statusCode()).as(path + ": " + page.body()).isEqualTo(200);
            Matcher m = CSRF.matcher(page.body());
            assertThat(m.find()).as("a CSRF token on " + path).isTrue();
            return m.group(1);
        }

        /** Signs in through the login form of {@code app}. */
        void signIn(int app, String user) throws Exception {
            String token = csrf(app, "/login");
            HttpResponse<String> login =
                    post(app, "/login", Map.of("username", user, "password", PASSWORD, "_csrf", token));
            assertThat(login.statusCode()).isEqualTo(302);
            String next = login.headers().firstValue("Location").orElse("");
            if (next.contains("error")) {
                String page = get(app, "/login?error").body();
                int at = page.indexOf("alert");
                throw new AssertionError(user + "'s login failed: "
                        + (at < 0 ? page : page.substring(at, Math.min(page.length(), at + 300))));
            }
        }

        boolean signedIn(int app) throws Exception {
            HttpResponse<String> counter = get(app, "/counter");
            if (counter.statusCode() == 302) {
                assertThat(counter.headers().firstValue("Location").orElse("")).endsWith("/login");
                return false;
            }
            assertThat(counter.statusCode()).isEqualTo(200);
            return true;
        }
    }

    @Test
    void signedInThroughOneInstance_isSignedInThroughTheOther_andTheCounterGoesOn() throws Exception {
        Browser alice = new Browser();
        assertThat(alice.signedIn(1)).as("not signed in yet").isFalse();
        alice.signIn(0, "alice");
        assertThat(alice.get(1, "/counter").body()).isEqualTo("1");
        assertThat(alice.get(0, "/counter").body()).isEqualTo("2");
        String page = alice.get(1, "/").body();
        assertThat(page).contains("Signed in as alice").contains("instance B").contains("(this one)");
    }

    @Test
    void theCart_isTheSameOnBoth() throws Exception {
        Browser alice = new Browser();
        alice.signIn(1, "alice");
        String token = alice.csrf(1, "/");
        assertThat(alice.post(1, "/cart", Map.of("item", "tea", "_csrf", token)).body())
                .isEqualTo("tea");
        assertThat(alice.post(0, "/cart", Map.of("item", "<b>cups</b>", "_csrf", token))
                        .body())
                .isEqualTo("tea,<b>cups</b>");
        assertThat(alice.get(0, "/cart").body()).isEqualTo("tea,<b>cups</b>");
        assertThat(alice.get(1, "/").body()).contains("<li>&lt;b&gt;cups&lt;/b&gt;</li>");
    }

    @Test
    void aPostWithoutTheCsrfToken_isRefused() throws Exception {
        Browser alice = new Browser();
        alice.signIn(0, "alice");
        assertThat(alice.post(1, "/cart", Map.of("item", "tea")).statusCode()).isEqualTo(403);
        assertThat(alice.get(0, "/cart").body()).isEmpty();
    }

    @Test
    void oneSessionPerUser_isKeptAcrossInstances_theOldestEnds() throws Exception {
        Browser laptop = new Browser();
        Browser phone = new Browser();
        laptop.signIn(0, "bob");
        assertThat(laptop.signedIn(0)).isTrue();
        phone.signIn(1, "bob");
        assertThat(phone.signedIn(1)).isTrue();
        assertThat(laptop.signedIn(0))
                .as("the laptop's older session ended in the store")
                .isFalse();
        assertThat(laptop.signedIn(1)).isFalse();
        assertThat(phone.signedIn(0)).isTrue();
    }

    @Test
    void loggingOutThroughOne_endsTheSessionOnBoth_evenForACopyOfTheCookie() throws Exception {
        Browser alice = new Browser();
        alice.signIn(0, "alice");
        Browser copy = new Browser();
        copy.cookie = alice.cookie;
        assertThat(copy.signedIn(1)).isTrue();
        String token = alice.csrf(0, "/");
        HttpResponse<String> logout = alice.post(0, "/logout", Map.of("_csrf", token));
        assertThat(logout.statusCode()).isEqualTo(302);
        assertThat(logout.headers().firstValue("Location").orElse("")).endsWith("/login?logout");
        assertThat(copy.signedIn(1))
                .as("the old cookie, replayed on the other instance")
                .isFalse();
        assertThat(copy.signedIn(0)).isFalse();
    }

    @Test
    void staffMayHoldSeveralSessions_andLoggingOutEverywhereEndsThemAll() throws Exception {
        Browser desk = new Browser();
        Browser phone = new Browser();
        desk.signIn(0, "carol");
        phone.signIn(1, "carol");
        assertThat(desk.signedIn(1))
                .as("carol's limit is 3: the desk's session goes on")
                .isTrue();
        assertThat(phone.get(0, "/").body()).contains("(this one)").containsPattern("(?s)<li>.*<li>");
        String token = phone.csrf(1, "/");
        HttpResponse<String> out = phone.post(1, "/logout-everywhere", Map.of("_csrf", token));
        assertThat(out.statusCode()).isEqualTo(302);
        assertThat(out.headers().firstValue("Location").orElse("")).endsWith("/login?logout");
        assertThat(desk.signedIn(0)).as("the other device's session ended too").isFalse();
        assertThat(desk.signedIn(1)).isFalse();
        assertThat(phone.signedIn(0)).isFalse();
    }

    @Test
    void actuatorHealth_showsTheStoreUp_toAnyone() throws Exception {
        HttpResponse<String> health = new Browser().get(0, "/actuator/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"").contains("\"satchel\":{\"status\":\"UP\"");
    }

    @Test
    void prometheus_countsTheSessions_forStaffOnly() throws Exception {
        Browser alice = new Browser();
        alice.signIn(0, "alice");
        assertThat(alice.get(0, "/actuator/prometheus").statusCode()).isEqualTo(403);
        Browser carol = new Browser();
        carol.signIn(0, "carol");
        HttpResponse<String> metrics = carol.get(0, "/actuator/prometheus");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .containsPattern("satchel_sessions_started_total\\{store=\"redis\"} [1-9]")
                .containsPattern(
                        "satchel_store_calls_seconds_count\\{call=\"save\",outcome=\"ok\",store=\"redis\"} [1-9]")
                .doesNotContain("127.0.0.1:" + redis.port());
    }

    @Test
    void theSessionsEndpoint_listsAUsersSessionsByHandle_andEndsOne() throws Exception {
        Browser bob = new Browser();
        bob.signIn(0, "bob");
        Browser carol = new Browser();
        carol.signIn(1, "carol");
        HttpResponse<String> list = carol.get(1, "/actuator/sessions?username=bob");
        assertThat(list.statusCode()).isEqualTo(200);
        Matcher handle = Pattern.compile("\"handle\":\"([^\"]+)\"").matcher(list.body());
        assertThat(handle.find()).as(list.body()).isTrue();
        assertThat(list.body()).doesNotContain(bob.cookie.substring("SID=".length()));
        String token = carol.csrf(1, "/");
        HttpResponse<String> ended = carol.delete(1, "/actuator/sessions/" + handle.group(1) + "?username=bob", token);
        assertThat(ended.statusCode()).as(ended.body()).isEqualTo(200);
        assertThat(ended.body()).contains("\"ended\":true");
        assertThat(bob.signedIn(0)).isFalse();
        assertThat(bob.get(0, "/actuator/sessions?username=carol").statusCode())
                .as("a signed-out user is sent to the login, not shown sessions")
                .isEqualTo(302);
    }
}
