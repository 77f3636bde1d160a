package dev.satchel.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class MutableClockTest {

    @Test
    void movesOnlyWhenAdvanced() {
        Instant start = Instant.parse("2026-03-01T09:00:00Z");
        MutableClock clock = new MutableClock(start);

        assertThat(clock.instant()).isEqualTo(start);
        clock.advance(Duration.ofMinutes(3));

        assertThat(clock.instant()).isEqualTo(start.plus(Duration.ofMinutes(3)));
        assertThat(clock.millis()).isEqualTo(start.plus(Duration.ofMinutes(3)).toEpochMilli());
    }
}
