package dev.satchel.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.codec.DefaultAttributeCodec;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionRecordDecodeTest {
    private final DefaultAttributeCodec codec = DefaultAttributeCodec.defaults();
    private final Instant now = Instant.parse("2026-01-01T00:00:00Z");

    private SessionRecord record(Object... pairs) {
        ChangeSet.Builder b = ChangeSet.builder(SessionId.random(), now, now.plus(Duration.ofHours(8)))
                .created()
                .maxInactiveInterval(Duration.ofMinutes(30));
        for (int i = 0; i < pairs.length; i += 2) {
            b.set((String) pairs[i], codec.encode((String) pairs[i], pairs[i + 1]));
        }
        return SessionRecord.create(b.build());
    }

    @Test
    void decode_immutableSmallValue_isDecodedOnceAndShared() {
        SessionRecord r = record("user", "alice", "n", 7);
        Object first = r.decode("user", codec).orElseThrow();
        assertThat(r.decode("user", codec).orElseThrow()).isSameAs(first);
        assertThat(r.decode("n", codec)).contains(7);
        assertThat(r.decode("missing", codec)).isEmpty();
    }

    @Test
    void decode_mutableValue_isFreshEveryTime() {
        SessionRecord r = record("list", List.of("a", "b"));
        Object first = r.decode("list", codec).orElseThrow();
        assertThat(r.decode("list", codec).orElseThrow()).isEqualTo(first).isNotSameAs(first);
    }

    @Test
    void decode_largeValue_isNotMemoised() {
        SessionRecord r = record("big", "x".repeat(1000));
        assertThat(r.decode("big", codec).orElseThrow())
                .isNotSameAs(r.decode("big", codec).orElseThrow());
    }

    @Test
    void decode_otherCodec_neverSeesTheFirstCodecsValues() {
        SessionRecord r = record("user", "alice");
        Object mine = r.decode("user", codec).orElseThrow();
        DefaultAttributeCodec other = DefaultAttributeCodec.builder().build();
        assertThat(r.decode("user", other).orElseThrow()).isEqualTo(mine).isNotSameAs(mine);
    }

    @Test
    void apply_keepsMemoOfUnchangedSlots_andForgetsChangedOnes() {
        SessionRecord r = record("user", "alice", "n", 1);
        Object user = r.decode("user", codec).orElseThrow();
        r.decode("n", codec);
        SessionRecord next = r.apply(ChangeSet.builder(r.id(), r.createdAt(), r.absoluteDeadline())
                .set("n", codec.encode("n", 2))
                .build());
        assertThat(next.decode("user", codec).orElseThrow()).isSameAs(user);
        assertThat(next.decode("n", codec)).contains(2);
        assertThat(r.decode("n", codec)).as("the old version is untouched").contains(1);
    }
}
