package dev.satchel.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStore;
import dev.satchel.store.redis.RedisSessionStore;
import dev.satchel.testkit.RedisSentinelGroup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/**
 * {@code satchel.redis.sentinel-password}: Sentinels that ask for a password of their own, other
 * than the servers' in the URI, against real redis-server processes (a master, two replicas and
 * three Sentinels, each with its password).
 */
class SentinelPasswordPropertyIT {
    private static final String SERVER_PASSWORD = "server-pw-boot-41d";
    private static final String SENTINEL_PASSWORD = "sentinel-pw-boot-8e0";

    private static RedisSentinelGroup group;

    @BeforeAll
    static void start() throws Exception {
        group = RedisSentinelGroup.startWithPasswords(
                Files.createTempDirectory("satchel-boot-sentinel"), SERVER_PASSWORD, SENTINEL_PASSWORD);
    }

    @AfterAll
    static void stop() {
        if (group != null) {
            group.close();
        }
    }

    private static WebApplicationContextRunner app() {
        return new WebApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(SatchelAutoConfiguration.class))
                .withPropertyValues("satchel.store=" + group.uri());
    }

    @Test
    void withTheProperty_theStoreFindsTheMasterThroughTheSentinels_andKeepsSessions() {
        app().withPropertyValues("satchel.redis.sentinel-password=" + SENTINEL_PASSWORD)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    SessionStore store = context.getBean(SessionStore.class);
                    assertThat(store).isInstanceOf(RedisSessionStore.class);
                    SessionId id = SessionId.random();
                    Instant now = Instant.now();
                    store.save(ChangeSet.builder(id, now, now.plus(Duration.ofHours(1)))
                            .created()
                            .maxInactiveInterval(Duration.ofMinutes(30))
                            .set("cart", "3 items".getBytes(StandardCharsets.UTF_8))
                            .accessedAt(now)
                            .build());
                    assertThat(store.load(id)).isPresent();
                });
    }

    @Test
    void withoutIt_theApplicationDoesNotStart_andNamesTheStoreWithoutEitherPassword() {
        // The environment variable is the fallback; this test needs it unset to mean anything.
        assertThat(System.getenv(RedisSessionStore.SENTINEL_PASSWORD_VARIABLE)).isNullOrEmpty();
        app().run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure())
                    .hasStackTraceContaining("Satchel could not open its session store redis-sentinel://***@");
            // Lettuce names the Sentinels' NOAUTH, or only that it reached none of them when a
            // Sentinel closes the connection before that answer is read.
            assertThat(messages(context.getStartupFailure()))
                    .containsAnyOf("NOAUTH", "Cannot connect to a Redis Sentinel")
                    .doesNotContain(SERVER_PASSWORD);
        });
    }

    @Test
    void aWrongOne_stopsTheApplication_withoutShowingIt() {
        app().withPropertyValues("satchel.redis.sentinel-password=not-the-one-3c")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure())
                            .hasStackTraceContaining("Satchel could not open its session store");
                    assertThat(messages(context.getStartupFailure()))
                            .doesNotContain("not-the-one-3c")
                            .doesNotContain(SERVER_PASSWORD);
                });
    }

    @Test
    void theProperty_withAStoreThatHasNoSentinels_isRefusedByName() {
        new WebApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(SatchelAutoConfiguration.class))
                .withPropertyValues(
                        "satchel.store=redis://127.0.0.1:" + group.master().port(),
                        "satchel.redis.sentinel-password=" + SENTINEL_PASSWORD)
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure())
                            .hasStackTraceContaining("satchel.redis.sentinel-password")
                            .hasStackTraceContaining("names no Sentinels");
                    assertThat(messages(context.getStartupFailure())).doesNotContain(SENTINEL_PASSWORD);
                });
    }

    /** Every message along a failure's chain of causes. */
    private static String messages(Throwable failure) {
        StringBuilder all = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            all.append(t.getMessage()).append('\n');
        }
        return all.toString();
    }
}
