package dev.satchel.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class RoundsTest {

    @Test
    void median_ofAnOddCount_isTheMiddle_ofAnEvenCount_theMeanOfTheTwoMiddle() {
        assertThat(Rounds.median(List.of(3.0, 1.0, 2.0))).isEqualTo(2.0);
        assertThat(Rounds.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
        assertThat(Rounds.median(List.of(7.0))).isEqualTo(7.0);
    }

    @Test
    void ratios_pairRoundIOfAWithRoundIOfB_notTheBestOfEach() {
        // A's best (400) and B's worst (100) are in different rounds: their 4× must not appear.
        Rounds.Spread r = Rounds.ratios(List.of(300.0, 400.0, 200.0), List.of(100.0, 400.0, 250.0));

        assertThat(r.median()).isEqualTo(1.0);
        assertThat(r.min()).isEqualTo(0.8);
        assertThat(r.max()).isEqualTo(3.0);
        assertThat(r.rounds()).isEqualTo(3);
        assertThat(r.asRatio()).isEqualTo("1.00× (0.80–3.00× over 3 rounds)");
        assertThat(r.above(0.7)).isTrue();
        assertThat(r.above(0.8)).isFalse();
    }

    @Test
    void ratios_overTheRoundsBothRan() {
        Rounds.Spread r = Rounds.ratios(List.of(2.0, 4.0, 9.0), List.of(1.0, 2.0));

        assertThat(r.rounds()).isEqualTo(2);
        assertThat(r.median()).isEqualTo(2.0);
    }

    @Test
    void spread_isTheMedianAndTheRange() {
        Rounds.Spread s = Rounds.spread(List.of(5.0, 1.0, 3.0, 9.0, 4.0));

        assertThat(s).isEqualTo(new Rounds.Spread(4.0, 1.0, 9.0, 5));
    }

    @Test
    void fewerThanThreeRounds_areRefused_unlessASmokeRunAsksForThem() {
        assertThat(Rounds.checked(3, false)).isEqualTo(3);
        assertThatThrownBy(() -> Rounds.checked(2, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 3 rounds")
                .hasMessageContaining("--smoke");
        assertThat(Rounds.checked(1, true)).isEqualTo(1);
        assertThatThrownBy(() -> Rounds.checked(0, true)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Rounds.median(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void machineState_stealIsTheStealColumnsShareOfTheFirstEight() {
        String before = "cpu  100 0 100 700 50 0 0 50 30 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n";
        String after = "cpu  200 0 200 1300 50 0 0 150 90 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n";

        // 100 + 100 + 600 + 100 = 900 ticks, 100 of them stolen; guest (60) is already in user.
        assertThat(MachineState.steal(before, after).getAsDouble()).isCloseTo(100.0 / 9, within(1e-9));
    }

    @Test
    void machineState_aZeroStealIsStillAFigure_aMissingColumnIsSaidSo() {
        String before = "cpu  100 0 100 700 50 0 0 0 0 0\n";
        String after = "cpu  200 0 200 800 50 0 0 0 0 0\n";
        assertThat(MachineState.steal(before, after).getAsDouble()).isZero();

        // Kernels before 2.6.11 print seven columns.
        assertThat(MachineState.steal("cpu  1 2 3 4 5 6 7\n", "cpu  2 3 4 5 6 7 8\n"))
                .isEmpty();
        MachineState old = new MachineState("0.10 0.20 0.30", java.util.OptionalDouble.empty());
        assertThat(old.describe()).contains("0.10 0.20 0.30").contains("not shown by this kernel");
        assertThat(new MachineState("1.00 1.00 1.00", java.util.OptionalDouble.of(0)).describe())
                .contains("CPU steal during the run 0.0% of all CPU time");
    }

    @Test
    void machineState_loadIsTheFirstThreeFields() {
        assertThat(MachineState.loadOf("0.52 0.40 0.33 2/345 6789\n")).isEqualTo("0.52 0.40 0.33");
    }

    @Test
    void machineState_ofThisMachine_describesItself() {
        assertThat(MachineState.begin().end().describe()).startsWith("load average before the run ");
    }
}
