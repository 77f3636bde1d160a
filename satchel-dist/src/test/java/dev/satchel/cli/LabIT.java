package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.satchel.testkit.HeadlessChromium;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A short {@code satchel lab} from the runnable jar, as a user runs it: three strategies, a node
 * killed in each. The checker must find what the strategies promise: sticky memory loses the
 * killed node's sessions, and the synchronous cluster stores lose nothing acknowledged.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LabIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path out;
    private String stdout;
    private int exit;
    private JsonNode results;

    @BeforeAll
    void runTheLab() throws Exception {
        Path work = Files.createTempDirectory("satchel-lab-it");
        out = work.resolve("report");
        Lab lab = Lab.run(
                work,
                out,
                "--strategies",
                "memory,primary-backup,replicated",
                "--warmup",
                "2",
                "--seconds",
                "12",
                "--fault-at",
                "3",
                "--down",
                "4");
        stdout = lab.stdout();
        exit = lab.exit();
        results = lab.results();
    }

    /** One {@code satchel lab} process from the runnable jar, as a user runs it, and what it left. */
    record Lab(String stdout, int exit, JsonNode results) {
        static Lab run(Path work, Path out, String... args) throws Exception {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-jar",
                    Path.of("target", "satchel.jar").toString(),
                    "lab",
                    "--base-port",
                    Integer.toString(freeBase()),
                    "--out",
                    out.toString(),
                    "--data-dir",
                    work.resolve("data").toString()));
            command.addAll(List.of(args));
            Process lab = new ProcessBuilder(command).redirectErrorStream(true).start();
            // read while it runs, so a full pipe never stalls it
            var output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(lab.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return "(output unreadable: " + e + ")";
                }
            });
            boolean ended = lab.waitFor(6, TimeUnit.MINUTES);
            if (!ended) {
                lab.destroyForcibly();
            }
            String said = output.get(30, TimeUnit.SECONDS);
            assertThat(ended).as("the lab ended in time; it said:\n" + said).isTrue();
            return new Lab(
                    said,
                    lab.exitValue(),
                    JSON.readTree(out.resolve("results.json").toFile()));
        }
    }

    private JsonNode run(String strategy) {
        return run(results, stdout, strategy);
    }

    private static JsonNode run(JsonNode results, String stdout, String strategy) {
        for (JsonNode r : results.path("runs")) {
            if (r.path("strategy").asText().equals(strategy)) {
                return r;
            }
        }
        throw new AssertionError("no run of " + strategy + " in results.json; the lab said:\n" + stdout);
    }

    private static long count(JsonNode run, String kind) {
        return run.path("anomalyCounts").path(kind).asLong(-1);
    }

    @Test
    void everyStrategyRanAndTheReportHoldsThem() throws IOException {
        assertThat(exit).as(stdout).isZero();
        assertThat(results.path("skipped")).as(stdout).isEmpty();
        for (String s : List.of("memory", "primary-backup", "replicated")) {
            JsonNode run = run(s);
            assertThat(run.path("requests").asLong()).as(s).isGreaterThan(100);
            List<String> actions = new ArrayList<>();
            run.path("faults").forEach(f -> actions.add(f.path("action").asText()));
            assertThat(actions).as(s).contains("kill", "start");
        }
        String html = Files.readString(out.resolve("index.html"));
        String summary = Files.readString(out.resolve("summary.md"));
        for (String s : List.of("memory", "primary-backup", "replicated")) {
            assertThat(html).contains(s);
            assertThat(summary).contains(s);
        }
        assertThat(html).contains("<svg");
        assertThat(stdout).contains("killed node-1", "Report: ");
    }

    /**
     * The costs are read off the real processes and sockets: replication sends bytes between the
     * nodes that sticky memory never does, every node holds every replicated session, and each
     * strategy's nodes and balancer spent CPU on its requests.
     */
    @Test
    void theCostsOfARequestAreMeasured_andTellTheStrategiesApart() {
        for (String s : List.of("memory", "primary-backup", "replicated")) {
            JsonNode used = run(s).path("resources");
            assertThat(used.path("cpuMicros").path("nodes").asDouble())
                    .as(s + ": " + used)
                    .isPositive();
            assertThat(used.path("cpuMicros").path("balancer").asDouble())
                    .as(s + ": " + used)
                    .isPositive();
            assertThat(used.path("wireBytes").path("client to balancer").asDouble())
                    .as(s + ": " + used)
                    .isGreaterThan(100);
            assertThat(used.path("wireBytes").path("balancer to nodes").asDouble())
                    .as(s + ": " + used)
                    .isGreaterThan(100);
        }
        double memoryBetween = run("memory")
                .path("resources")
                .path("wireBytes")
                .path("between nodes")
                .asDouble(0);
        double replicatedBetween = run("replicated")
                .path("resources")
                .path("wireBytes")
                .path("between nodes")
                .asDouble();
        assertThat(replicatedBetween).as(stdout).isGreaterThan(100).isGreaterThan(10 * memoryBetween);
        JsonNode held = run("replicated").path("resources").path("sessionsHeld");
        assertThat(held.size()).as(held.toString()).isEqualTo(3);
        long most = 0;
        long least = Long.MAX_VALUE;
        for (JsonNode n : held) {
            most = Math.max(most, n.asLong());
            least = Math.min(least, n.asLong());
        }
        assertThat(least).as(held.toString()).isPositive().isGreaterThanOrEqualTo(most * 9 / 10);
    }

    @Test
    void stickyMemoryLosesTheKilledNodesSessionsAndTheReportSaysSo() throws IOException {
        JsonNode memory = run("memory");
        assertThat(count(memory, "LOST_SESSION")).as(stdout).isPositive();
        assertThat(memory.path("shoppersHarmed").asLong()).isPositive();
        assertThat(Files.readString(out.resolve("summary.md")))
                .containsPattern("(?i)sticky sessions lose the sessions of a crashed server[^\\n]*\\bholds\\b");
    }

    @Test
    void synchronousClusterStoresLoseNothingAcknowledged() {
        for (String s : List.of("primary-backup", "replicated")) {
            JsonNode run = run(s);
            for (String kind : List.of("LOST_SESSION", "LOST_WRITE", "STALE_READ", "RESURRECTED")) {
                assertThat(count(run, kind))
                        .as(s + " " + kind + ": " + run.path("anomalies"))
                        .isZero();
            }
        }
    }

    /**
     * The report opens in a real browser, offline: headless Chromium (installed by {@code .ci/run})
     * loads {@code index.html} from disk and the DOM it built holds the claims table and the charts.
     */
    @Test
    void theReportRendersInHeadlessChromium() throws Exception {
        HeadlessChromium.requireInstalled(HeadlessChromium.BINARY);
        Path profile = Files.createTempDirectory("satchel-lab-chromium");
        List<String> command = new ArrayList<>();
        command.add(HeadlessChromium.BINARY.toString());
        command.addAll(HeadlessChromium.flags(profile));
        command.add("--dump-dom");
        command.add(out.resolve("index.html").toUri().toString());
        Process browser = new ProcessBuilder(command)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        var dom = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(browser.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
        boolean ended = browser.waitFor(60, TimeUnit.SECONDS);
        if (!ended) {
            browser.destroyForcibly();
        }
        String rendered = dom.get(10, TimeUnit.SECONDS);
        assertThat(ended).as("chromium ended").isTrue();
        assertThat(rendered)
                .contains("The seed's claims", "Sticky sessions lose the sessions of a crashed server", "</svg>")
                .doesNotContain("NaN");
        assertThat(rendered.split("<svg", -1).length - 1)
                .as("charts: the latency bars and one timeline per strategy")
                .isGreaterThanOrEqualTo(4);
    }

    /**
     * The Redis server killed and started again: kept in memory only, the shoppers who come back
     * find their carts gone, and the report says the seed's claim holds; with an append-only file
     * flushed on every write, nobody loses anything.
     */
    @Test
    void aRedisServerThatKeepsNothingLosesEverySessionAndOneWithAnAlwaysFlushedFileLosesNone() throws Exception {
        Map<String, Long> lost = new java.util.LinkedHashMap<>();
        for (String aof : List.of("no", "always")) {
            Path work = Files.createTempDirectory("satchel-lab-it-" + aof);
            Path report = work.resolve("report");
            Lab lab = Lab.run(
                    work,
                    report,
                    "--strategies",
                    "redis",
                    "--fault",
                    "kill-store",
                    "--redis-aof",
                    aof,
                    "--warmup",
                    "2",
                    "--seconds",
                    "16",
                    "--fault-at",
                    "3",
                    "--down",
                    "3",
                    "--return-after",
                    "7");
            assertThat(lab.exit()).as(lab.stdout()).isZero();
            JsonNode redis = run(lab.results(), lab.stdout(), "redis");
            List<String> actions = new ArrayList<>();
            redis.path("faults").forEach(f -> actions.add(f.path("action").asText()));
            assertThat(actions).as(lab.stdout()).contains("kill-store", "start-store");
            lost.put(aof, count(redis, "LOST_SESSION"));
            assertThat(count(redis, "LOST_WRITE") + count(redis, "STALE_READ") + count(redis, "RESURRECTED"))
                    .as(aof + ": " + redis.path("anomalies"))
                    .isZero();
            if (aof.equals("no")) {
                assertThat(Files.readString(report.resolve("summary.md")))
                        .containsPattern(
                                "(?i)if the central store fails, every server loses its sessions[^\\n]*\\bholds\\b");
            }
        }
        assertThat(lost.get("no"))
                .as("sessions lost by a Redis that keeps nothing")
                .isPositive();
        assertThat(lost.get("always"))
                .as("sessions lost by a Redis with appendfsync always")
                .isZero();
    }

    /**
     * The sql strategy's database crashes: the lab makes a PostgreSQL of its own for the run, kills
     * the postmaster and every backend with SIGKILL, and starts it again on the same files. While it
     * is down requests fail; once it has replayed its log every session is back, since a save the
     * nodes acknowledged was a commit PostgreSQL had flushed. The seed's "if the store fails every
     * server loses its sessions" does not hold for a store that keeps them on disk.
     */
    @Test
    void aPostgresKilledAndRestartedLosesNoSession() throws Exception {
        Path work = Files.createTempDirectory("satchel-lab-it-postgres");
        Path report = work.resolve("report");
        Lab lab = Lab.run(
                work,
                report,
                "--strategies",
                "sql",
                "--fault",
                "kill-store",
                "--warmup",
                "2",
                "--seconds",
                "16",
                "--fault-at",
                "3",
                "--down",
                "3",
                "--return-after",
                "7");
        assertThat(lab.exit()).as(lab.stdout()).isZero();
        JsonNode sql = run(lab.results(), lab.stdout(), "sql");
        List<String> actions = new ArrayList<>();
        sql.path("faults").forEach(f -> actions.add(f.path("action").asText()));
        assertThat(actions).as(lab.stdout()).containsExactly("kill-store", "start-store", "serving");
        assertThat(sql.path("notes").toString()).contains("a PostgreSQL server started by the lab");
        assertThat(sql.path("failed").asLong())
                .as("requests fail while the database is down")
                .isPositive();
        for (String kind : List.of("LOST_SESSION", "LOST_WRITE", "STALE_READ", "RESURRECTED")) {
            assertThat(count(sql, kind)).as(kind + ": " + sql.path("anomalies")).isZero();
        }
        assertThat(Files.readString(report.resolve("summary.md")))
                .containsPattern("(?i)if the central store fails, every server loses its sessions[^\\n]*does not hold")
                .contains("sql (PostgreSQL, committing with fsync): 0 sessions lost");
    }

    /**
     * A replicated Redis: the master is killed, Sentinel promotes the replica, the nodes follow it,
     * and the old master comes back as a replica. Where a single server that keeps nothing loses every
     * session (the test above), the replica holds them: at most the writes of the last moment before
     * the kill, which asynchronous replication had not yet shipped, may be missing.
     */
    @Test
    void aReplicaPromotedBySentinelKeepsTheSessionsOfTheKilledMaster() throws Exception {
        Path work = Files.createTempDirectory("satchel-lab-it-sentinel");
        Path report = work.resolve("report");
        Lab lab = Lab.run(
                work,
                report,
                "--strategies",
                "redis",
                "--fault",
                "promote-store",
                "--warmup",
                "2",
                "--seconds",
                "16",
                "--fault-at",
                "3",
                "--down",
                "4",
                "--return-after",
                "7");
        assertThat(lab.exit()).as(lab.stdout()).isZero();
        JsonNode redis = run(lab.results(), lab.stdout(), "redis");
        List<String> actions = new ArrayList<>();
        long killedAt = -1;
        long promotedAt = -1;
        for (JsonNode f : redis.path("faults")) {
            actions.add(f.path("action").asText());
            if (f.path("action").asText().equals("kill-master")) {
                killedAt = f.path("atMillis").asLong();
            }
            if (f.path("action").asText().equals("promoted")) {
                promotedAt = f.path("atMillis").asLong();
            }
        }
        assertThat(actions).as(lab.stdout()).containsExactly("kill-master", "promoted", "start-store", "serving");
        assertThat(promotedAt - killedAt)
                .as("Sentinel's promotion: a second to call the master down, then the election")
                .isBetween(500L, 15_000L);
        assertThat(redis.path("store").asText()).startsWith("redis-sentinel://");
        assertThat(count(redis, "LOST_SESSION") + count(redis, "LOST_WRITE"))
                .as("what asynchronous replication may drop in the last moment: " + redis.path("anomalies"))
                .isLessThanOrEqualTo(2);
        assertThat(count(redis, "RESURRECTED"))
                .as(redis.path("anomalies").toString())
                .isZero();
        assertThat(Files.readString(report.resolve("summary.md")))
                .contains("Sentinel promoted the replica of the killed master");
    }

    /**
     * A delay run: redis at 0 and 10 ms added each way between the nodes and the store by the lab's
     * relay, memory (no store server) at 0 only. Every request that carries a session loads it, one
     * round trip at least, so at 10 ms the median cannot be under 20 ms: a floor the delay sets,
     * not a speed the machine must reach.
     */
    /**
     * A delay run: redis with the delay on its store's connections, primary-backup with it between
     * its nodes (each node announces a relay in front of its cluster port).
     */
    @Test
    void aDelayAddedBetweenServersIsPaidOnEveryRoundTrip() throws Exception {
        Path work = Files.createTempDirectory("satchel-lab-it-delay");
        Path report = work.resolve("report");
        Lab lab = Lab.run(
                work,
                report,
                "--strategies",
                "primary-backup,redis",
                "--delay",
                "0,10",
                "--fault",
                "none",
                "--warmup",
                "1",
                "--seconds",
                "6",
                "--return-after",
                "0");
        assertThat(lab.exit()).as(lab.stdout()).isZero();
        List<String> ran = new ArrayList<>();
        JsonNode delayed = null;
        for (JsonNode r : lab.results().path("runs")) {
            ran.add(r.path("strategy").asText() + "@" + r.path("delayMillis").asInt());
            if (r.path("strategy").asText().equals("redis")
                    && r.path("delayMillis").asInt() == 10) {
                delayed = r;
            }
        }
        assertThat(ran)
                .as(lab.stdout())
                .containsExactly("primary-backup@0", "redis@0", "primary-backup@10", "redis@10");
        JsonNode betweenNodes = null;
        for (JsonNode r : lab.results().path("runs")) {
            if (r.path("strategy").asText().equals("primary-backup")
                    && r.path("delayMillis").asInt() == 10) {
                betweenNodes = r;
            }
        }
        assertThat(betweenNodes.path("notes").toString()).contains("between the nodes held 10 ms each way");
        assertThat(count(betweenNodes, "LOST_WRITE")
                        + count(betweenNodes, "LOST_SESSION")
                        + count(betweenNodes, "STALE_READ"))
                .as(betweenNodes.path("anomalies").toString())
                .isZero();
        assertThat(betweenNodes.path("steady").path("p99Micros").asLong())
                .as("a save waits for its backup's answer, 10 ms each way: " + betweenNodes.path("steady"))
                .isGreaterThanOrEqualTo(20_000);
        assertThat(betweenNodes
                        .path("resources")
                        .path("wireBytes")
                        .path("between nodes")
                        .asDouble())
                .as("the copies are counted on the relays' ports the nodes announce: " + betweenNodes.path("resources"))
                .isGreaterThan(100);
        assertThat(delayed.path("notes").toString()).contains("held 10 ms each way");
        assertThat(delayed.path("steady").path("p50Micros").asLong())
                .as("redis's median with 10 ms each way on its round trips: " + delayed.path("steady"))
                .isGreaterThanOrEqualTo(20_000);
        assertThat(count(delayed, "LOST_WRITE") + count(delayed, "LOST_SESSION") + count(delayed, "STALE_READ"))
                .as(delayed.path("anomalies").toString())
                .isZero();
        assertThat(delayed.path("resources")
                        .path("sends")
                        .path("nodes to store")
                        .asDouble())
                .as("store round trips per request, counted on the relay's port")
                .isGreaterThan(0.5);
        assertThat(Files.readString(report.resolve("summary.md"))).contains("## As the servers move apart");
        // The lab's own redis-server grew by what the sessions made after the run took.
        JsonNode memory = delayed.path("resources").path("memory");
        JsonNode store = memory.path("storeGrowth");
        assertThat(store.path("unit").asText()).as(memory.toString()).isEqualTo("keys");
        assertThat(memory.path("sessionsMade").asLong()).as(memory.toString()).isGreaterThan(330);
        assertThat(store.path("items").asLong())
                .as("a key per session made: " + memory)
                .isGreaterThanOrEqualTo(memory.path("sessionsMade").asLong() * 9 / 10);
        assertThat(store.path("bytes").asLong() / memory.path("sessionsMade").asLong())
                .as("bytes per session: " + memory)
                .isBetween(50L, 20_000L);
    }

    /**
     * After the run, each node's heap is read around 120 fresh sessions per node: every strategy has
     * a reading for every node; replicated's nodes each gained a copy of every session, and a
     * session cost them more than primary-backup's two copies.
     */
    @Test
    void whatASessionCostsTheNodesHeapsIsRead() {
        for (String s : List.of("memory", "primary-backup", "replicated")) {
            JsonNode memory = run(s).path("resources").path("memory");
            assertThat(memory.path("nodeHeapGrowth").size())
                    .as(s + ": " + memory)
                    .isEqualTo(3);
            assertThat(memory.path("copiesGained").size()).as(s + ": " + memory).isEqualTo(3);
            assertThat(memory.path("sessionsMade").asLong())
                    .as(s + ": " + memory)
                    .isGreaterThan(330);
        }
        JsonNode replicated = run("replicated").path("resources").path("memory");
        for (JsonNode gained : replicated.path("copiesGained")) {
            assertThat(gained.asLong()).as(replicated.toString()).isGreaterThan(330);
        }
        assertThat(perSession(run("replicated")))
                .as("replicated " + replicated + ", primary-backup "
                        + run("primary-backup").path("resources"))
                .isGreaterThan(perSession(run("primary-backup")));
        assertThat(perSession(run("primary-backup"))).isGreaterThan(perSession(run("memory")));
    }

    /** The median node's heap per copy gained, times the copies per session made (as the report). */
    private static double perSession(JsonNode run) {
        JsonNode memory = run.path("resources").path("memory");
        List<Double> perCopy = new ArrayList<>();
        long copies = 0;
        var nodes = memory.path("copiesGained").fieldNames();
        while (nodes.hasNext()) {
            String node = nodes.next();
            long gained = memory.path("copiesGained").path(node).asLong();
            copies += gained;
            perCopy.add((double) memory.path("nodeHeapGrowth").path(node).asLong() / gained);
        }
        perCopy.sort(null);
        return perCopy.get(perCopy.size() / 2)
                * copies
                / memory.path("sessionsMade").asLong();
    }

    /** A base port whose nodes, cluster ports and failure-detection ports are all free, for three strategies. */
    private static int freeBase() {
        for (int base = 23001; base < 40000; base += 1000) {
            int b = base;
            boolean free = IntStream.range(0, 3)
                    .flatMap(i -> IntStream.of(0, 100, 200)
                            .flatMap(off -> IntStream.range(b + 20 * i + off, b + 20 * i + off + 3)))
                    .allMatch(LabIT::isFree);
            if (free) {
                return base;
            }
        }
        throw new IllegalStateException("no free ports for the lab");
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port)) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }
}
