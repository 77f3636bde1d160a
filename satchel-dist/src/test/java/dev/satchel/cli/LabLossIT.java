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
 * {@code satchel lab --loss 5} from the runnable jar: one packet in twenty between the nodes, and
 * between them and the lab's redis-server, dropped as it enters the receiver's network namespace.
 * TCP sends them again, so the synchronous cluster store and the central store lose nothing: the
 * loss costs time, never a session or a write. The lab counts what its filters dropped, so the
 * test knows the loss happened. CI runs as root, where namespaces can be made; elsewhere this is
 * skipped with the reason.
 */
class LabLossIT {
    private static final Pattern DROPPED = Pattern.compile("the loss dropped (\\d+) packets");

    @Test
    void fivePercentLossBetweenTheNodesAndTheStoreCostsNoSessionAndNoWrite() throws Exception {
        Optional<String> why = NamespaceNetwork.unavailableBecause();
        assumeTrue(why.isEmpty(), () -> "network namespaces are not available (needs root and iproute2): " + why.get());
        Path work = Files.createTempDirectory("satchel-lab-loss-it");
        Path out = work.resolve("report");
        LabIT.Lab lab = LabIT.Lab.run(
                work,
                out,
                "--strategies",
                "primary-backup,redis",
                "--fault",
                "none",
                "--loss",
                "5",
                "--network",
                "namespaces",
                "--warmup",
                "2",
                "--seconds",
                "12",
                "--return-after",
                "4");
        assertThat(lab.exit()).as(lab.stdout()).isZero();
        assertThat(lab.results().path("settings").path("lossPercent").asDouble())
                .isEqualTo(5.0);
        for (String strategy : List.of("primary-backup", "redis")) {
            JsonNode run = run(lab, strategy);
            String notes = run.path("notes").toString();
            assertThat(notes).as(strategy).contains("5% of the packets between the nodes");
            Matcher dropped = DROPPED.matcher(notes);
            assertThat(dropped.find()).as(strategy + " notes: " + notes).isTrue();
            assertThat(Long.parseLong(dropped.group(1)))
                    .as(strategy + ": packets dropped")
                    .isGreaterThan(100);
            for (String kind : List.of("LOST_SESSION", "LOST_WRITE", "STALE_READ", "RESURRECTED")) {
                assertThat(run.path("anomalyCounts").path(kind).asLong(-1))
                        .as(strategy + " " + kind + ": " + run.path("anomalies"))
                        .isZero();
            }
            assertThat(run.path("succeeded").asLong()).as(strategy).isGreaterThan(500);
        }
        assertThat(Files.readString(out.resolve("summary.md"))).contains("5% of packets dropped between the nodes");
    }

    private static JsonNode run(LabIT.Lab lab, String strategy) {
        for (JsonNode r : lab.results().path("runs")) {
            if (r.path("strategy").asText().equals(strategy)) {
                return r;
            }
        }
        throw new AssertionError("no run of " + strategy + "; the lab said:\n" + lab.stdout());
    }
}
