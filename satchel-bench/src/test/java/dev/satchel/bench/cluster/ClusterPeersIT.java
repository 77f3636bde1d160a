package dev.satchel.bench.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.bench.Rounds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The clustering harness end to end, small: real node processes of Satchel's primary-backup store
 * and of Tomcat's DeltaManager, load through HTTP, then one node of each SIGKILLed under load.
 * Satchel's synchronous mode must lose no acknowledged change; Tomcat's figures are reported. A
 * smoke run: its figures say the harness works, and its report says they compare nothing.
 */
class ClusterPeersIT {

    @Test
    void realProcesses_serveTheLoad_andSatchelLosesNoAcknowledgedChangeToAKill() throws Exception {
        Path out = Files.createDirectories(Path.of("target", "cluster-peers-it"));
        ClusterPeersBench.main(new String[] {
            "--contenders", "satchel-primary-backup,tomcat-delta",
            "--nodes", "3",
            "--seconds", "4",
            "--warmup", "1",
            "--threads", "4",
            "--sessions", "200",
            "--memory", "0",
            "--out", out.toString(),
            "--smoke"
        });
        String report = Files.readString(out.resolve("cluster-bench.md"));
        // One short round on a shared machine: figures to check the harness by, never a ratio.
        assertThat(report).contains(Rounds.SMOKE_NOTE).doesNotContain("×");
        for (String contender : List.of("satchel-primary-backup", "tomcat-delta")) {
            Matcher load = Pattern.compile("\\| " + contender + " \\| ([\\d,]+) \\|.*\\| (\\d+) \\|\\n")
                    .matcher(report);
            assertThat(load.find())
                    .as("a load row for %s in%n%s", contender, report)
                    .isTrue();
            assertThat(Long.parseLong(load.group(1).replace(",", "")))
                    .as("requests/s")
                    .isPositive();
            assertThat(load.group(2)).as("failed or lost under load").isEqualTo("0");

            Matcher kill = Pattern.compile("\\| " + contender
                            + " \\| ([\\d,]+) \\| ([\\d,]+) \\| ([\\d,]+) \\| ([\\d,]+) \\| ([\\d,]+) \\|\\n")
                    .matcher(report);
            assertThat(kill.find()).as("a failover row for %s", contender).isTrue();
            assertThat(Long.parseLong(kill.group(1).replace(",", "")))
                    .as("changes acknowledged")
                    .isPositive();
            if (contender.startsWith("satchel")) {
                // Satchel saves before the response is committed. Tomcat's ReplicationValve sends
                // after the servlet ran, when a response of declared length may already be out:
                // it can lose an acknowledged change even in its synchronous mode (seen here).
                assertThat(kill.group(2))
                        .as("acknowledged changes lost to the kill")
                        .isEqualTo("0");
                assertThat(kill.group(4)).as("sessions lost to the kill").isEqualTo("0");
            }
        }
        assertThat(Files.readString(out.resolve("cluster-bench.svg"))).contains("satchel-primary-backup");
    }
}
