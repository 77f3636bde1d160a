package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.SessionDataException;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Keys, the hash's fields, and reading a hash back, without a server. */
class HashLayoutTest {
    private final HashLayout layout = new HashLayout("app:");
    private final SessionId id = SessionId.random();

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static Map<String, byte[]> hash() {
        Map<String, byte[]> hash = new HashMap<>();
        hash.put("_c", ascii("1000"));
        hash.put("_a", ascii("2000"));
        hash.put("_i", ascii("1800000"));
        hash.put("_d", ascii("9000"));
        hash.put("_v", ascii("7"));
        hash.put("_p", "zoë".getBytes(StandardCharsets.UTF_8));
        hash.put("a:cart", new byte[] {1, 2});
        hash.put("a:a:b", new byte[] {3});
        return hash;
    }

    @Test
    void everyKeyOfASession_carriesItsIdAsHashTag_andTheIndexItsOwner() {
        assertThat(layout.key(id)).isEqualTo("app:s:{" + id.value() + "}");
        assertThat(layout.indexKey("ann")).isEqualTo("app:p:{ann}");
        assertThat(layout.indexKey("ann")).startsWith(layout.indexPrefix());
    }

    @Test
    void aSessionKey_readsBackAsItsId_andOtherKeysAsNone() {
        assertThat(layout.idOf(layout.key(id))).contains(id);
        assertThat(layout.idOf("other:s:{" + id.value() + "}")).isEmpty();
        assertThat(layout.idOf(layout.indexKey("ann"))).isEmpty();
        assertThat(layout.idOf("app:s:{not an id}")).isEmpty();
    }

    @Test
    void aHash_decodesToItsRecord_attributesWithoutTheirPrefix() {
        SessionRecord r = layout.decode(id, hash());
        assertThat(r.createdAt()).isEqualTo(Instant.ofEpochMilli(1000));
        assertThat(r.lastAccessedAt()).isEqualTo(Instant.ofEpochMilli(2000));
        assertThat(r.maxInactiveInterval()).isEqualTo(Duration.ofMinutes(30));
        assertThat(r.absoluteDeadline()).isEqualTo(Instant.ofEpochMilli(9000));
        assertThat(r.version()).isEqualTo(7);
        assertThat(r.principal()).contains("zoë");
        assertThat(r.attributes()).containsOnlyKeys("cart", "a:b");
    }

    @Test
    void aHashMissingAMetadataField_isUnreadable_forThatSession() {
        Map<String, byte[]> broken = hash();
        broken.remove("_v");
        assertThatThrownBy(() -> layout.decode(id, broken))
                .isInstanceOf(SessionDataException.class)
                .satisfies(
                        e -> assertThat(((SessionDataException) e).sessionId()).contains(id));
        Map<String, byte[]> notANumber = hash();
        notANumber.put("_a", ascii("soon"));
        assertThatThrownBy(() -> layout.decode(id, notANumber)).isInstanceOf(SessionDataException.class);
    }

    @Test
    void aVersionField_readsAsANumber_andAMissingOneAsNone() {
        assertThat(HashLayout.version(ascii("12"))).contains(12L);
        assertThat(HashLayout.version(null)).isEmpty();
    }

    @Test
    void aScriptsFlatAnswer_readsAsAMap() {
        Map<String, byte[]> map = HashLayout.pairs(List.of(ascii("_v"), ascii("1"), ascii("a:x"), new byte[] {9}));
        assertThat(map).containsOnlyKeys("_v", "a:x");
        assertThat(map.get("a:x")).containsExactly(9);
    }

    @Test
    void aPrefixWithABrace_isRefused_sinceItWouldMoveTheHashTag() {
        assertThatThrownBy(() -> HashLayout.requireValidPrefix("a{b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> HashLayout.requireValidPrefix(null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(HashLayout.requireValidPrefix("")).isEmpty();
        assertThat(Optional.of(new HashLayout("").key(id))).contains("s:{" + id.value() + "}");
    }
}
