package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionEvent;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore.SaveOutcome;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The primary-backup store's messages survive the trip, each read back as it was written. */
class PrimaryBackupWireTest {
    private static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");

    private static SessionRecord session(String cart) {
        return SessionRecord.create(ChangeSet.builder(SessionId.random(), NOW, NOW.plus(Duration.ofHours(8)))
                .created()
                .accessedAt(NOW)
                .maxInactiveInterval(Duration.ofMinutes(30))
                .set("cart", cart.getBytes(StandardCharsets.UTF_8))
                .build());
    }

    @Test
    void aRequestAboutOneSession_carriesItsKindAndId() throws IOException {
        SessionId id = SessionId.random();
        DataInputStream in = ClusterChannel.in(PrimaryBackupWire.about(PrimaryBackupWire.TAKE, id));
        assertThat(in.readByte()).isEqualTo(PrimaryBackupWire.TAKE);
        assertThat(ChangeSetWire.readId(in)).isEqualTo(id);
        assertThat(in.available()).isZero();
    }

    @Test
    void copies_carryTheViewTheyWereSentIn_andEveryCopyAndTombstone() throws IOException {
        SessionRecord live = session("2 items");
        Copy tombstone = Copy.tombstone(SessionId.random(), 42, NOW.plus(Duration.ofMinutes(2)));
        DataInputStream in = ClusterChannel.in(PrimaryBackupWire.copies(7, List.of(Copy.live(live, 41), tombstone)));
        assertThat(in.readByte()).isEqualTo(PrimaryBackupWire.COPIES);
        assertThat(ChangeSetWire.readVarLong(in)).isEqualTo(7);
        List<Copy> back = CopyWire.readAll(in);
        assertThat(back).hasSize(2);
        assertThat(back.get(0).stamp()).isEqualTo(41);
        assertThat(back.get(0).record().orElseThrow().attributes().get("cart"))
                .isEqualTo("2 items".getBytes(StandardCharsets.UTF_8));
        assertThat(back.get(1)).isEqualTo(tombstone);
    }

    @Test
    void anExpiry_carriesTheLastState_orNone() throws IOException {
        SessionRecord last = session("1 item");
        for (Optional<SessionRecord> state : List.of(Optional.of(last), Optional.<SessionRecord>empty())) {
            DataInputStream in = ClusterChannel.in(
                    PrimaryBackupWire.expired(new SessionEvent(SessionEvent.Type.EXPIRED, last.id(), state)));
            assertThat(in.readByte()).isEqualTo(PrimaryBackupWire.EXPIRED);
            SessionEvent back = PrimaryBackupWire.readExpired(in);
            assertThat(back.type()).isEqualTo(SessionEvent.Type.EXPIRED);
            assertThat(back.id()).isEqualTo(last.id());
            assertThat(back.lastState().map(r -> r.attributes().keySet()))
                    .isEqualTo(state.map(r -> r.attributes().keySet()));
        }
    }

    @Test
    void anAnswerOfOneCopy_orOfNone() throws IOException {
        SessionRecord live = session("3 items");
        assertThat(CopyWire.readAnswer(CopyWire.answer(Optional.of(Copy.live(live, 9)))))
                .hasValueSatisfying(c -> {
                    assertThat(c.id()).isEqualTo(live.id());
                    assertThat(c.stamp()).isEqualTo(9);
                    assertThat(c.record().orElseThrow().version()).isEqualTo(live.version());
                });
        assertThat(CopyWire.answer(Optional.empty())).isEmpty();
        assertThat(CopyWire.readAnswer(new byte[0])).isEmpty();
        assertThat(CopyWire.readAnswer(null)).isEmpty();
    }

    @Test
    void aSearchAnswer_holdsEverySession() throws IOException {
        List<Copy> found = List.of(Copy.live(session("a"), 0), Copy.live(session("b"), 0));
        assertThat(CopyWire.readAll(ClusterChannel.in(PrimaryBackupWire.answer(found))))
                .extracting(Copy::id)
                .containsExactly(found.get(0).id(), found.get(1).id());
    }

    @Test
    void aSaveAnswer_isItsOutcome_orARefusalWhereATombstoneDecided() {
        assertThat(PrimaryBackupWire.saveAnswer(SaveOutcome.UPDATED, false))
                .isEqualTo((byte) SaveOutcome.UPDATED.ordinal());
        assertThat(PrimaryBackupWire.saveAnswer(SaveOutcome.GONE, false)).isEqualTo((byte) SaveOutcome.GONE.ordinal());
        assertThat(PrimaryBackupWire.saveAnswer(SaveOutcome.GONE, true)).isEqualTo(PrimaryBackupWire.REFUSED);
        assertThat(PendingSave.outcome(PrimaryBackupWire.HELD, PrimaryBackupWire.HELD))
                .isEmpty();
    }
}
