package dev.satchel.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SessionIdTest {

    @Test
    void random_is256BitsOfBase64Url() {
        SessionId id = SessionId.random();
        assertThat(id.value()).hasSize(43).matches("[A-Za-z0-9_-]{43}");
        assertThat(Base64.getUrlDecoder().decode(id.value())).hasSize(32);
    }

    @Test
    void random_doesNotRepeat() {
        Set<SessionId> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            assertThat(seen.add(SessionId.random())).isTrue();
        }
    }

    @Test
    void parse_withRoute_dropsRouteFromIdentity() {
        SessionId id = SessionId.random();
        assertThat(SessionId.parse(id.withRoute("node-1"))).contains(id);
        assertThat(SessionId.routeOf(id.withRoute("node-1"))).contains("node-1");
        assertThat(SessionId.routeOf(id.value())).isEmpty();
        assertThat(SessionId.parse(id.withRoute("node-2"))).isEqualTo(SessionId.parse(id.withRoute("node-1")));
    }

    @Test
    void parse_nonCanonicalLastCharacter_isRejected() {
        String value = SessionId.random().value();
        // 'B' carries a set low bit in the last sextet, which 256 bits can never produce.
        String forged = value.substring(0, 42) + "B";
        assertThat(SessionId.parse(forged)).isEmpty();
    }

    @Test
    void withRoute_rejectsRoutesThatCouldSmuggleCharacters() {
        SessionId id = SessionId.random();
        assertThatThrownBy(() -> id.withRoute("a;b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> id.withRoute("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> id.withRoute("x".repeat(33))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toString_neverPrintsTheWholeId() {
        SessionId id = SessionId.random();
        assertThat(id.toString()).doesNotContain(id.value());
    }
}
