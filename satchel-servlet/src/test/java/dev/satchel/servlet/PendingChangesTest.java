package dev.satchel.servlet;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class PendingChangesTest {
    private static final Instant CREATED = Instant.parse("2026-03-01T09:00:00Z");
    private static final Instant DEADLINE = CREATED.plus(Duration.ofHours(8));
    private static final Instant NOW = CREATED.plus(Duration.ofMinutes(5));
    private static final Duration IDLE = Duration.ofMinutes(30);
    private static final String PRINCIPAL = SatchelSessions.PRINCIPAL_ATTRIBUTE;
    /** For modes that never ask for fresh bytes: asking fails the test. */
    private static final Function<String, byte[]> NOT_ASKED = name -> {
        throw new AssertionError("fresh bytes asked for " + name);
    };

    private final SessionId id = SessionId.random();

    private static byte[] bytes(String s) {
        return s.getBytes(UTF_8);
    }

    private SessionRecord record(Map<String, byte[]> attributes) {
        return new SessionRecord(id, CREATED, CREATED, IDLE, DEADLINE, attributes, Optional.empty(), 3);
    }

    private PendingChanges stored(Map<String, byte[]> attributes) {
        return PendingChanges.stored(record(attributes), SaveMode.ON_SET_ATTRIBUTE, false);
    }

    @Test
    void anUntouchedStoredSessionSavesNothing() {
        ChangeSet changes = stored(Map.of("cart", bytes("a"))).changes(NOW, NOT_ASKED);

        assertThat(changes.isEmpty()).isTrue();
        assertThat(changes.id()).isEqualTo(id);
    }

    @Test
    void aDueTouchSavesOnlyTheAccessTime() {
        PendingChanges pending = PendingChanges.stored(record(Map.of()), SaveMode.ON_SET_ATTRIBUTE, true);

        ChangeSet changes = pending.changes(NOW, NOT_ASKED);

        assertThat(changes.accessedAt()).contains(NOW);
        assertThat(changes.setAttributes()).isEmpty();
        assertThat(changes.maxInactiveInterval()).isEmpty();
    }

    @Test
    void aNewSessionIsCreatedWithItsIdleTimeoutAndAttributes() {
        PendingChanges pending = PendingChanges.created(id, CREATED, DEADLINE, IDLE, SaveMode.ON_SET_ATTRIBUTE);
        pending.set("cart", "a", bytes("a"));

        ChangeSet changes = pending.changes(NOW, NOT_ASKED);

        assertThat(changes.created()).isTrue();
        assertThat(changes.id()).isEqualTo(id);
        assertThat(changes.previousId()).isEmpty();
        assertThat(changes.accessedAt()).contains(NOW);
        assertThat(changes.maxInactiveInterval()).contains(IDLE);
        assertThat(changes.createdAt()).isEqualTo(CREATED);
        assertThat(changes.absoluteDeadline()).isEqualTo(DEADLINE);
        assertThat(changes.setAttributes()).containsOnlyKeys("cart");
    }

    @Test
    void setThenRemoveOfANewAttributeSavesNoRemoval() {
        PendingChanges pending = stored(Map.of());
        pending.set("cart", "a", bytes("a"));
        pending.remove("cart");

        ChangeSet changes = pending.changes(NOW, NOT_ASKED);

        assertThat(pending.exists("cart")).isFalse();
        assertThat(changes.setAttributes()).isEmpty();
        // Nothing stored, so nothing to remove; the store is not asked to delete a missing field.
        assertThat(changes.removedAttributes()).isEmpty();
        assertThat(changes.isEmpty()).isTrue();
    }

    @Test
    void setThenRemoveOfAStoredAttributeSavesTheRemoval() {
        PendingChanges pending = stored(Map.of("cart", bytes("old")));
        pending.set("cart", "new", bytes("new"));
        pending.remove("cart");

        ChangeSet changes = pending.changes(NOW, NOT_ASKED);

        assertThat(changes.setAttributes()).isEmpty();
        assertThat(changes.removedAttributes()).containsExactly("cart");
        assertThat(changes.accessedAt()).as("a write carries the access time").contains(NOW);
        assertThat(pending.names()).isEmpty();
    }

    @Test
    void removeThenSetSavesTheNewValueAndNoRemoval() {
        PendingChanges pending = stored(Map.of("cart", bytes("old")));
        pending.remove("cart");
        assertThat(pending.isRemoved("cart")).isTrue();

        pending.set("cart", "new", bytes("new"));
        ChangeSet changes = pending.changes(NOW, NOT_ASKED);

        assertThat(pending.isRemoved("cart")).isFalse();
        assertThat(pending.currentBytes("cart")).isEqualTo(bytes("new"));
        assertThat(pending.storedBytes("cart")).isEqualTo(bytes("old"));
        assertThat(changes.removedAttributes()).isEmpty();
        assertThat(changes.setAttributes()).containsOnlyKeys("cart");
        assertThat(changes.setAttributes().get("cart")).isEqualTo(bytes("new"));
    }

    @Test
    void settingTheStoredValueAgainIsStillSaved() {
        // Equal bytes are written anyway: the value may have changed in place, and comparing costs more.
        PendingChanges pending = stored(Map.of("cart", bytes("a")));
        pending.set("cart", "a", bytes("a"));

        ChangeSet changes = pending.changes(NOW, NOT_ASKED);

        assertThat(changes.setAttributes()).containsOnlyKeys("cart");
        assertThat(changes.setAttributes().get("cart")).isEqualTo(bytes("a"));
        assertThat(changes.accessedAt()).contains(NOW);
    }

    @Test
    void settingTwiceSavesTheLastValue() {
        PendingChanges pending = stored(Map.of());
        pending.set("cart", "a", bytes("a"));
        pending.set("cart", "b", bytes("b"));

        assertThat(pending.changes(NOW, NOT_ASKED).setAttributes().get("cart")).isEqualTo(bytes("b"));
    }

    @Test
    void namesAreStoredOnesPlusSetMinusRemoved() {
        PendingChanges pending = stored(Map.of("a", bytes("1"), "b", bytes("2")));
        pending.remove("a");
        pending.set("c", "3", bytes("3"));

        assertThat(pending.names()).containsExactlyInAnyOrder("b", "c");
        assertThat(pending.exists("a")).isFalse();
        assertThat(pending.exists("b")).isTrue();
        assertThat(pending.exists("c")).isTrue();
    }

    @Test
    void invalidationCarriesTheStoredIdAndNothingElsePending() {
        PendingChanges pending = stored(Map.of("cart", bytes("a")));
        pending.set("other", "x", bytes("x"));
        pending.set(PRINCIPAL, "alice", bytes("alice"));
        pending.maxInactive(Duration.ofMinutes(1));
        pending.changeId(SessionId.random());

        ChangeSet end = pending.invalidation();

        assertThat(end.invalidated()).isTrue();
        assertThat(end.id()).as("the store knows the session by its stored id").isEqualTo(id);
        assertThat(end.previousId()).isEmpty();
        assertThat(end.setAttributes()).isEmpty();
        assertThat(end.removedAttributes()).isEmpty();
        assertThat(end.principal()).isEmpty();
        assertThat(end.maxInactiveInterval()).isEmpty();
        assertThat(end.accessedAt()).isEmpty();
    }

    @Test
    void settingThePrincipalAttributeChangesThePrincipal() {
        PendingChanges pending = stored(Map.of());
        pending.set(PRINCIPAL, "alice", bytes("alice"));

        ChangeSet changes = pending.changes(NOW, NOT_ASKED);

        assertThat(changes.principal()).contains(PrincipalChange.to("alice"));
        assertThat(changes.setAttributes()).containsOnlyKeys(PRINCIPAL);
    }

    @Test
    void removingThePrincipalAttributeClearsThePrincipal() {
        PendingChanges pending = stored(Map.of(PRINCIPAL, bytes("alice")));
        pending.remove(PRINCIPAL);

        ChangeSet changes = pending.changes(NOW, NOT_ASKED);

        assertThat(changes.principal()).contains(PrincipalChange.cleared());
        assertThat(changes.removedAttributes()).containsExactly(PRINCIPAL);
    }

    @Test
    void droppingAnUndecodablePrincipalLeavesThePrincipalAlone() {
        PendingChanges pending = stored(Map.of(PRINCIPAL, bytes("garbage")));
        pending.dropUndecodable(PRINCIPAL);

        ChangeSet changes = pending.changes(NOW, NOT_ASKED);

        assertThat(changes.removedAttributes()).containsExactly(PRINCIPAL);
        assertThat(changes.principal()).isEmpty();
    }

    @Test
    void anOtherAttributeLeavesThePrincipalAlone() {
        PendingChanges pending = stored(Map.of());
        pending.set("cart", "a", bytes("a"));

        assertThat(pending.changes(NOW, NOT_ASKED).principal()).isEmpty();
    }

    @Test
    void thePrincipalMustBeANonBlankString() {
        assertThatThrownBy(() -> PendingChanges.checkPrincipal(PRINCIPAL, " "))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(PRINCIPAL);
        assertThatThrownBy(() -> PendingChanges.checkPrincipal(PRINCIPAL, 42))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("java.lang.Integer");
        PendingChanges.checkPrincipal(PRINCIPAL, "alice");
        PendingChanges.checkPrincipal("cart", 42);
    }

    @Test
    void aNewIdleTimeoutIsSavedOnAStoredSession() {
        PendingChanges pending = stored(Map.of());
        pending.maxInactive(Duration.ofMinutes(1));

        ChangeSet changes = pending.changes(NOW, NOT_ASKED);

        assertThat(pending.maxInactive()).isEqualTo(Duration.ofMinutes(1));
        assertThat(changes.maxInactiveInterval()).contains(Duration.ofMinutes(1));
        assertThat(changes.accessedAt()).contains(NOW);
    }

    @Test
    void aNewIdOnAStoredSessionNamesTheOldOne() {
        PendingChanges pending = stored(Map.of());
        SessionId next = SessionId.random();
        pending.changeId(next);

        ChangeSet changes = pending.changes(NOW, NOT_ASKED);

        assertThat(pending.idChanged()).isTrue();
        assertThat(changes.id()).isEqualTo(next);
        assertThat(changes.previousId()).contains(id);
    }

    @Test
    void aNewIdOnANewSessionIsJustItsId() {
        PendingChanges pending = PendingChanges.created(id, CREATED, DEADLINE, IDLE, SaveMode.ON_SET_ATTRIBUTE);
        SessionId next = SessionId.random();
        pending.changeId(next);

        ChangeSet changes = pending.changes(NOW, NOT_ASKED);

        assertThat(pending.idChanged()).isFalse();
        assertThat(changes.id()).isEqualTo(next);
        assertThat(changes.previousId()).isEmpty();
    }

    @Test
    void onGetAttributeSavesWhatWasReadAsItIsNow() {
        PendingChanges pending = PendingChanges.stored(
                record(Map.of("cart", bytes("old"), "other", bytes("o"))), SaveMode.ON_GET_ATTRIBUTE, false);
        pending.read("cart");

        ChangeSet changes = pending.changes(NOW, name -> bytes("fresh " + name));

        assertThat(changes.setAttributes()).containsOnlyKeys("cart");
        assertThat(changes.setAttributes().get("cart")).isEqualTo(bytes("fresh cart"));
    }

    @Test
    void aReadCountsOnlyUnderOnGetAttribute() {
        PendingChanges pending = stored(Map.of("cart", bytes("a")));
        pending.read("cart");

        assertThat(pending.changes(NOW, NOT_ASKED).isEmpty()).isTrue();
    }

    @Test
    void alwaysSavesEveryStoredAttributeNotOtherwiseChanged() {
        PendingChanges pending = PendingChanges.stored(
                record(Map.of("a", bytes("1"), "b", bytes("2"), "c", bytes("3"))), SaveMode.ALWAYS, false);
        pending.set("a", "x", bytes("x"));
        pending.remove("b");

        ChangeSet changes = pending.changes(NOW, name -> bytes("fresh " + name));

        assertThat(changes.setAttributes()).containsOnlyKeys("a", "c");
        assertThat(changes.setAttributes().get("a")).isEqualTo(bytes("x"));
        assertThat(changes.setAttributes().get("c")).isEqualTo(bytes("fresh c"));
        assertThat(changes.removedAttributes()).containsExactly("b");
    }

    @Test
    void aSaveForgetsWhatWasPendingAndFoldsItIntoTheStoredAttributes() {
        PendingChanges pending = stored(Map.of("a", bytes("1"), "b", bytes("2")));
        pending.set("a", "x", bytes("x"));
        pending.remove("b");
        pending.set(PRINCIPAL, "alice", bytes("alice"));
        pending.maxInactive(Duration.ofMinutes(1));

        boolean replaced = pending.saved(pending.changes(NOW, NOT_ASKED), false);
        ChangeSet next = pending.changes(NOW.plusSeconds(1), NOT_ASKED);

        assertThat(replaced).isTrue();
        assertThat(next.isEmpty()).isTrue();
        assertThat(pending.storedBytes("a")).isEqualTo(bytes("x"));
        assertThat(pending.storedBytes("b")).isNull();
        assertThat(pending.names()).containsExactlyInAnyOrder("a", PRINCIPAL);
    }

    @Test
    void theLastSaveOfARequestSkipsTheMerge() {
        PendingChanges pending = stored(Map.of("a", bytes("1")));
        pending.set("a", "x", bytes("x"));

        boolean replaced = pending.saved(pending.changes(NOW, NOT_ASKED), true);

        assertThat(replaced).isFalse();
        assertThat(pending.storedBytes("a")).isEqualTo(bytes("1"));
    }

    @Test
    void afterTheFirstSaveANewSessionIsStoredAndSavesNoCreation() {
        PendingChanges pending = PendingChanges.created(id, CREATED, DEADLINE, IDLE, SaveMode.ON_SET_ATTRIBUTE);
        pending.saved(pending.changes(NOW, NOT_ASKED), false);
        pending.set("cart", "a", bytes("a"));

        ChangeSet changes = pending.changes(NOW, NOT_ASKED);

        assertThat(pending.isStored()).isTrue();
        assertThat(changes.created()).isFalse();
        assertThat(changes.maxInactiveInterval()).isEmpty();
        assertThat(changes.setAttributes()).containsOnlyKeys("cart");
    }
}
