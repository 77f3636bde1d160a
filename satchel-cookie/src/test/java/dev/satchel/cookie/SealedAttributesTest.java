package dev.satchel.cookie;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ConditionalSaveStore;
import dev.satchel.core.ObservableSessionStore;
import dev.satchel.core.PrincipalIndexedStore;
import dev.satchel.core.ReportingStore;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreContract;
import dev.satchel.core.memory.MemorySessionStore;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The whole store contract through the at-rest sealing, on the memory store; then what the store
 * underneath holds, and what happens to values that do not open.
 */
class SealedAttributesTest extends SessionStoreContract {
    private static final String KEYSET = SealedCookieSessions.generateKeyset();
    private MemorySessionStore underneath;

    @Override
    protected SessionStore createStore(Clock clock) {
        underneath = MemorySessionStore.builder()
                .clock(clock)
                .maxSessions(100)
                .sweepInterval(Duration.ZERO)
                .build();
        return SealedAttributes.wrap(underneath, KEYSET);
    }

    @Override
    protected void reclaimExpired(SessionStore store) {
        underneath.expireDue();
    }

    @Override
    protected boolean expectsConditionalSaves() {
        return true;
    }

    @Test
    void theWrapper_hasEveryCapabilityOfTheStore() {
        assertThat(store)
                .isInstanceOf(PrincipalIndexedStore.class)
                .isInstanceOf(ObservableSessionStore.class)
                .isInstanceOf(ConditionalSaveStore.class)
                .isInstanceOf(ReportingStore.class);
    }

    @Test
    void theStoreUnderneath_holdsNoPlaintext_andValuesAreBoundToTheirNames() {
        SessionRecord r = create(Map.of("card", "4111 1111 1111 1111", "name", "Ada"));
        assertThat(r.attributes().get("card")).asString(StandardCharsets.UTF_8).isEqualTo("4111 1111 1111 1111");
        SessionRecord raw = underneath.load(r.id()).orElseThrow();
        byte[] card = raw.attributes().get("card");
        assertThat(new String(card, StandardCharsets.ISO_8859_1)).doesNotContain("4111");
        assertThat(card.length).isGreaterThan("4111 1111 1111 1111".length() + 28); // nonce and tag
        // A value moved to another attribute's name does not open there: it is left out.
        underneath.save(change(raw).set("name", card).build());
        SessionRecord swapped = store.load(r.id()).orElseThrow();
        assertThat(swapped.attributes()).doesNotContainKey("name").containsKey("card");
        assertThat(((ReportingStore) store).counters()).containsEntry("unopenable_values", 1L);
    }

    @Test
    void aRotatedKeyset_opensWhatTheOldOneSealed_andRetiringTheOldKeyLosesOnlyThoseValues() {
        SessionRecord r = create(Map.of("cart", "3 hats"));
        String rotated = SealedCookieSessions.rotate(KEYSET);
        SessionStore withRotated = SealedAttributes.wrap(underneath, rotated);
        assertThat(withRotated.load(r.id()).orElseThrow().attributes().get("cart"))
                .asString(StandardCharsets.UTF_8)
                .isEqualTo("3 hats");
        withRotated.save(change(r)
                .set("fresh", "new key".getBytes(StandardCharsets.UTF_8))
                .build());
        SessionStore retired = SealedAttributes.wrap(underneath, SealedCookieSessions.retireOldKeys(rotated));
        SessionRecord after = retired.load(r.id()).orElseThrow();
        assertThat(after.attributes()).containsOnlyKeys("fresh");
    }

    @Test
    void aConditionalSave_comparesOpenedValues_evenThoughEverySealIsDifferent() {
        SessionRecord r = create(Map.of("count", "1"));
        ChangeSet ok = change(r)
                .expect("count", dev.satchel.core.ExpectedValue.of("1".getBytes(StandardCharsets.UTF_8)))
                .set("count", "2".getBytes(StandardCharsets.UTF_8))
                .build();
        assertThat(store.save(ok)).isEqualTo(SessionStore.SaveOutcome.UPDATED);
        ChangeSet stale = change(r)
                .expect("count", dev.satchel.core.ExpectedValue.of("1".getBytes(StandardCharsets.UTF_8)))
                .set("count", "9".getBytes(StandardCharsets.UTF_8))
                .build();
        assertThat(store.save(stale)).isEqualTo(SessionStore.SaveOutcome.CONFLICT);
        assertThat(store.load(r.id()).orElseThrow().attributes().get("count"))
                .asString(StandardCharsets.UTF_8)
                .isEqualTo("2");
    }

    @Test
    void aKeysetThatIsNotOne_isRefused() {
        assertThatThrownBy(() -> SealedAttributes.wrap(underneath, "{\"not\":\"a keyset\"}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at-rest keyset");
    }
}
