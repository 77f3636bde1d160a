package dev.satchel.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CartCheckerTest {
    private final CartChecker checker = new CartChecker();

    private static CartState cart(long version, Object... skuQty) {
        Map<String, Integer> items = new java.util.TreeMap<>();
        for (int i = 0; i < skuQty.length; i += 2) {
            items.put((String) skuQty[i], (Integer) skuQty[i + 1]);
        }
        return new CartState(items, version);
    }

    private static Optional<AnomalyKind> kind(Optional<CartChecker.Finding> f) {
        return f.map(CartChecker.Finding::kind);
    }

    @Test
    void aCorrectHistoryPasses() {
        assertThat(checker.written(CartChange.add("HAT", 1), cart(1, "HAT", 1))).isEmpty();
        assertThat(checker.written(CartChange.add("MUG", 2), cart(2, "HAT", 1, "MUG", 2)))
                .isEmpty();
        assertThat(checker.read(cart(2, "HAT", 1, "MUG", 2))).isEmpty();
        assertThat(checker.written(CartChange.remove("HAT"), cart(3, "MUG", 2))).isEmpty();
        assertThat(checker.written(CartChange.remove("HAT"), cart(3, "MUG", 2))).isEmpty(); // absent: no change
        assertThat(checker.read(cart(3, "MUG", 2))).isEmpty();
        checker.loggedOut();
        assertThat(checker.read(CartState.EMPTY)).isEmpty();
        assertThat(checker.written(CartChange.add("MAP", 1), cart(1, "MAP", 1))).isEmpty();
    }

    @Test
    void aWriteMissingFromALaterReadIsALostWrite() {
        checker.written(CartChange.add("HAT", 1), cart(1, "HAT", 1));
        checker.written(CartChange.add("MUG", 1), cart(2, "HAT", 1, "MUG", 1));
        // Version 2 but without the mug: not any state the shopper was told about.
        assertThat(kind(checker.read(cart(2, "HAT", 1)))).contains(AnomalyKind.LOST_WRITE);
        // Counted once: the model now holds what the shop shows.
        assertThat(checker.read(cart(2, "HAT", 1))).isEmpty();
    }

    @Test
    void aWriteAppliedOnAnOlderCopyLosesTheNewerOne() {
        checker.written(CartChange.add("HAT", 1), cart(1, "HAT", 1));
        checker.written(CartChange.add("MUG", 1), cart(2, "HAT", 1, "MUG", 1));
        assertThat(kind(checker.written(CartChange.add("MAP", 1), cart(2, "HAT", 1, "MAP", 1))))
                .contains(AnomalyKind.LOST_WRITE);
    }

    @Test
    void anOlderAcknowledgedCartIsAStaleRead() {
        checker.written(CartChange.add("HAT", 1), cart(1, "HAT", 1));
        checker.written(CartChange.add("MUG", 1), cart(2, "HAT", 1, "MUG", 1));
        assertThat(kind(checker.read(cart(1, "HAT", 1)))).contains(AnomalyKind.STALE_READ);
        // Still stale when read again: the model kept the acknowledged cart.
        assertThat(kind(checker.read(cart(1, "HAT", 1)))).contains(AnomalyKind.STALE_READ);
        assertThat(checker.read(cart(2, "HAT", 1, "MUG", 1))).isEmpty();
    }

    @Test
    void aNewCartWithoutALogoutIsALostSession() {
        checker.written(CartChange.add("HAT", 1), cart(1, "HAT", 1));
        assertThat(kind(checker.read(CartState.EMPTY))).contains(AnomalyKind.LOST_SESSION);
    }

    @Test
    void aWriteAnsweredOnAFreshSessionIsALostSession() {
        checker.written(CartChange.add("HAT", 1), cart(1, "HAT", 1));
        checker.written(CartChange.add("MUG", 1), cart(2, "HAT", 1, "MUG", 1));
        assertThat(kind(checker.written(CartChange.add("MAP", 1), cart(1, "MAP", 1))))
                .contains(AnomalyKind.LOST_SESSION);
        assertThat(kind(checker.written(CartChange.remove("MAP"), CartState.EMPTY)))
                .contains(AnomalyKind.LOST_SESSION);
    }

    @Test
    void aWriteOfUnknownOutcomeMayHaveAppliedOrNot() {
        checker.written(CartChange.add("HAT", 1), cart(1, "HAT", 1));
        checker.unknownOutcome(CartChange.add("MUG", 1));
        assertThat(checker.read(cart(2, "HAT", 1, "MUG", 1))).isEmpty(); // it applied
        checker.unknownOutcome(CartChange.add("MAP", 1));
        assertThat(checker.read(cart(2, "HAT", 1, "MUG", 1))).isEmpty(); // it did not
        checker.unknownOutcome(CartChange.add("MAP", 1));
        assertThat(checker.written(CartChange.add("HAT", 1), cart(4, "HAT", 2, "MUG", 1, "MAP", 1)))
                .isEmpty(); // applied, then the next write built on it
    }

    /**
     * Seen in the lab when Redis was killed: an add answered 503 had applied, the removal after it,
     * also 503, had not. Any subset of the unknown writes may have applied, not only all or none.
     */
    @Test
    void anySubsetOfSeveralUnknownWritesMayHaveApplied() {
        checker.written(CartChange.add("SOCKS", 1), cart(1, "SOCKS", 1));
        checker.unknownOutcome(CartChange.add("MAP", 2));
        checker.unknownOutcome(CartChange.remove("SOCKS"));
        assertThat(checker.read(cart(2, "MAP", 2, "SOCKS", 1))).isEmpty(); // the first applied, the second not

        CartChecker other = new CartChecker();
        other.written(CartChange.add("SOCKS", 1), cart(1, "SOCKS", 1));
        other.unknownOutcome(CartChange.add("MAP", 2));
        other.unknownOutcome(CartChange.remove("SOCKS"));
        assertThat(other.read(cart(2, "SOCKS", 1, "HAT", 1)))
                .as("a cart no subset of the unknown writes explains")
                .hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(AnomalyKind.LOST_WRITE));
    }

    @Test
    void aCookieFromBeforeALogoutMustOpenNothing() {
        CartState before = cart(2, "HAT", 1);
        assertThat(CartChecker.replayedAfterLogout(CartState.EMPTY, before)).isEmpty();
        assertThat(kind(CartChecker.replayedAfterLogout(before, before))).contains(AnomalyKind.RESURRECTED);
    }

    @Test
    void theShopsJsonParsesAndBadBodiesAreRefused() throws Exception {
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        assertThat(CartState.fromJson(mapper.readTree(
                        "{\"items\":[{\"sku\":\"HAT\",\"qty\":2},{\"sku\":\"MUG\",\"qty\":1}],\"version\":3}")))
                .isEqualTo(cart(3, "HAT", 2, "MUG", 1));
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> CartState.fromJson(mapper.readTree("{\"error\":\"x\"}")))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() ->
                        CartState.fromJson(mapper.readTree("{\"items\":[{\"sku\":\"HAT\",\"qty\":0}],\"version\":1}")))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
