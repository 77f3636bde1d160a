package dev.satchel.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AttributeMapTest {

    @Test
    void with_behavesLikeAHashMap_overRandomChanges() {
        Random random = new Random(42);
        Map<String, byte[]> expected = new HashMap<>();
        AttributeMap actual = AttributeMap.EMPTY;
        for (int round = 0; round < 2_000; round++) {
            Map<String, byte[]> set = new HashMap<>();
            Set<String> removed = new HashSet<>();
            for (int k = random.nextInt(4); k > 0; k--) {
                set.put("k" + random.nextInt(30), new byte[] {(byte) round});
            }
            for (int k = random.nextInt(3); k > 0; k--) {
                String name = "k" + random.nextInt(30);
                if (!set.containsKey(name)) {
                    removed.add(name);
                }
            }
            expected.keySet().removeAll(removed);
            expected.putAll(set);
            actual = actual.with(set, removed);
            assertThat(actual).containsOnlyKeys(expected.keySet());
            for (Map.Entry<String, byte[]> e : expected.entrySet()) {
                assertThat(actual.get(e.getKey())).isSameAs(e.getValue());
            }
            assertThat(actual.get("absent")).isNull();
            assertThat(actual.get(42)).isNull();
        }
    }

    @Test
    void copyOf_sortsAndKeepsEveryEntry_andIsIdempotent() {
        Map<String, byte[]> source = Map.of("b", new byte[] {2}, "a", new byte[] {1}, "c", new byte[] {3});
        AttributeMap copy = AttributeMap.copyOf(source);
        assertThat(copy.keySet()).containsExactly("a", "b", "c");
        assertThat(AttributeMap.copyOf(copy)).isSameAs(copy);
        assertThat(copy).isEqualTo(AttributeMap.copyOf(new HashMap<>(source)));
    }
}
