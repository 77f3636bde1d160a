package dev.satchel.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SoakTest {
    private static final long MB = 1_000_000;

    @TempDir
    Path dir;

    /** Readings every 60 s for 30 minutes, steady from 180 s: 27 steady readings, thirds of 9. */
    private static Soak soak(IntFunction<SoakSample> at) {
        List<SoakSample> samples = new ArrayList<>();
        for (int second = 0; second < 1800; second += 60) {
            samples.add(at.apply(second));
        }
        return new Soak(30, 120, 180, samples);
    }

    @Test
    void flatHeapsCopiesAndKeysHold() {
        Soak flat = soak(s -> new SoakSample(s, 90 * MB, 3, 2_400, new StoreMemory(4 * MB, 1_200, "keys")));
        assertThat(flat.ran()).isTrue();
        assertThat(flat.steady()).hasSize(27);
        assertThat(flat.heap().get().growth()).isZero();
        assertThat(flat.holds()).contains(true);
        assertThat(flat.storeUnit()).isEqualTo("keys");
    }

    @Test
    void copiesThatAreNeverReclaimedGrowAndFail() {
        // every arriving shopper's session stays: the count climbs with the arrivals
        Soak leaking = soak(s -> new SoakSample(s, 90 * MB + s * 10_000L, 3, 20L * s, StoreMemory.NONE));
        assertThat(leaking.sessionsHeld().get().flat()).isFalse();
        assertThat(leaking.holds()).contains(false);
    }

    @Test
    void aHeapLiftedByWorkInFlightIsJudgedByItsLowestReadings() {
        // late in the soak most readings catch a login's 19 MiB hash or two: their mean rises by a
        // third, their lowest not at all
        Soak noisy =
                soak(s -> new SoakSample(s, (s < 1200 || s / 60 % 3 == 0 ? 90 : 130) * MB, 3, 2_400, StoreMemory.NONE));
        assertThat(noisy.heap().get().first()).isEqualTo(90.0 * MB);
        assertThat(noisy.heap().get().last()).isEqualTo(90.0 * MB);
        assertThat(noisy.heap().get().flat()).isTrue();
        Soak leaking = soak(s -> new SoakSample(s, 90 * MB + s * 30_000L, 3, 2_400, StoreMemory.NONE));
        assertThat(leaking.heap().get().growth()).isGreaterThan(Soak.TOLERANCE);
        assertThat(leaking.holds()).contains(false);
    }

    @Test
    void aHeapReadingSomeNodeMissedIsLeftOut() {
        // node-3 busy past the timeout in the first third: its reading sums two heaps, not a drop
        Soak missing = soak(s -> s == 300
                ? new SoakSample(s, 60 * MB, 2, 2_400, StoreMemory.NONE)
                : new SoakSample(s, 90 * MB + s * 10_000L, 3, 2_400, StoreMemory.NONE));
        assertThat(missing.heap().get().first()).isGreaterThan(90.0 * MB);
        assertThat(missing.heap().get().flat()).isTrue();
    }

    @Test
    void nodesThatKeepNoSessionsAreNotJudgedByTheirCopies() {
        Soak cookie = soak(s -> new SoakSample(s, 80 * MB, 3, 0, StoreMemory.NONE));
        assertThat(cookie.sessionsHeld()).isEmpty();
        assertThat(cookie.storeItems()).isEmpty();
        assertThat(cookie.holds()).contains(true);
    }

    @Test
    void tooFewReadingsAfterTheFirstExpiryAreNotJudged() {
        Soak shortOne = new Soak(
                2,
                120,
                180,
                List.of(
                        new SoakSample(60, MB, 3, 10, StoreMemory.NONE),
                        new SoakSample(190, MB, 3, 10, StoreMemory.NONE)));
        assertThat(shortOne.ran()).isFalse();
        assertThat(SoakText.verdict(shortOne)).startsWith("not judged");
        assertThat(Soak.NONE.ran()).isFalse();
    }

    @Test
    void theSteadyPhaseStartsAfterAVisitTheReturnTheIdleTimeoutAndASweep() {
        LabSettings settings = new LabSettings(
                List.of("memory"),
                3,
                20,
                500,
                15,
                10,
                1800,
                "none",
                600,
                8,
                1,
                "no",
                List.of(3),
                "loopback",
                List.of(0),
                10,
                120,
                30,
                0);
        assertThat(Soak.steadyFromSecond(settings)).isEqualTo(4 + 15 + 120 + 30);
        assertThat(Soak.sampleSeconds(1800)).isEqualTo(60);
        assertThat(Soak.sampleSeconds(120)).isEqualTo(10);
    }

    @Test
    void theReportHasTheSoakTableAndChartsAndReadsBack() throws IOException {
        Soak flat = soak(s -> new SoakSample(s, 90 * MB, 3, 2_400, StoreMemory.NONE));
        Soak leaking = soak(s -> new SoakSample(s, 90 * MB, 3, 20L * s, StoreMemory.NONE));
        LabResults results = LabFixtures.results(
                "none",
                List.of(
                        LabFixtures.memory().noFault().build().withSoak(flat),
                        LabFixtures.run("replicated", "round-robin")
                                .noFault()
                                .build()
                                .withSoak(leaking)));
        LabReport.write(results, dir);
        String md = Files.readString(dir.resolve("summary.md"));
        String html = Files.readString(dir.resolve("index.html"));
        assertThat(md)
                .contains("## A soak: does memory stay flat?")
                .contains(
                        "| memory | 30 | 120 s | 30 (27 steady) | 90.0 → 90.0 (+0%) | 2400 → 2400 (+0%) | – | flat: expiry keeps up |")
                .contains("| grows |");
        assertThat(html)
                .contains("the nodes&#39; heaps after a full collection, all nodes")
                .contains("session copies the nodes hold, all nodes")
                .doesNotContain("NaN")
                .doesNotContain("Infinity");
        LabResults again = LabReport.read(dir.resolve("results.json"));
        assertThat(again.runs().get(1).soak().samples()).hasSize(30);
        assertThat(again.runs().get(1).soak().holds()).contains(false);
        assertThat(again.runs().get(0).soak().holds()).contains(true);
    }
}
