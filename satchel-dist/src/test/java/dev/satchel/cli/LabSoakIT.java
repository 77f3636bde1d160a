package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code satchel lab --soak} from the runnable jar, cut to two minutes with a 20 s idle timeout so
 * that sessions expire several times over: on primary-backup, where every session has an owner's
 * copy and a backup's and both must be reclaimed. The copies the nodes hold must level off at what
 * the arrivals keep alive, far below every session ever made, the verdict must say so, and no
 * returning shopper may find its session expired early (it comes back 5 s after its visit).
 */
class LabSoakIT {

    @Test
    void aShortSoakLevelsOffAndItsReportJudgesIt() throws Exception {
        Path work = Files.createTempDirectory("satchel-lab-soak-it");
        Path out = work.resolve("report");
        LabIT.Lab lab = LabIT.Lab.run(
                work,
                out,
                "--strategies",
                "primary-backup",
                "--soak",
                "2",
                "--idle-timeout",
                "20",
                "--return-after",
                "5",
                "--rate",
                "10",
                "--warmup",
                "2",
                "--network",
                "loopback");
        assertThat(lab.exit()).as(lab.stdout()).isZero();
        JsonNode run = lab.results().path("runs").get(0);
        assertThat(lab.results().path("settings").path("soakMinutes").asInt()).isEqualTo(2);
        assertThat(run.path("faults")).as("a soak injects no fault").isEmpty();
        JsonNode soak = run.path("soak");
        assertThat(soak.path("idleTimeoutSeconds").asInt()).isEqualTo(20);
        JsonNode samples = soak.path("samples");
        assertThat(samples.size()).as(soak.toString()).isBetween(10, 13);
        long shoppers = run.path("shoppers").asLong();
        long lastHeld = samples.get(samples.size() - 1).path("sessionsHeld").asLong();
        // ~1,200 shoppers arrived; with each session gone 20 s after its last use, the two copies of
        // the ones still alive are a few hundred
        assertThat(shoppers).isGreaterThan(1_000);
        assertThat(lastHeld).as(soak.toString()).isPositive().isLessThan(shoppers / 2);
        for (JsonNode s : samples) {
            assertThat(s.path("nodesRead").asInt()).as(s.toString()).isEqualTo(3);
        }
        assertThat(run.path("anomalyCounts").path("LOST_SESSION").asLong())
                .as(run.path("anomalies").toString())
                .isZero();
        String summary = Files.readString(out.resolve("summary.md"));
        assertThat(summary)
                .contains("## A soak: does memory stay flat?")
                .containsPattern(
                        "\\| primary-backup \\| 2 \\| 20 s \\| 1[0-3] \\(\\d+ steady\\) \\|[^\\n]*flat: expiry keeps up \\|");
        assertThat(Files.readString(out.resolve("index.html"))).contains("session copies the nodes hold, all nodes");
    }
}
