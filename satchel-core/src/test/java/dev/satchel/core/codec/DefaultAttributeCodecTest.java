package dev.satchel.core.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.AttributeEncodingException;
import dev.satchel.core.SessionDataException;
import java.io.ByteArrayOutputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DefaultAttributeCodecTest {

    record Line(String sku, int qty) {}

    record Cart(List<Line> lines, long version, Instant updated) {}

    static final class Opaque implements Serializable {
        private static final long serialVersionUID = 1L;
        final String label;

        Opaque(String label) {
            this.label = label;
        }
    }

    private final DefaultAttributeCodec codec = DefaultAttributeCodec.defaults();

    private Object roundTrip(AttributeCodec c, Object value) {
        return c.decode("x", c.encode("x", value));
    }

    @Test
    void scalars_roundTripWithTheirTypes() {
        for (Object value : List.of("héllo", 42, 42L, true, 3.5, Long.MIN_VALUE, "")) {
            assertThat(roundTrip(codec, value)).isEqualTo(value).hasSameClassAs(value);
        }
        assertThat((byte[]) roundTrip(codec, new byte[] {1, 2, 3})).containsExactly(1, 2, 3);
    }

    @Test
    void collections_roundTripAsJson() {
        Map<String, Object> map = Map.of("a", List.of("x", 1, true), "b", Map.of("c", 2.5));
        assertThat(roundTrip(codec, map)).isEqualTo(map);
        assertThat(roundTrip(codec, List.of("a", "b"))).isEqualTo(List.of("a", "b"));
        assertThat(roundTrip(codec, Set.of("only"))).isEqualTo(Set.of("only"));
    }

    @Test
    void records_roundTripToTheirOwnClass() {
        Cart cart = new Cart(List.of(new Line("SKU-1", 2)), 7, Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(roundTrip(codec, cart)).isEqualTo(cart);
    }

    @Test
    void unsupportedType_isRejectedAtEncodeTime_namingAttributeAndType() {
        assertThatThrownBy(() -> codec.encode("thing", new Opaque("x")))
                .isInstanceOf(AttributeEncodingException.class)
                .hasMessageContaining("'thing'")
                .hasMessageContaining(Opaque.class.getName());
        assertThatThrownBy(() -> codec.encode("list", List.of(new Opaque("x"))))
                .isInstanceOf(AttributeEncodingException.class);
    }

    @Test
    void javaSerialization_whenEnabled_decodesOnlyAllowlistedClasses() {
        DefaultAttributeCodec allowing = DefaultAttributeCodec.builder()
                .javaSerialization(Opaque.class.getName())
                .build();
        Object back = roundTrip(allowing, new Opaque("kept"));
        assertThat(back).isInstanceOf(Opaque.class);
        assertThat(((Opaque) back).label).isEqualTo("kept");

        DefaultAttributeCodec other =
                DefaultAttributeCodec.builder().javaSerialization("java.lang.*").build();
        byte[] encoded = allowing.encode("x", new Opaque("gadget"));
        assertThatThrownBy(() -> other.decode("x", encoded)).isInstanceOf(SessionDataException.class);
        assertThatThrownBy(() -> codec.decode("x", encoded))
                .isInstanceOf(SessionDataException.class)
                .hasMessageContaining("disabled");
    }

    @Test
    void javaSerializedPayloadWithNonAllowlistedInnerClass_isRejected() throws Exception {
        DefaultAttributeCodec allowing = DefaultAttributeCodec.builder()
                .javaSerialization("java.util.ArrayList;java.lang.Object")
                .build();
        ArrayList<Object> smuggle = new ArrayList<>(List.of(new Opaque("inner")));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(Tag.JAVA);
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(smuggle);
        }
        assertThatThrownBy(() -> allowing.decode("x", bytes.toByteArray())).isInstanceOf(SessionDataException.class);
    }

    @Test
    void aValueTheAllowlistWouldRefuseOnReading_isRefusedOnWriting_namingTheClass() {
        // ArrayList reads its elements into an Object[], which the filter checks as java.lang.Object.
        DefaultAttributeCodec allowing = DefaultAttributeCodec.builder()
                .javaSerialization("java.util.ArrayList;java.lang.Object")
                .build();
        ArrayList<Object> holding = new ArrayList<>(List.of(new Opaque("inner")));
        assertThatThrownBy(() -> allowing.encode("basket", holding))
                .isInstanceOf(AttributeEncodingException.class)
                .hasMessageContaining("'basket'")
                .hasMessageContaining("holds " + Opaque.class.getName());
    }

    @Test
    void recordOfMissingClass_isADataErrorNotACrash() {
        byte[] name = "com.example.GoneAfterDeploy".getBytes(StandardCharsets.UTF_8);
        byte[] encoded = new byte[3 + name.length + 2];
        encoded[0] = Tag.RECORD;
        encoded[2] = (byte) name.length;
        System.arraycopy(name, 0, encoded, 3, name.length);
        encoded[encoded.length - 2] = '{';
        encoded[encoded.length - 1] = '}';
        assertThatThrownBy(() -> codec.decode("cart", encoded))
                .isInstanceOf(SessionDataException.class)
                .hasMessageContaining("no longer exists");
    }

    @Test
    void recordTagNamingANonRecordClass_isRefusedWithoutInstantiating() {
        byte[] name = "java.lang.ProcessBuilder".getBytes(StandardCharsets.UTF_8);
        byte[] encoded = new byte[3 + name.length + 2];
        encoded[0] = Tag.RECORD;
        encoded[2] = (byte) name.length;
        System.arraycopy(name, 0, encoded, 3, name.length);
        encoded[encoded.length - 2] = '{';
        encoded[encoded.length - 1] = '}';
        assertThatThrownBy(() -> codec.decode("x", encoded))
                .isInstanceOf(SessionDataException.class)
                .hasMessageContaining("not a permitted record");
    }

    @Test
    void recordPackages_restrictWhichRecordsDecode() {
        DefaultAttributeCodec strict =
                DefaultAttributeCodec.builder().recordPackages("com.example").build();
        byte[] encoded = codec.encode("line", new Line("A", 1));
        assertThatThrownBy(() -> strict.decode("line", encoded)).isInstanceOf(SessionDataException.class);
    }

    @Test
    void garbage_isADataErrorForEveryTagAndLength() {
        for (int tag = 0; tag < 16; tag++) {
            for (int length = 1; length < 12; length++) {
                byte[] garbage = new byte[length];
                Arrays.fill(garbage, (byte) 0x7f);
                garbage[0] = (byte) tag;
                try {
                    codec.decode("g", garbage);
                } catch (SessionDataException expected) {
                    // a clear, named failure is the only acceptable outcome besides a value
                }
            }
        }
        assertThatThrownBy(() -> codec.decode("g", new byte[0])).isInstanceOf(SessionDataException.class);
        assertThatThrownBy(() -> codec.decode("g", new byte[] {Tag.INT, 1})).isInstanceOf(SessionDataException.class);
    }
}
