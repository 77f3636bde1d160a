package dev.satchel.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.testkit.LocalRedisServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Two instances of a Spring Boot application, each on a real port in embedded Tomcat, with the
 * starter and one property sharing a real Redis: a session made on one is the session on the
 * other, including what Spring MVC's asynchronous requests changed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TwoBootAppsIT {
    private LocalRedisServer redis;
    private final List<ConfigurableApplicationContext> apps = new ArrayList<>();
    private final List<URI> bases = new ArrayList<>();
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    void startRedisAndTwoApps() throws Exception {
        redis = LocalRedisServer.start(Files.createTempDirectory("satchel-boot-redis"));
        for (int i = 0; i < 2; i++) {
            ConfigurableApplicationContext app = new SpringApplicationBuilder(CounterApplication.class)
                    .properties(
                            "server.port=0",
                            "server.address=127.0.0.1",
                            "spring.main.banner-mode=off",
                            "satchel.store=redis://127.0.0.1:" + redis.port())
                    .run();
            apps.add(app);
            bases.add(URI.create("http://127.0.0.1:" + app.getEnvironment().getProperty("local.server.port")));
        }
    }

    @AfterAll
    void stopAll() throws Exception {
        apps.forEach(ConfigurableApplicationContext::close);
        if (redis != null) {
            redis.close();
        }
    }

    /** A browser's cookie jar of one: the session cookie. */
    private final class Browser {
        private String cookie = "";

        String get(int app, String path) throws Exception {
            HttpRequest.Builder request =
                    HttpRequest.newBuilder(bases.get(app).resolve(path)).timeout(Duration.ofSeconds(10));
            if (!cookie.isEmpty()) {
                request.header("Cookie", cookie);
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
            response.headers().allValues("Set-Cookie").stream()
                    .filter(h -> h.startsWith("SID="))
                    .findFirst()
                    .ifPresent(h -> cookie = h.substring(0, h.indexOf(';')));
            return response.body();
        }
    }

    @Test
    void aSessionMadeOnOneInstance_goesOnOnTheOther() throws Exception {
        Browser user = new Browser();
        assertThat(user.get(0, "/count")).isEqualTo("1");
        assertThat(user.cookie).startsWith("SID=");
        assertThat(user.get(1, "/count")).isEqualTo("2");
        assertThat(user.get(0, "/count")).isEqualTo("3");
    }

    @Test
    void deferredResult_changesMadeOnAnotherThread_areSeenByTheOtherInstance() throws Exception {
        Browser user = new Browser();
        user.get(0, "/count");
        assertThat(user.get(0, "/deferred?value=d1")).isEqualTo("deferred:d1");
        assertThat(user.get(1, "/get?name=deferred")).isEqualTo("d1");
    }

    @Test
    void callable_changesMadeOnSpringsExecutor_areSeenByTheOtherInstance() throws Exception {
        Browser user = new Browser();
        assertThat(user.get(1, "/callable?value=c1")).isEqualTo("callable:c1");
        assertThat(user.cookie)
                .as("the session made on the executor got its cookie")
                .startsWith("SID=");
        assertThat(user.get(0, "/get?name=callable")).isEqualTo("c1");
    }

    @Test
    void theContainersOwnSessionIsNeverMade() throws Exception {
        Browser user = new Browser();
        user.get(0, "/count");
        assertThat(user.cookie).doesNotStartWith("JSESSIONID");
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(bases.get(0).resolve("/count")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.headers().allValues("Set-Cookie")).noneMatch(h -> h.startsWith("JSESSIONID"));
    }
}
