package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@code satchel lab --fault partition} from the runnable jar: each node in a network namespace of
 * its own, the first one's link cut for 10 s and healed, under the shoppers' load, for both
 * synchronous cluster stores. Nothing acknowledged may be lost across the cut and the heal, and the
 * two nodes left must keep serving: before this test, across real addresses the majority counted
 * JGroups' extra probe addresses as peers and answered "not ready" until the merge (every request
 * failed after the heal), and the cut-off node took a save held in TCP during the cut, whose copy
 * then won the merge over the acknowledged saves of the other side; and the cut-off node served its
 * old copies just after the merge. A cut of 10 s outlasts the failure detector's 6 s: the others
 * exclude the node, and it comes back by a merge, the path the stores promise to lose nothing on.
 * A cut that heals just as the suspicions fire (6 s) can still, rarely, show a save that failed
 * and then lose it on the replicated store: docs/ARCHITECTURE.md says why, docs/lab.md counts it,
 * and this test allows the replicated store a handful of such reads, never a lost session. CI runs as root,
 * where namespaces can be made; elsewhere this is skipped with the reason.
 */
class LabPartitionIT {

    @Test
    void aPartitionOfOneNodeLosesNothingAcknowledgedAndTheOthersKeepServing() throws Exception {
        Optional<String> why = NamespaceNetwork.unavailableBecause();
        assumeTrue(why.isEmpty(), () -> "network namespaces are not available (needs root and iproute2): " + why.get());
        Path work = Files.createTempDirectory("satchel-lab-partition-it");
        Path out = work.resolve("report");
        LabIT.Lab lab = LabIT.Lab.run(
                work,
                out,
                "--strategies",
                "primary-backup,replicated",
                "--fault",
                "partition",
                "--network",
                "namespaces",
                "--trace",
                "--warmup",
                "3",
                "--seconds",
                "30",
                "--fault-at",
                "4",
                "--down",
                "10",
                "--return-after",
                "6");
        assertThat(lab.exit()).as(lab.stdout()).isZero();
        assertThat(lab.stdout()).contains("cut node-1 off the network", "healed node-1");
        assertThat(lab.results().path("settings").path("network").asText()).isEqualTo("namespaces");
        assertThat(out.resolve("requests.tsv")).isNotEmptyFile();
        for (String strategy : List.of("primary-backup", "replicated")) {
            JsonNode run = run(lab, strategy);
            List<String> actions = new ArrayList<>();
            run.path("faults").forEach(f -> actions.add(f.path("action").asText()));
            assertThat(actions).as(strategy).containsExactly("cut", "heal");
            // No strategy may lose a session or undo a logout. Primary-backup loses nothing. The
            // replicated store has one gap left (docs/ARCHITECTURE.md, "What a partition can and
            // cannot do"): a conditional save that a node decided and some nodes took before it
            // failed can be shown and then lost while a node is cut off (1 stale read in one run
            // of four here). It is counted, and held far below what the faults this test found
            // cost (up to 84 lost writes and 107 stale reads in one run).
            List<String> none = strategy.equals("primary-backup")
                    ? List.of("LOST_SESSION", "LOST_WRITE", "STALE_READ", "RESURRECTED")
                    : List.of("LOST_SESSION", "RESURRECTED");
            for (String kind : none) {
                assertThat(run.path("anomalyCounts").path(kind).asLong(-1))
                        .as(strategy + " " + kind + ": " + run.path("anomalies"))
                        .isZero();
            }
            assertThat(run.path("anomalyCounts").path("LOST_WRITE").asLong(-1)
                            + run.path("anomalyCounts").path("STALE_READ").asLong(-1))
                    .as(strategy + " lost writes and stale reads: " + run.path("anomalies"))
                    .isBetween(0L, 5L);
            // From 10 s after the heal (the merge comes about 6 s after it, and its exchange of
            // copies takes a second) to the end, the cluster serves: failures stay near the cut.
            long healedAt = run.path("faults").get(1).path("atMillis").asLong() / 1000;
            long failedLate = 0;
            long servedLate = 0;
            for (JsonNode second : run.path("timeline")) {
                if (second.path("second").asLong() >= healedAt + 10) {
                    failedLate += second.path("failed").asLong();
                    servedLate += second.path("succeeded").asLong();
                }
            }
            assertThat(servedLate).as(strategy + " " + run.path("timeline")).isGreaterThan(100);
            assertThat(failedLate).as(strategy + " " + run.path("timeline")).isZero();
            // Bytes between the nodes are read inside their namespaces too: some per request, fewer
            // on save links (44 in one run) than on JGroups, which adds its headers.
            assertThat(run.path("resources")
                            .path("wireBytes")
                            .path("between nodes")
                            .asDouble())
                    .as(strategy + ": " + run.path("resources"))
                    .isGreaterThan(20);
        }
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
