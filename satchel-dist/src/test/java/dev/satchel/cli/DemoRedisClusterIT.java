package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The demo with Redis, started by the demo itself: sessions outlive any node. */
class DemoRedisClusterIT extends DemoClusterScenario {
    private static final String STARTED = "Started redis-server on ";

    @Override
    String store() {
        return "redis";
    }

    @Override
    boolean sessionsSurviveANodeKill() {
        return true;
    }

    @Test
    void theDemosRedis_hasAMemoryCap_andEvictsTheSessionsClosestToExpiry() {
        String line = demoOutput().stream()
                .filter(l -> l.startsWith(STARTED))
                .findFirst()
                .orElseThrow(() -> new AssertionError("the demo did not say where its Redis is"));
        String uri = line.substring(STARTED.length()).split(" ")[0];
        RedisClient client = RedisClient.create(uri);
        Map<String, String> config = new HashMap<>();
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            config.putAll(c.sync().configGet("maxmemory"));
            config.putAll(c.sync().configGet("maxmemory-policy"));
        } finally {
            client.shutdown();
        }
        assertThat(config)
                .containsEntry("maxmemory", Long.toString(128L * 1024 * 1024))
                .containsEntry("maxmemory-policy", "volatile-ttl");
    }
}
