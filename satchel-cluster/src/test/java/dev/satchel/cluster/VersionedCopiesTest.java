package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore.SaveOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The rules that keep copies right whatever order they arrive in, one node's side of them: a
 * late or stale copy never undoes a save, a deletion is never undone, and two nodes that see the
 * same two copies keep the same one.
 */
class VersionedCopiesTest {
    private static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");
    private final VersionedCopies here = new VersionedCopies(Clock.fixed(NOW, ZoneOffset.UTC));
    private final VersionedCopies there = new VersionedCopies(Clock.fixed(NOW, ZoneOffset.UTC));

    @AfterEach
    void close() {
        here.close();
        there.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static ChangeSet create(SessionId id, String cart) {
        return ChangeSet.builder(id, NOW, NOW.plus(Duration.ofHours(8)))
                .created()
                .accessedAt(NOW)
                .maxInactiveInterval(Duration.ofMinutes(30))
                .set("cart", bytes(cart))
                .build();
    }

    private static ChangeSet setCart(SessionId id, String cart) {
        return ChangeSet.builder(id, NOW, NOW.plus(Duration.ofHours(8)))
                .set("cart", bytes(cart))
                .build();
    }

    private static ChangeSet invalidate(SessionId id) {
        return ChangeSet.builder(id, Instant.EPOCH, Instant.EPOCH).invalidated().build();
    }

    private static String cart(Optional<SessionRecord> r) {
        return CartCopies.cart(r);
    }

    /** Issue 11 item 3: a copy read before a save and sent after it must not undo it. */
    @Test
    void aCopyOlderThanTheLastSave_isNotApplied() {
        SessionId id = SessionId.random();
        here.apply(create(id, "1 item"), here.nextStamp(id));
        here.apply(setCart(id, "2 items"), here.nextStamp(id));
        Copy late = here.copyOf(id).orElseThrow(); // "2 items", read now, sent later
        here.apply(setCart(id, "3 items"), here.nextStamp(id)); // acknowledged after the read

        assertThat(here.apply(late)).as("the late copy applied").isFalse();
        assertThat(cart(here.load(id))).isEqualTo("3 items");
    }

    /**
     * Issue 11 item 11: a copy sent in the background (a rebalance, a pass-on, a merge) travels
     * with JGroups' retransmission, so one lost with a replaced connection arrives late, after the
     * saves its sender made behind it, and after the whole copy a STALE answer fetched. It must
     * change nothing there.
     */
    @Test
    void aRetransmittedCopy_arrivingAfterTheSavesSentBehindIt_isNotApplied() {
        SessionId id = SessionId.random();
        here.apply(create(id, "1 item"), here.nextStamp(id));
        Copy lost = here.copyOf(id).orElseThrow(); // to the new replica; its connection is replaced
        long base = here.heldStampOf(id);
        long stamp = here.nextStamp(id);
        ChangeSet twoItems = setCart(id, "2 items");
        here.apply(twoItems, stamp);

        assertThat(there.applyIfCurrent(twoItems, stamp, base))
                .as("the save, at a replica still without its copy")
                .isEmpty(); // STALE: the sender repairs it with its whole copy
        assertThat(there.apply(here.copyOf(id).orElseThrow())).isTrue();
        there.applyIfCurrent(setCart(id, "3 items"), here.nextStamp(id), here.heldStampOf(id));

        assertThat(there.apply(lost)).as("the retransmitted copy applied").isFalse();
        assertThat(cart(there.load(id))).isEqualTo("3 items");
    }

    @Test
    void aNewerCopy_replacesTheHeldOne_attributesItNoLongerHasIncluded() {
        SessionId id = SessionId.random();
        here.apply(create(id, "1 item"), here.nextStamp(id));
        there.apply(create(id, "1 item"), 1);
        ChangeSet withCoupon = ChangeSet.builder(id, NOW, NOW.plus(Duration.ofHours(8)))
                .set("coupon", bytes("SAVE10"))
                .build();
        there.apply(withCoupon, 2);
        here.apply(
                ChangeSet.builder(id, NOW, NOW.plus(Duration.ofHours(8)))
                        .set("cart", bytes("2 items"))
                        .build(),
                here.nextStamp(id));

        assertThat(there.apply(here.copyOf(id).orElseThrow())).isTrue();
        assertThat(cart(there.load(id))).isEqualTo("2 items");
        assertThat(there.load(id).orElseThrow().attributes())
                .as("a whole copy replaces; it does not merge")
                .doesNotContainKey("coupon");
    }

    /** A logout on one side of a partition stands against a copy written later on the other. */
    @Test
    void aTombstone_beatsEveryLiveCopy_evenOneStampedLater() {
        SessionId id = SessionId.random();
        here.apply(create(id, "1 item"), 1);
        there.apply(create(id, "1 item"), 1);
        assertThat(here.apply(invalidate(id), 2)).isEqualTo(SaveOutcome.INVALIDATED);
        there.apply(setCart(id, "written on the other side, later"), Long.MAX_VALUE / 2);

        assertThat(here.apply(there.copyOf(id).orElseThrow()))
                .as("the later copy applied")
                .isFalse();
        assertThat(here.load(id)).isEmpty();
        assertThat(here.apply(setCart(id, "a save after the logout"), Long.MAX_VALUE / 2 + 1))
                .isEqualTo(SaveOutcome.GONE);
        assertThat(there.apply(here.copyOf(id).orElseThrow()))
                .as("the tombstone ends the other side's copy")
                .isTrue();
        assertThat(there.load(id)).isEmpty();
    }

    @Test
    void twoCopiesWithOneStamp_everyNodeKeepsTheSameOne() {
        SessionId id = SessionId.random();
        here.apply(create(id, "left"), 7);
        there.apply(create(id, "right"), 7);
        Copy left = here.copyOf(id).orElseThrow();
        Copy right = there.copyOf(id).orElseThrow();

        here.apply(right);
        there.apply(left);

        assertThat(cart(here.load(id))).isEqualTo(cart(there.load(id)));
    }

    /** Issue 11 item 14: of two id changes of one session, one gets it; a later save is refused. */
    @Test
    void take_givesTheSessionOnce_andLeavesATombstone() {
        SessionId id = SessionId.random();
        here.apply(create(id, "1 item"), here.nextStamp(id));

        assertThat(here.take(id)).map(r -> cart(Optional.of(r))).contains("1 item");
        assertThat(here.take(id)).as("a second rename of the same session").isEmpty();
        assertThat(here.apply(setCart(id, "2 items"), here.nextStamp(id))).isEqualTo(SaveOutcome.GONE);
        assertThat(here.buried(id)).isTrue();
    }

    /**
     * A replica back from a partition holds a copy that missed saves; a new save merged into it
     * would give the stale copy a fresh stamp, and it could then win over the up-to-date copies.
     * It answers "behind" instead, and applies nothing, until the sender's whole copy arrives.
     */
    @Test
    void aSaveMadeOnANewerCopyThanTheHeldOne_isNotMergedIntoIt() {
        SessionId id = SessionId.random();
        here.apply(create(id, "1 item"), 10); // the lone node's copy, from before the partition
        there.apply(create(id, "1 item"), 10);
        there.apply(setCart(id, "5 items"), 20); // written on the other side meanwhile
        long base = there.heldStampOf(id);
        ChangeSet coupon = ChangeSet.builder(id, NOW, NOW.plus(Duration.ofHours(8)))
                .set("coupon", bytes("SAVE10"))
                .build();
        long stamp = there.nextStamp(id);
        there.apply(coupon, stamp);

        assertThat(here.applyIfCurrent(coupon, stamp, base))
                .as("applied to a copy behind the base")
                .isEmpty();
        assertThat(cart(here.load(id))).isEqualTo("1 item");
        assertThat(here.apply(there.copyOf(id).orElseThrow()))
                .as("the whole copy that repairs it")
                .isTrue();
        assertThat(cart(here.load(id))).isEqualTo("5 items");
        assertThat(here.applyIfCurrent(setCart(id, "6 items"), there.nextStamp(id), there.heldStampOf(id)))
                .as("the next save, on a copy now current")
                .contains(SaveOutcome.UPDATED);
    }

    @Test
    void aSaveMadeOnAnOlderCopy_mergesIn_asTwoWritersDo() {
        SessionId id = SessionId.random();
        here.apply(create(id, "1 item"), 10);
        here.apply(setCart(id, "2 items"), 20); // another node's save landed first
        ChangeSet coupon = ChangeSet.builder(id, NOW, NOW.plus(Duration.ofHours(8)))
                .set("coupon", bytes("SAVE10"))
                .build();

        assertThat(here.applyIfCurrent(coupon, 21, 10)).contains(SaveOutcome.UPDATED);
        assertThat(here.load(id).orElseThrow().attributes()).containsKeys("cart", "coupon");
    }

    @Test
    void aSave_movesTheStampOnEvenWhenItsOwnIsOlder() {
        SessionId id = SessionId.random();
        here.apply(create(id, "1 item"), 100);
        here.apply(setCart(id, "2 items"), 50); // from a node whose clock lags
        Copy copy = here.copyOf(id).orElseThrow();

        assertThat(copy.stamp()).as("stamp after a lagging save").isEqualTo(101);
        assertThat(here.nextStamp(id)).isGreaterThan(101);
    }
}
