package dev.satchel.bench.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.bench.MachineState;
import dev.satchel.bench.Rounds;
import dev.satchel.bench.store.StoreReport.Result;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** The store report: every round, the medians, and each Satchel/Spring pair's median ratio and range. */
class StoreReportTest {
    private static final MachineState MACHINE = new MachineState("2.00 1.00 0.50", OptionalDouble.empty());

    @Test
    void report_pairsRoundIOfSatchelWithRoundIOfSpring_onTheSameServer() {
        List<Result> results = List.of(
                result("Satchel Redis", "redis", 1, 20_000),
                result("Spring RedisSessionRepository", "redis", 1, 10_000),
                result("Satchel SQL (PostgreSQL)", "postgresql", 1, 6_000),
                result("Satchel Redis", "redis", 2, 15_000),
                result("Spring RedisSessionRepository", "redis", 2, 12_000),
                result("Satchel SQL (PostgreSQL)", "postgresql", 2, 6_000),
                result("Satchel Redis", "redis", 3, 30_000),
                result("Spring RedisSessionRepository", "redis", 3, 10_000),
                result("Satchel SQL (PostgreSQL)", "postgresql", 3, 6_000));

        String md = StoreReport.markdown(options(3, false), results, MACHINE, "unknown", List.of());

        assertThat(md).contains("| Satchel Redis | 20,000, p99 1,000 | 15,000, p99 1,000 | 30,000, p99 1,000 |");
        assertThat(md).contains("| Satchel Redis | 20,000 |");
        // Per round 2.00, 1.25, 3.00.
        assertThat(md).contains("- Satchel Redis / Spring RedisSessionRepository: 2.00× (1.25–3.00× over 3 rounds)");
        assertThat(md).doesNotContain("Satchel SQL (PostgreSQL) / Spring"); // no Spring SQL store ran
        assertThat(md).contains("CPU steal during the run not shown by this kernel");
        assertThat(StoreReport.chart(options(3, false), results, MACHINE))
                .contains("20,000 / 15,000 / 30,000")
                .contains("2.00× (1.25–3.00× over 3 rounds)");
    }

    @Test
    void smokeReport_printsNoRatio() {
        List<Result> results = List.of(
                result("Satchel Redis", "redis", 1, 20_000),
                result("Spring RedisSessionRepository", "redis", 1, 10_000));

        assertThat(StoreReport.markdown(options(1, true), results, MACHINE, "unknown", List.of()))
                .contains(Rounds.SMOKE_NOTE)
                .doesNotContain("×");
        assertThat(StoreReport.chart(options(1, true), results, MACHINE))
                .contains(Rounds.SMOKE_NOTE)
                .doesNotContain("×");
    }

    @Test
    void options_refuseFewerThanThreeRounds_unlessASmokeRun() {
        assertThat(StoreBenchOptions.parse(new String[] {}).rounds()).isEqualTo(3);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> StoreBenchOptions.parse(new String[] {"--rounds", "2"}))
                .hasMessageContaining("at least 3 rounds");
        StoreBenchOptions smoke = StoreBenchOptions.parse(new String[] {"--smoke", "--seconds", "1"});
        assertThat(smoke.smoke()).isTrue();
        assertThat(smoke.rounds()).isEqualTo(1);
        assertThat(smoke.seconds()).isEqualTo(1);
    }

    private static Result result(String name, String server, int round, double perSecond) {
        Histogram latency = new Histogram(3);
        latency.recordValue(1_000);
        return new Result(
                name, server, Workload.CHANGE, round, perSecond, latency, 0, Map.of("get", 1.0), 1, List.of());
    }

    private static StoreBenchOptions options(int rounds, boolean smoke) {
        return new StoreBenchOptions(3, 2, rounds, smoke, 8, 2000, 0, List.of(), Path.of("target"));
    }
}
