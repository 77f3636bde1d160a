package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class HeapReadingTest {

    @Test
    void readsTheBytesOfTheHistogramsTotalLine() {
        String histogram =
                """
                27551:
                 num     #instances         #bytes  class name (module)
                -------------------------------------------------------
                   1:         41234        4123400  [B (java.base@17.0.15)
                   2:         12000         288000  java.lang.String (java.base@17.0.15)
                Total        195474       32591480
                """;
        assertThat(HeapReading.liveBytes(histogram)).hasValue(32_591_480L);
        assertThat(HeapReading.liveBytes("12345: Could not attach")).isEmpty();
        assertThat(HeapReading.liveBytes("Total of nothing")).isEmpty();
    }

    @Test
    void readsARealJvmsHeapAfterAFullCollection() {
        OptionalLong heap =
                HeapReading.afterFullCollection(ProcessHandle.current().pid(), Duration.ofSeconds(30));
        long total = Runtime.getRuntime().totalMemory();
        assertThat(heap).isPresent();
        assertThat(heap.getAsLong()).isPositive().isLessThanOrEqualTo(total);
    }

    @Test
    void aProcessThatIsNoJvmGivesNoReading() throws Exception {
        // A child of this test's own: jcmd's attach signals its target, which must never be a stranger.
        Process sleeper = new ProcessBuilder("sleep", "60").start();
        try {
            assertThat(HeapReading.afterFullCollection(sleeper.pid(), Duration.ofSeconds(30)))
                    .isEmpty();
        } finally {
            sleeper.destroyForcibly();
        }
    }
}
