package dev.satchel.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ExpectedValueTest {
    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void matches_equalBytesOrBothAbsent_only() {
        assertThat(ExpectedValue.of(bytes("a")).matches(Optional.of(bytes("a"))))
                .isTrue();
        assertThat(ExpectedValue.of(bytes("a")).matches(Optional.of(bytes("b"))))
                .isFalse();
        assertThat(ExpectedValue.of(bytes("a")).matches(Optional.empty())).isFalse();
        assertThat(ExpectedValue.absent().matches(Optional.empty())).isTrue();
        assertThat(ExpectedValue.absent().matches(Optional.of(bytes("")))).isFalse();
        assertThat(ExpectedValue.of(Optional.empty())).isEqualTo(ExpectedValue.absent());
    }

    @Test
    void theExpectedBytes_cannotBeChangedAfterwards() {
        byte[] value = bytes("a");
        ExpectedValue expected = ExpectedValue.of(value);
        value[0] = 'z';
        expected.encoded().orElseThrow()[0] = 'y';
        assertThat(expected.matches(Optional.of(bytes("a")))).isTrue();
    }

    @Test
    void changeSet_takesExpectationsOnPlainUpdatesOnly() {
        SessionId id = SessionId.random();
        Instant now = Instant.parse("2026-01-01T00:00:00Z");
        ChangeSet update = ChangeSet.builder(id, now, now.plusSeconds(60))
                .set("cart", bytes("b"))
                .expect("cart", ExpectedValue.of(bytes("a")))
                .build();
        assertThat(update.expectations()).containsOnlyKeys("cart");
        assertThat(ChangeSet.builder(id, now, now)
                        .set("cart", bytes("b"))
                        .build()
                        .expectations())
                .isEmpty();
        assertThatThrownBy(() -> ChangeSet.builder(id, now, now)
                        .invalidated()
                        .expect("cart", ExpectedValue.absent())
                        .build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ChangeSet.builder(id, now, now)
                        .changeId(SessionId.random())
                        .expect("cart", ExpectedValue.absent())
                        .build())
                .isInstanceOf(IllegalArgumentException.class);
    }
}
