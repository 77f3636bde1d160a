package dev.satchel.core.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.ThreadFactory;
import org.junit.jupiter.api.Test;

class SupportTest {
    @Test
    void durations_refuseWhatTheyNameAndPassTheRest() {
        assertThat(Durations.requirePositive(Duration.ofMillis(1), "timeout")).isEqualTo(Duration.ofMillis(1));
        assertThatThrownBy(() -> Durations.requirePositive(Duration.ZERO, "timeout"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("timeout must be positive: PT0S");
        assertThatThrownBy(() -> Durations.requirePositive(null, "timeout"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(Durations.requireNonNegative(Duration.ZERO, "wait")).isEqualTo(Duration.ZERO);
        assertThatThrownBy(() -> Durations.requireNonNegative(Duration.ofSeconds(-1), "wait"))
                .hasMessage("wait must not be negative: PT-1S");
    }

    @Test
    void daemonThreads_areDaemonsNamedInOrder() {
        ThreadFactory factory = DaemonThreads.named("satchel-x");
        Thread first = factory.newThread(() -> {});
        Thread second = factory.newThread(() -> {});
        assertThat(first.isDaemon()).isTrue();
        assertThat(first.getName()).isEqualTo("satchel-x");
        assertThat(second.getName()).isEqualTo("satchel-x-2");
    }
}
