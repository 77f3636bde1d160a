package dev.satchel.bench.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.bench.MachineState;
import dev.satchel.bench.Rounds;
import dev.satchel.bench.cluster.PeerNode.Peer;
import dev.satchel.bench.cluster.PeersReport.Throughput;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

/** The clustering report: every round, the medians, and each pair's median ratio with its range. */
class PeersReportTest {
    private static final MachineState MACHINE = new MachineState("0.50 0.40 0.30", OptionalDouble.of(1.5));

    @Test
    void report_showsEveryRound_andEachPairsMedianRatioWithItsRange() {
        List<Throughput> rounds = List.of(
                round(Peer.SATCHEL_PRIMARY_BACKUP, 1, 3000, 900),
                round(Peer.TOMCAT_BACKUP, 1, 2000, 1500),
                round(Peer.SATCHEL_PRIMARY_BACKUP, 2, 2000, 1000),
                round(Peer.TOMCAT_BACKUP, 2, 2500, 1600),
                round(Peer.SATCHEL_PRIMARY_BACKUP, 3, 4000, 800),
                round(Peer.TOMCAT_BACKUP, 3, 2000, 1400));

        String md = PeersReport.report(options(3, false), rounds, MACHINE, List.of(), List.of());

        assertThat(md).contains("| satchel-primary-backup | 3,000, p99 900 | 2,000, p99 1,000 | 4,000, p99 800 |");
        assertThat(md)
                .contains(
                        "| satchel-primary-backup | 3,000 | 100 | 900 | 1,000 | 50 | 400 | 6.0 | 30 | 40 | 3.0% | 0 |");
        // Per round 1.50, 0.80, 2.00: not the 2.00 of the best round, nor 4,000 / 2,000 across rounds.
        assertThat(md)
                .contains("- satchel-primary-backup / tomcat-backup: 1.50× (0.80–2.00× over 3 rounds);"
                        + " p99 900 vs 1,500 µs");
        assertThat(md).contains("Against the fastest Tomcat manager by median");
        assertThat(md.split("- satchel-primary-backup / tomcat-backup: 1.50×", -1))
                .as("the pair, and the same against the fastest Tomcat manager")
                .hasSize(3);
        assertThat(md).contains("load average before the run 0.50 0.40 0.30").contains("1.5% of all CPU time");
        assertThat(md).doesNotContain(Rounds.SMOKE_NOTE);

        String svg = PeersReport.chart(rounds, MACHINE, options(3, false));
        assertThat(svg).contains("3,000 / 2,000 / 4,000").contains("1.50× (0.80–2.00× over 3 rounds)");
    }

    @Test
    void smokeReport_saysItComparesNothing_andPrintsNoRatio() {
        List<Throughput> rounds =
                List.of(round(Peer.SATCHEL_PRIMARY_BACKUP, 1, 300, 900), round(Peer.TOMCAT_BACKUP, 1, 600, 1500));

        String md = PeersReport.report(options(1, true), rounds, MACHINE, List.of(), List.of());
        String svg = PeersReport.chart(rounds, MACHINE, options(1, true));

        assertThat(md).contains(Rounds.SMOKE_NOTE).doesNotContain("×");
        assertThat(svg).contains(Rounds.SMOKE_NOTE).doesNotContain("×");
    }

    private static Throughput round(Peer peer, int round, double perSecond, long p99) {
        return new Throughput(peer, round, perSecond, 100, p99, 1000, 0, 50, 400, 6, 30, 40, 0.03);
    }

    private static PeersBenchOptions options(int rounds, boolean smoke) {
        return new PeersBenchOptions(
                List.of(Peer.SATCHEL_PRIMARY_BACKUP, Peer.TOMCAT_BACKUP),
                3,
                10,
                5,
                0,
                240,
                rounds,
                smoke,
                8,
                2000,
                0,
                0,
                List.of(),
                Path.of("target"),
                "1g",
                true,
                false);
    }
}
