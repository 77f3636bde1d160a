package dev.satchel.cookie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.testkit.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Replaying an older cookie of a live session (a rollback): accepted by default, as documented,
 * and refused with the freshness check.
 */
class SealedCookieRollbackTest {
    private static final Duration IDLE = Duration.ofMinutes(30);
    private static final Duration ABSOLUTE = Duration.ofHours(8);
    private static final String KEYSET = SealedCookieSessions.generateKeyset();

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
    private final MemorySessionStore revocationStore = MemorySessionStore.builder()
            .clock(clock)
            .sweepInterval(Duration.ZERO)
            .build();
    private final RevocationList revocations = new RevocationList(revocationStore, clock, ABSOLUTE);

    private SealedCookieSessions sealer(boolean freshnessCheck) {
        return SealedCookieSessions.builder("SID")
                .keyset(KEYSET)
                .clock(clock)
                .revocations(revocations)
                .freshnessCheck(freshnessCheck)
                .build();
    }

    private SessionRecord cartWithTwoLines() {
        Instant now = clock.instant();
        return SessionRecord.create(ChangeSet.builder(SessionId.random(), now, now.plus(ABSOLUTE))
                .created()
                .accessedAt(now)
                .maxInactiveInterval(IDLE)
                .set("cart", "MUG-01,HAT-01".getBytes(StandardCharsets.UTF_8))
                .build());
    }

    /** What a request that removes a cart line seals: the next version of the session. */
    private SessionRecord removeLine(SessionRecord r) {
        return r.apply(ChangeSet.builder(r.id(), r.createdAt(), r.absoluteDeadline())
                .accessedAt(clock.instant())
                .set("cart", "MUG-01".getBytes(StandardCharsets.UTF_8))
                .build());
    }

    @Test
    void olderCookieOfALiveSession_isRefused_withTheFreshnessCheck() {
        SealedCookieSessions sealer = sealer(true);
        SessionRecord before = cartWithTwoLines();
        List<String> kept = sealer.seal(before); // the client keeps this copy
        clock.advance(Duration.ofSeconds(5));
        SessionRecord after = removeLine(sealer.open(kept).orElseThrow());
        List<String> newest = sealer.seal(after);

        assertThat(sealer.open(kept)).as("the older cookie, replayed").isEmpty();
        assertThat(sealer.stats().rolledBack()).isEqualTo(1);
        assertThat(sealer.open(newest).orElseThrow().attributes().get("cart"))
                .asString(StandardCharsets.UTF_8)
                .isEqualTo("MUG-01");
        assertThat(sealer.open(newest))
                .as("the newest, again: unchanged requests keep working")
                .isPresent();
    }

    @Test
    void olderCookieOfALiveSession_opens_withoutTheFreshnessCheck_asDocumented() {
        SealedCookieSessions sealer = sealer(false);
        List<String> kept = sealer.seal(cartWithTwoLines());
        sealer.seal(removeLine(sealer.open(kept).orElseThrow()));

        assertThat(sealer.open(kept).orElseThrow().attributes().get("cart"))
                .as("the removed line comes back")
                .asString(StandardCharsets.UTF_8)
                .isEqualTo("MUG-01,HAT-01");
        assertThat(revocationStore.size())
                .as("no record kept when the check is off")
                .isZero();
    }

    @Test
    void anOlderVersionSealedLate_doesNotLowerTheNewestRecorded() {
        SealedCookieSessions sealer = sealer(true);
        SessionRecord v1 = cartWithTwoLines();
        SessionRecord v2 = removeLine(v1);
        SessionRecord v3 = removeLine(v2);
        List<String> third = sealer.seal(v3);
        List<String> second = sealer.seal(v2); // a slower request of the same session finishing last
        assertThat(sealer.open(second)).isEmpty();
        assertThat(sealer.open(third)).isPresent();
    }

    @Test
    void theRecordOfASession_endsWithTheSession() {
        SealedCookieSessions sealer = sealer(true);
        SessionRecord r = cartWithTwoLines();
        sealer.seal(removeLine(r));
        assertThat(revocationStore.size()).isEqualTo(1);
        clock.advance(IDLE.plusSeconds(1));
        revocationStore.expireDue();
        assertThat(revocationStore.size())
                .as("entries left once the session has idled out")
                .isZero();
    }

    @Test
    void theFreshnessCheck_needsARevocationRecord() {
        assertThatThrownBy(() -> SealedCookieSessions.builder("SID")
                        .keyset(KEYSET)
                        .freshnessCheck(true)
                        .build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("revocations");
    }
}
