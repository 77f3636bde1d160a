package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ExpectedValue;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionId;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The wire form of a change set: everything survives the trip, and broken bytes are refused. */
class ChangeSetWireTest {

    private static byte[] write(ChangeSet c) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ChangeSetWire.write(c, new DataOutputStream(bytes));
        return bytes.toByteArray();
    }

    private static ChangeSet read(byte[] bytes) throws IOException {
        return ChangeSetWire.read(new DataInputStream(new ByteArrayInputStream(bytes)));
    }

    @Test
    void everyFieldSurvives_includingTimesBeforeCreation() throws IOException {
        SessionId id = SessionId.random();
        Instant created = Instant.parse("2026-11-21T10:00:00.123Z");
        ChangeSet c = ChangeSet.builder(id, created, created.plus(Duration.ofHours(8)))
                .created()
                .accessedAt(created.minusMillis(5)) // a clock step back: the delta is negative
                .maxInactiveInterval(Duration.ofMinutes(30))
                .principal(PrincipalChange.to("ada"))
                .set("cart", "x".repeat(300).getBytes(StandardCharsets.UTF_8))
                .set("é", new byte[0])
                .remove("old")
                .build();
        ChangeSet back = read(write(c));
        assertThat(back.id()).isEqualTo(id);
        assertThat(back.created()).isTrue();
        assertThat(back.createdAt()).isEqualTo(created);
        assertThat(back.absoluteDeadline()).isEqualTo(created.plus(Duration.ofHours(8)));
        assertThat(back.accessedAt()).contains(created.minusMillis(5));
        assertThat(back.maxInactiveInterval()).contains(Duration.ofMinutes(30));
        assertThat(back.principal().flatMap(PrincipalChange::name)).contains("ada");
        assertThat(back.setAttributes()).containsOnlyKeys("cart", "é");
        assertThat(back.setAttributes().get("cart")).hasSize(300);
        assertThat(back.removedAttributes()).containsExactly("old");
    }

    @Test
    void expectations_surviveTheTrip_valuesAndAbsences() throws IOException {
        Instant now = Instant.now();
        ChangeSet c = ChangeSet.builder(SessionId.random(), now, now.plus(Duration.ofHours(8)))
                .set("cart", new byte[] {1, 2, 3})
                .expect("cart", ExpectedValue.of(new byte[] {1, 2}))
                .expect("coupon", ExpectedValue.absent())
                .expect("empty", ExpectedValue.of(new byte[0]))
                .build();
        ChangeSet back = read(write(c));
        assertThat(back.expectations()).containsOnlyKeys("cart", "coupon", "empty");
        assertThat(back.expectations().get("cart").matches(java.util.Optional.of(new byte[] {1, 2})))
                .isTrue();
        assertThat(back.expectations().get("coupon").bytes()).isEmpty();
        assertThat(back.expectations().get("empty").bytes())
                .hasValueSatisfying(b -> assertThat(b).isEmpty());
        assertThat(back.setAttributes().get("cart")).containsExactly(1, 2, 3);
    }

    @Test
    void aPlainChangeSet_costsNoByteForExpectations_andStrippingKeepsTheChanges() throws IOException {
        Instant now = Instant.now();
        ChangeSet.Builder b = ChangeSet.builder(SessionId.random(), now, now.plus(Duration.ofHours(8)))
                .set("n", new byte[] {1});
        ChangeSet plain = b.build();
        ChangeSet conditional = b.expect("n", ExpectedValue.absent()).build();
        ChangeSet stripped = ChangeSetWire.withoutExpectations(conditional);
        assertThat(stripped.expectations()).isEmpty();
        assertThat(stripped.setAttributes()).containsOnlyKeys("n");
        assertThat(write(stripped)).isEqualTo(write(plain));
        assertThat(write(conditional).length).isGreaterThan(write(plain).length);
    }

    @Test
    void idsTravelAsTheirBytes() throws IOException {
        SessionId id = SessionId.random();
        SessionId previous = SessionId.random();
        Instant now = Instant.now();
        ChangeSet renamed = ChangeSet.builder(previous, now, now.plus(Duration.ofHours(1)))
                .changeId(id)
                .build();
        byte[] wire = write(renamed);
        ChangeSet back = read(wire);
        assertThat(back.id()).isEqualTo(id);
        assertThat(back.previousId()).contains(previous);
        assertThat(wire.length)
                .as("flags, two ids of 32 bytes, two times (6 and 4 bytes), two empty counts")
                .isLessThanOrEqualTo(1 + 32 + 32 + 6 + 4 + 2);
    }

    @Test
    void aOneAttributeChange_isSmall() throws IOException {
        Instant now = Instant.now();
        ChangeSet c = ChangeSet.builder(SessionId.random(), now, now.plus(Duration.ofHours(8)))
                .accessedAt(now.plusSeconds(90))
                .set("n", new byte[] {1})
                .build();
        // the 43-character id and its length byte, flags, three times as varints, one attribute
        assertThat(write(c).length).isLessThanOrEqualTo(44 + 1 + 7 + 4 + 4 + 1 + 2 + 2 + 1);
    }

    @Test
    void varLongs_roundTrip_atTheEdges() throws IOException {
        for (long v :
                new long[] {0, 1, 127, 128, 16_383, 16_384, Integer.MAX_VALUE, Long.MAX_VALUE, -1, Long.MIN_VALUE}) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ChangeSetWire.writeVarLong(new DataOutputStream(bytes), v);
            assertThat(ChangeSetWire.readVarLong(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))))
                    .as("%d", v)
                    .isEqualTo(v);
        }
    }

    @Test
    void truncatedOrHostileBytes_areAnIOException_neverAHugeAllocation() throws IOException {
        Instant now = Instant.now();
        byte[] good = write(ChangeSet.builder(SessionId.random(), now, now.plusSeconds(60))
                .set("a", new byte[] {7})
                .build());
        for (int cut = 0; cut < good.length; cut++) {
            byte[] truncated = java.util.Arrays.copyOf(good, cut);
            assertThatThrownBy(() -> read(truncated)).isInstanceOf(IOException.class);
        }
        byte[] endless = new byte[12];
        java.util.Arrays.fill(endless, (byte) 0xFF);
        assertThatThrownBy(() -> ChangeSetWire.readVarLong(new DataInputStream(new ByteArrayInputStream(endless))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("malformed");
    }
}
