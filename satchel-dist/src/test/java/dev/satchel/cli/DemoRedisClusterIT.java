package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.testkit.Await;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Order;
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

    /**
     * Redis killed under a running demo: the catalog, which needs no session, keeps answering; a
     * request that needs the session gets 503 at once (the nodes are fine, their store is not, so
     * the balancer keeps every node UP); when a Redis comes back on the same port, logins work again
     * with no node restarted.
     */
    @Test
    @Order(7)
    void redisKilled_catalogStays200_sessionRequestsGet503_andTheNodesRecoverAlone() throws Exception {
        Client user = loggedIn("outage");
        assertThat(user.send("POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":1}")
                        .statusCode())
                .isEqualTo(200);
        // Not a JVM: the nodes' command lines hold "redis" too (--store redis://...), and which
        // comes first among the demo's children follows the process ids, which wrap. (Debian's
        // redis-server is a link to redis-check-rdb, so its executable's name does not tell.)
        ProcessHandle redis = demo.descendants()
                .filter(p -> !p.info().command().orElse("").endsWith("/java"))
                .filter(p -> p.info().commandLine().orElse("").contains("redis"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no redis-server under the demo"));
        // Its command line is not readable back (Redis rewrites its process title): the port is in
        // what the demo printed.
        String started =
                demoOut.stream().filter(l -> l.startsWith(STARTED)).findFirst().orElseThrow();
        String redisPort = Integer.toString(java.net
                .URI
                .create(started.substring(STARTED.length()).split(" ")[0])
                .getPort());
        List<String> redisCommand =
                List.of("redis-server", "--port", redisPort, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no");
        Map<String, Long> nodePids = Map.of(
                "node-1", nodeProcess("node-1").orElseThrow().pid(),
                "node-2", nodeProcess("node-2").orElseThrow().pid(),
                "node-3", nodeProcess("node-3").orElseThrow().pid());

        redis.destroyForcibly();
        redis.onExit().get(10, TimeUnit.SECONDS);

        int catalogOk = 0;
        int sessionUnavailable = 0;
        List<Integer> other = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            int catalog = new Client().send("GET", "/api/catalog", null).statusCode();
            if (catalog == 200) {
                catalogOk++;
            } else {
                other.add(catalog);
            }
            HttpResponse<String> me = user.send("GET", "/api/me", null);
            if (me.statusCode() == 503 && me.body().contains("session_store_unavailable")) {
                sessionUnavailable++;
            } else {
                other.add(me.statusCode());
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        assertThat(catalogOk)
                .as("catalog 200s while Redis is down; others %s", other)
                .isEqualTo(30);
        assertThat(sessionUnavailable)
                .as("session requests answered 503; others %s", other)
                .isEqualTo(30);
        for (String node : nodePids.keySet()) {
            assertThat(state(node)).as("%s at the balancer", node).isEqualTo("UP");
        }

        // Redis is back (empty: the demo's keeps nothing on disk), the nodes reconnect by themselves.
        Process again = new ProcessBuilder(redisCommand)
                .redirectErrorStream(true)
                .redirectOutput(dataDir.resolve("redis-again.log").toFile())
                .start();
        try {
            // Each node reconnects on its own: wait for every one, asked directly, not for whichever
            // the balancer picks (a later request on a node still reconnecting got a 503 once).
            for (int node = 0; node < nodePids.size(); node++) {
                int target = DemoClusterScenario.basePort + node;
                Await.until(
                        Duration.ofSeconds(30),
                        () -> new Client()
                                .sendTo(
                                        target,
                                        "POST",
                                        "/api/login",
                                        "{\"username\":\"outage\",\"password\":\"a long enough phrase\"}")
                                .statusCode(),
                        status -> status == 200,
                        "a login on the node at port " + target + " after Redis came back");
            }
            Client back = loggedIn("after-outage");
            assertThat(back.send("POST", "/api/cart/items", "{\"sku\":\"HAT-01\",\"qty\":1}")
                            .statusCode())
                    .isEqualTo(200);
            for (Map.Entry<String, Long> node : nodePids.entrySet()) {
                Optional<Long> pid = nodeProcess(node.getKey()).map(ProcessHandle::pid);
                assertThat(pid).as("%s never restarted", node.getKey()).contains(node.getValue());
            }
        } finally {
            again.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Order(1) // before the outage test replaces the demo's Redis with a plain one
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
