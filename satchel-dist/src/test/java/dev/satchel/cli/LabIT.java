package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
        int base = freeBase();
        Process lab = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-jar",
                        Path.of("target", "satchel.jar").toString(),
                        "lab",
                        "--strategies",
                        "memory,primary-backup,replicated",
                        "--warmup",
                        "2",
                        "--seconds",
                        "12",
                        "--fault-at",
                        "3",
                        "--down",
                        "4",
                        "--base-port",
                        Integer.toString(base),
                        "--out",
                        out.toString(),
                        "--data-dir",
                        work.resolve("data").toString())
                .redirectErrorStream(true)
                .start();
        boolean ended = lab.waitFor(6, TimeUnit.MINUTES);
        if (!ended) {
            lab.destroyForcibly();
        }
        stdout = new String(lab.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ended).as("the lab ended in time; it said:\n" + stdout).isTrue();
        exit = lab.exitValue();
        results = JSON.readTree(out.resolve("results.json").toFile());
    }

    private JsonNode run(String strategy) {
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
