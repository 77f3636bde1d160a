package dev.satchel.cookie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionTooLargeException;
import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.testkit.MutableClock;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SealedCookieSessionsTest {
    private static final Duration IDLE = Duration.ofMinutes(30);
    private static final Duration ABSOLUTE = Duration.ofHours(8);
    private static final String KEYSET = SealedCookieSessions.generateKeyset();
    private static final String BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T12:00:00Z"));
    private final MemorySessionStore revocationStore =
            MemorySessionStore.builder().clock(clock).build();
    private final RevocationList revocations = new RevocationList(revocationStore, clock, ABSOLUTE);

    private SealedCookieSessions sealer(String keyset) {
        return SealedCookieSessions.builder("SID")
                .keyset(keyset)
                .clock(clock)
                .revocations(revocations)
                .build();
    }

    private SessionRecord session(int attributes, String principal) {
        Instant now = clock.instant();
        ChangeSet.Builder b = ChangeSet.builder(SessionId.random(), now, now.plus(ABSOLUTE))
                .created()
                .accessedAt(now)
                .maxInactiveInterval(IDLE);
        for (int i = 0; i < attributes; i++) {
            b.set("attr" + i, ("value-" + i + "-of-a-typical-attribute").getBytes(StandardCharsets.UTF_8));
        }
        if (principal != null) {
            b.principal(PrincipalChange.to(principal));
        }
        return SessionRecord.create(b.build());
    }

    @Test
    void aSealedSession_opensToTheSameRecord() {
        SealedCookieSessions sealer = sealer(KEYSET);
        SessionRecord r = session(10, "zoë");
        List<String> values = sealer.seal(r);
        assertThat(values).hasSize(1);
        assertThat(values.get(0)).matches("1\\.[A-Za-z0-9_-]+").hasSizeLessThan(4096 - 200);
        SessionRecord back = sealer.open(values).orElseThrow();
        assertThat(back.id()).isEqualTo(r.id());
        assertThat(back.createdAt()).isEqualTo(r.createdAt());
        assertThat(back.lastAccessedAt()).isEqualTo(r.lastAccessedAt());
        assertThat(back.maxInactiveInterval()).isEqualTo(r.maxInactiveInterval());
        assertThat(back.absoluteDeadline()).isEqualTo(r.absoluteDeadline());
        assertThat(back.principal()).contains("zoë");
        assertThat(back.version()).isEqualTo(r.version());
        assertThat(back.attributes().keySet()).isEqualTo(r.attributes().keySet());
        r.attributes().forEach((k, v) -> assertThat(back.attributes().get(k)).isEqualTo(v));
        assertThat(sealer.stats().opened()).isEqualTo(1);
        assertThat(sealer.counters()).containsEntry("opened", 1L).containsEntry("forged", 0L);
    }

    @Test
    void everyChangedCharacter_makesTheCookieNoSession() {
        SealedCookieSessions sealer = sealer(KEYSET);
        String value = sealer.seal(session(3, "ann")).get(0);
        int refused = 0;
        for (int i = 0; i < value.length(); i++) {
            char original = value.charAt(i);
            char other = original == '.' ? '-' : BASE64URL.charAt((BASE64URL.indexOf(original) + 17) % 64);
            String tampered = value.substring(0, i) + other + value.substring(i + 1);
            assertThat(sealer.open(List.of(tampered))).as("changed at %d", i).isEmpty();
            refused++;
        }
        SealedCookieSessions.Stats stats = sealer.stats();
        assertThat(stats.opened()).isZero();
        assertThat(stats.malformed() + stats.forged()).isEqualTo(refused);
    }

    @Test
    void aLastCharacterDifferingOnlyInUnusedBits_isNoSession() {
        SealedCookieSessions sealer = sealer(KEYSET);
        for (int i = 0; i < 20; i++) {
            String value = sealer.seal(session(i, null)).get(0);
            char last = value.charAt(value.length() - 1);
            String sibling = value.substring(0, value.length() - 1) + BASE64URL.charAt(BASE64URL.indexOf(last) ^ 1);
            assertThat(sealer.open(List.of(sibling)))
                    .as("sibling of a value of length %d", value.length())
                    .isEmpty();
        }
    }

    @Test
    void everyTruncation_makesTheCookieNoSession() {
        SealedCookieSessions sealer = sealer(KEYSET);
        String value = sealer.seal(session(3, null)).get(0);
        for (int length = 0; length < value.length(); length++) {
            assertThat(sealer.open(List.of(value.substring(0, length))))
                    .as("length %d", length)
                    .isEmpty();
        }
    }

    @Test
    void aCookieSealedForAnotherNameOrPurpose_doesNotOpen() {
        SessionRecord r = session(2, null);
        List<String> values = sealer(KEYSET).seal(r);
        SealedCookieSessions otherName = SealedCookieSessions.builder("OTHER")
                .keyset(KEYSET)
                .clock(clock)
                .build();
        SealedCookieSessions otherPurpose = SealedCookieSessions.builder("SID")
                .purpose("csrf")
                .keyset(KEYSET)
                .clock(clock)
                .build();
        SealedCookieSessions otherKey = sealer(SealedCookieSessions.generateKeyset());
        assertThat(otherName.open(values)).isEmpty();
        assertThat(otherPurpose.open(values)).isEmpty();
        assertThat(otherKey.open(values)).isEmpty();
        assertThat(otherKey.stats().forged()).isEqualTo(1);
    }

    @Test
    void replayAfterLogout_isRefused_withTheRevocationRecord() {
        SealedCookieSessions sealer = sealer(KEYSET);
        SessionRecord r = session(2, "ann");
        List<String> kept = sealer.seal(r); // an attacker keeps a copy
        sealer.revoke(r); // the user logs out
        assertThat(sealer.open(kept)).isEmpty();
        assertThat(sealer.stats().revoked()).isEqualTo(1);

        SealedCookieSessions without =
                SealedCookieSessions.builder("SID").keyset(KEYSET).clock(clock).build();
        assertThat(without.open(kept))
                .as("what is lost without the record: replay works")
                .isPresent();
    }

    @Test
    void logOutEverywhere_refusesEveryCookieSealedBefore_andNotTheNextLogin() {
        SealedCookieSessions sealer = sealer(KEYSET);
        List<String> laptop = sealer.seal(session(1, "ann"));
        List<String> phone = sealer.seal(session(1, "ann"));
        List<String> someoneElse = sealer.seal(session(1, "bob"));
        List<String> anonymous = sealer.seal(session(1, null));
        clock.advance(Duration.ofSeconds(1));
        sealer.revokeAll("ann");
        assertThat(sealer.open(laptop)).isEmpty();
        assertThat(sealer.open(phone)).isEmpty();
        assertThat(sealer.open(someoneElse)).isPresent();
        assertThat(sealer.open(anonymous)).isPresent();
        clock.advance(Duration.ofSeconds(1));
        assertThat(sealer.open(sealer.seal(session(1, "ann"))))
                .as("a login after it")
                .isPresent();
    }

    @Test
    void aNewPrimaryKey_stillOpensOldCookies_andRetiringTheOldKeyEndsThem() {
        SessionRecord r = session(2, null);
        List<String> oldCookie = sealer(KEYSET).seal(r);
        String rotated = SealedCookieSessions.rotate(KEYSET);
        SealedCookieSessions afterRotation = sealer(rotated);
        assertThat(afterRotation.open(oldCookie)).isPresent();
        List<String> newCookie = afterRotation.seal(r);
        assertThat(sealer(KEYSET).open(newCookie))
                .as("the old keyset lacks the new key")
                .isEmpty();
        SealedCookieSessions retired = sealer(SealedCookieSessions.retireOldKeys(rotated));
        assertThat(retired.open(oldCookie)).isEmpty();
        assertThat(retired.open(newCookie)).isPresent();
    }

    @Test
    void aSessionOverTheLimit_isRefusedNamingItsAttributes_orSpansChunksWhenAllowed() {
        SessionRecord big = withAttribute(session(2, null), "photo", randomBytes(5_000));
        assertThatThrownBy(() -> sealer(KEYSET).seal(big))
                .isInstanceOf(SessionTooLargeException.class)
                .hasMessageContaining("photo=5000 B")
                .hasMessageContaining("attr0=");

        SealedCookieSessions chunked = SealedCookieSessions.builder("SID")
                .keyset(KEYSET)
                .clock(clock)
                .maxCookies(3)
                .build();
        List<String> values = chunked.seal(big);
        assertThat(values).hasSize(2);
        assertThat(values).allSatisfy(v -> assertThat(v.length()).isLessThanOrEqualTo(4096 - 200));
        assertThat(chunked.open(values).orElseThrow().attributes().get("photo")).hasSize(5_000);
        assertThat(chunked.open(values.subList(0, 1))).as("a missing chunk").isEmpty();
        assertThat(chunked.open(List.of(values.get(0), values.get(0))))
                .as("a wrong chunk")
                .isEmpty();
        List<String> swapped = new ArrayList<>(values);
        swapped.set(1, values.get(1).substring(1) + values.get(1).charAt(0));
        assertThat(chunked.open(swapped)).isEmpty();
    }

    @Test
    void idleAndAbsoluteTimeouts_areEnforcedFromTheSealedTimes() {
        SealedCookieSessions sealer = sealer(KEYSET);
        List<String> values = sealer.seal(session(1, null));
        clock.advance(IDLE.minusSeconds(1));
        assertThat(sealer.open(values)).isPresent();
        clock.advance(Duration.ofSeconds(2));
        assertThat(sealer.open(values)).isEmpty();
        assertThat(sealer.stats().expired()).isEqualTo(1);

        SessionRecord r = session(1, null);
        SessionRecord active = r.apply(ChangeSet.builder(r.id(), r.createdAt(), r.absoluteDeadline())
                .accessedAt(r.createdAt().plus(ABSOLUTE).minusSeconds(5))
                .build());
        List<String> late = sealer.seal(active);
        clock.advance(Duration.between(clock.instant(), r.absoluteDeadline().plusSeconds(1)));
        assertThat(sealer.open(late))
                .as("past the absolute deadline, however active")
                .isEmpty();
    }

    @Test
    void withoutAKeyset_startUpFails_unlessInDemoMode() {
        assertThatThrownBy(() -> SealedCookieSessions.builder("SID").build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(SealedCookieSessions.KEYSET_VARIABLE);
        assertThatThrownBy(() -> SealedCookieSessions.builder("SID")
                        .keyset("{not a keyset")
                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not parse");
        SealedCookieSessions demo =
                SealedCookieSessions.builder("SID").demoMode(true).clock(clock).build();
        assertThat(demo.open(demo.seal(session(1, null)))).isPresent();
    }

    @Test
    void randomValues_neverOpen_andNeverThrow() {
        SealedCookieSessions sealer = sealer(KEYSET);
        Random random = new Random(42);
        for (int i = 0; i < 5_000; i++) {
            int length = random.nextInt(300);
            StringBuilder s = new StringBuilder(length);
            for (int j = 0; j < length; j++) {
                s.append(random.nextInt(4) == 0 ? (char) random.nextInt(0x3000) : BASE64URL.charAt(random.nextInt(64)));
            }
            if (random.nextBoolean()) {
                s.insert(0, "1.");
            }
            assertThat(sealer.open(List.of(s.toString()))).isEmpty();
        }
    }

    private static SessionRecord withAttribute(SessionRecord r, String name, byte[] value) {
        return r.apply(ChangeSet.builder(r.id(), r.createdAt(), r.absoluteDeadline())
                .set(name, value)
                .build());
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new Random(7).nextBytes(b);
        return b;
    }
}
