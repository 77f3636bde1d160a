package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/** The demo's default: each session on an owner and a backup node, requests routed to the owner. */
class DemoPrimaryBackupClusterIT extends DemoClusterScenario {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int LOGINS = 100;

    @Override
    String store() {
        return "primary-backup";
    }

    @Override
    boolean sessionsSurviveANodeKill() {
        return true;
    }

    /** The demo's default pairing: the balancer ranks sessions exactly as the store places them. */
    @Override
    String policy() {
        return "session-hash";
    }

    @Override
    boolean balancerRoutesToOwner() {
        return true;
    }

    /**
     * 100 logins at once straight at one node (Argon2id at 19 MiB each, on the demo's 256 MB heap):
     * every answer is 200 or 503 with Retry-After, no node logs an OutOfMemoryError, and the three
     * nodes keep one cluster view while it runs and after.
     */
    @Test
    @Order(7)
    void aLoginFloodOnOneNode_getsNo500_noOutOfMemory_andTheViewStaysWhole() throws Exception {
        assertThat(loggedIn("flood").send("GET", "/api/me", null).statusCode()).isEqualTo(200);
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        List<String> badViews = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean flooding = new AtomicBoolean(true);
        Thread watcher = new Thread(() -> {
            while (flooding.get()) {
                // The flooded node itself may be too busy to answer its own /health in time; the
                // view is what its peers see of it.
                viewProblems().stream()
                        .filter(p -> !p.startsWith(basePort + ":"))
                        .forEach(badViews::add);
                sleep(250);
            }
        });
        ExecutorService pool = Executors.newFixedThreadPool(LOGINS);
        try {
            watcher.start();
            CountDownLatch go = new CountDownLatch(1);
            List<Future<?>> logins = new ArrayList<>();
            for (int i = 0; i < LOGINS; i++) {
                logins.add(pool.submit(() -> {
                    go.await();
                    HttpResponse<String> r = HTTP.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + basePort + "/api/login"))
                                    .timeout(Duration.ofSeconds(60))
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(
                                            "{\"username\":\"flood\",\"password\":\"a long enough phrase\"}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 503) {
                        assertThat(r.headers().firstValue("Retry-After"))
                                .as(r.body())
                                .isPresent();
                    }
                    statuses.merge(r.statusCode(), 1, Integer::sum);
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : logins) {
                f.get(90, TimeUnit.SECONDS);
            }
        } finally {
            flooding.set(false);
            pool.shutdownNow();
            watcher.join(5000);
        }
        // The figure for the record: how many got in, how many were told to come back.
        System.out.println("login flood on one node: statuses " + new TreeMap<>(statuses));
        assertThat(new TreeMap<>(statuses).keySet()).as("statuses %s", statuses).isSubsetOf(200, 503);
        assertThat(statuses.getOrDefault(200, 0)).as("statuses %s", statuses).isPositive();
        assertThat(badViews).as("cluster views while the flood ran").isEmpty();
        assertThat(viewProblems()).as("cluster views after the flood").isEmpty();
        try (Stream<Path> logs = Files.list(dataDir.resolve("logs"))) {
            for (Path log : logs.toList()) {
                assertThat(Files.readString(log)).as("%s", log).doesNotContain("OutOfMemoryError");
            }
        }
    }

    /** What is wrong with the nodes' views: a node that does not answer, or sees fewer than all three. */
    private static List<String> viewProblems() {
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int port = basePort + i;
            try {
                HttpResponse<String> r = HTTP.send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                                .timeout(Duration.ofSeconds(5))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                JsonNode members = JSON.readTree(r.body()).path("view").path("members");
                if (members.size() != 3) {
                    problems.add(port + " sees " + members);
                }
            } catch (Exception e) {
                problems.add(port + ": " + e);
            }
        }
        return problems;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
