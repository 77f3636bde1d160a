package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code satchel lab --soak} from the runnable jar on a lossy network, in one run to spare CI the
 * start-up of a second: two minutes with a 20 s idle timeout, so that sessions expire several
 * times over, on primary-backup, where every session has an owner's copy and a backup's and both
 * must be reclaimed; and {@code --loss 3}, three packets in a hundred between the nodes dropped as
 * they enter the receiver's network namespace.
 *
 * <ul>
 *   <li>The copies the nodes hold level off at what the arrivals keep alive, far below every
 *       session ever made, and the verdict says so.
 *   <li>No returning shopper finds its session expired early (it comes back 5 s after its visit).
 *   <li>TCP sends the dropped packets again, so the loss costs time and never a session or an
 *       acknowledged write; the lab counts what its filters dropped, so the test knows it happened.
 * </ul>
 *
 * CI runs as root, where namespaces can be made; elsewhere this is skipped with the reason.
 */
class LabSoakIT {
    private static final Pattern DROPPED = Pattern.compile("the loss dropped (\\d+) packets");
    /** The soak row's copies column: {@code | 299 → 315 (+5%) |}. */
    private static final Pattern SOAK_COPIES =
            Pattern.compile("\\| primary-backup \\| 2 \\| 20 s \\|[^|]*\\|[^|]*\\| \\d+ → \\d+ \\(([+-]?\\d+)%\\) \\|");

    @Test
    void aShortSoakOnALossyNetworkLevelsOffLosesNothingAndItsReportJudgesIt() throws Exception {
        Optional<String> why = NamespaceNetwork.unavailableBecause();
        assumeTrue(why.isEmpty(), () -> "network namespaces are not available (needs root and iproute2): " + why.get());
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
                "namespaces",
                "--loss",
                "3");
        assertThat(lab.exit()).as(lab.stdout()).isZero();
        JsonNode run = lab.results().path("runs").get(0);
        assertThat(lab.results().path("settings").path("soakMinutes").asInt()).isEqualTo(2);
        assertThat(lab.results().path("settings").path("lossPercent").asDouble())
                .isEqualTo(3.0);
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

        String notes = run.path("notes").toString();
        assertThat(notes).contains("3% of the packets between the nodes");
        Matcher dropped = DROPPED.matcher(notes);
        assertThat(dropped.find()).as(notes).isTrue();
        assertThat(Long.parseLong(dropped.group(1))).as("packets dropped").isGreaterThan(100);
        for (String kind : List.of("LOST_SESSION", "LOST_WRITE", "STALE_READ", "RESURRECTED")) {
            assertThat(run.path("anomalyCounts").path(kind).asLong(-1))
                    .as(kind + ": " + run.path("anomalies"))
                    .isZero();
        }

        String summary = Files.readString(out.resolve("summary.md"));
        assertThat(summary)
                .contains("## A soak: does memory stay flat?", "3% of packets dropped between the nodes")
                .containsPattern("\\| primary-backup \\| 2 \\| 20 s \\| 1[0-3] \\(\\d+ steady\\) \\|");
        // Expiry keeping up shows in the copies the nodes hold. The heap of a two-minute soak is
        // judged on six readings, and under a loaded CI machine it was once +20% (106.6 -> 127.4
        // MB, copies +5%) where a rerun was flat: it is reported here, and judged by long soaks.
        Matcher copies = SOAK_COPIES.matcher(summary);
        assertThat(copies.find()).as(summary).isTrue();
        assertThat(Integer.parseInt(copies.group(1)))
                .as("change of the session copies held, first third to last, %")
                .isLessThanOrEqualTo(15);
        assertThat(Files.readString(out.resolve("index.html"))).contains("session copies the nodes hold, all nodes");
    }
}
