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

    /**
     * Seen in the lab on a partition: an add timed out while its node was cut off, two reads on
     * the other side did not show it, and after the heal it was there. The request had waited in
     * TCP and was delivered when the link came back: an unknown write may still apply later.
     */
    @Test
    void anUnknownWriteMayApplyAfterReadsThatDidNotShowIt_once() {
        checker.written(CartChange.add("BAG", 3), cart(1, "BAG", 3));
        checker.unknownOutcome(CartChange.add("SHOES", 3));
        assertThat(checker.read(cart(1, "BAG", 3))).isEmpty();
        assertThat(checker.read(cart(1, "BAG", 3))).isEmpty();
        assertThat(checker.read(cart(2, "BAG", 3, "SHOES", 3))).isEmpty(); // applied late
        assertThat(kind(checker.read(cart(3, "BAG", 3, "SHOES", 6))))
                .as("a write applies once")
                .contains(AnomalyKind.LOST_WRITE);
    }

    /**
     * Also seen there, before the cut-off node refused saves: acknowledged writes made on the
     * majority side, then a cart from the cut-off side's older copy with only the late write in
     * it. Late writes are allowed on top of what was acknowledged, never in place of it.
     */
    @Test
    void aLateWriteOnAnOlderCopyInPlaceOfAcknowledgedOnesIsALostWrite() {
        checker.written(CartChange.add("BAG", 2), cart(1, "BAG", 2));
        checker.unknownOutcome(CartChange.add("MAP", 2));
        assertThat(checker.read(cart(1, "BAG", 2))).isEmpty();
        assertThat(checker.written(CartChange.remove("BAG"), cart(2))).isEmpty();
        assertThat(checker.written(CartChange.add("HAT", 3), cart(3, "HAT", 3))).isEmpty();
        assertThat(checker.read(cart(4, "HAT", 3, "MAP", 2)))
                .as("the late write on top")
                .isEmpty();

        CartChecker other = new CartChecker();
        other.written(CartChange.add("BAG", 2), cart(1, "BAG", 2));
        other.unknownOutcome(CartChange.add("MAP", 2));
        other.read(cart(1, "BAG", 2));
        other.written(CartChange.remove("BAG"), cart(2));
        other.written(CartChange.add("HAT", 3), cart(3, "HAT", 3));
        assertThat(kind(other.read(cart(2, "BAG", 2, "MAP", 2)))).contains(AnomalyKind.LOST_WRITE);
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

    @Test
    void aLoggedInSessionThatStillKnowsItsUserPasses() {
        checker.written(CartChange.add("HAT", 1), cart(1, "HAT", 1));
        checker.loggedIn("lab-shopper-1");
        assertThat(checker.whoAmI(200, Optional.of("lab-shopper-1"))).isEmpty();
        assertThat(checker.read(cart(1, "HAT", 1))).isEmpty(); // the login kept the cart
    }

    @Test
    void aLoggedInSessionThatAnswersUnauthorizedWasLostOnce() {
        checker.written(CartChange.add("HAT", 1), cart(1, "HAT", 1));
        checker.loggedIn("lab-shopper-1");
        Optional<CartChecker.Finding> found = checker.whoAmI(401, Optional.empty());
        assertThat(kind(found)).contains(AnomalyKind.LOST_SESSION);
        assertThat(found.get().detail()).contains("lab-shopper-1").contains("401");
        // The cart went with the session: its empty cart is not a second loss.
        assertThat(checker.read(CartState.EMPTY)).isEmpty();
        assertThat(checker.whoAmI(401, Optional.empty())).isEmpty();
    }

    @Test
    void aSessionThatAnswersAsAnotherUserWasLost() {
        checker.loggedIn("lab-shopper-1");
        assertThat(kind(checker.whoAmI(200, Optional.of("lab-shopper-2")))).contains(AnomalyKind.LOST_SESSION);
    }

    @Test
    void aSessionLostByItsCartIsNotLostAgainByItsLogin() {
        checker.written(CartChange.add("HAT", 1), cart(1, "HAT", 1));
        checker.loggedIn("lab-shopper-1");
        assertThat(kind(checker.read(CartState.EMPTY))).contains(AnomalyKind.LOST_SESSION);
        assertThat(checker.whoAmI(401, Optional.empty())).isEmpty();
    }

    @Test
    void anAnonymousOrLoggedOutSessionHasNoUserToLose() {
        assertThat(checker.whoAmI(401, Optional.empty())).isEmpty();
        checker.loggedIn("lab-shopper-1");
        checker.loggedOut();
        assertThat(checker.whoAmI(401, Optional.empty())).isEmpty();
    }

    @Test
    void aLoginWhoseAnswerNeverCameExplainsOneNewSession() {
        checker.written(CartChange.add("HAT", 1), cart(1, "HAT", 1));
        checker.loginUnknown(); // it may have moved the session to an id the shopper never got
        assertThat(checker.written(CartChange.remove("HAT"), CartState.EMPTY)).isEmpty();
        // Only that once: the new session is the model now, and losing it is a loss.
        assertThat(checker.written(CartChange.add("MUG", 1), cart(1, "MUG", 1))).isEmpty();
        assertThat(kind(checker.read(CartState.EMPTY))).contains(AnomalyKind.LOST_SESSION);
    }

    @Test
    void aLoginThatFailedButKeptTheOldSessionStillJudgesItsCart() {
        checker.written(CartChange.add("HAT", 1), cart(1, "HAT", 1));
        checker.loginUnknown();
        assertThat(checker.read(cart(1, "HAT", 1))).isEmpty();
        assertThat(kind(checker.read(cart(1, "MUG", 1)))).contains(AnomalyKind.LOST_WRITE);
    }

    @Test
    void aLoginAppliedLateExplainsANewSessionAfterTheOldOneAnsweredButOnlyOne() {
        // CI's partition run: the login timed out, the old id answered four more requests, then the
        // node finished the login, and the shopper's return met a new session
        checker.written(CartChange.add("HAT", 1), cart(1, "HAT", 1));
        checker.loginUnknown();
        assertThat(checker.written(CartChange.add("MUG", 1), cart(2, "HAT", 1, "MUG", 1)))
                .isEmpty();
        assertThat(checker.read(cart(2, "HAT", 1, "MUG", 1))).isEmpty();
        assertThat(checker.read(CartState.EMPTY)).isEmpty();
        assertThat(checker.written(CartChange.add("MAP", 1), cart(1, "MAP", 1))).isEmpty();
        assertThat(kind(checker.read(CartState.EMPTY))).contains(AnomalyKind.LOST_SESSION);
    }

    @Test
    void aLoginThatSucceedsAfterAnUnknownOneMakesANewSessionALossAgain() {
        checker.written(CartChange.add("HAT", 1), cart(1, "HAT", 1));
        checker.loginUnknown();
        checker.loggedIn("lab-shopper-1");
        assertThat(kind(checker.read(CartState.EMPTY))).contains(AnomalyKind.LOST_SESSION);
    }
}
