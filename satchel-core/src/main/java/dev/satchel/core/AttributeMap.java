package dev.satchel.core;

import dev.satchel.core.codec.AttributeCodec;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The immutable attribute map of a {@link SessionRecord}: names sorted in one array, values in
 * another, with a small open-addressed index. A save that only replaces values copies the value
 * array and shares names and index, instead of rebuilding a hash table, which is most of what a
 * save costs in the in-memory store. Thread-safe.
 */
final class AttributeMap extends AbstractMap<String, byte[]> {
    /**
     * Sessions of one application mostly carry the same attribute names. Sharing the names and the
     * lookup table between them (a few distinct sets, bounded) saves about 40 bytes a name and the
     * table per session: a third of a replicated session's heap in the cluster benchmark.
     */
    private static final ConcurrentHashMap<List<String>, Shape> SHAPES = new ConcurrentHashMap<>();

    private static final int MAX_SHAPES = 4096;

    // Declared before EMPTY, which is built through shape().
    static final AttributeMap EMPTY = new AttributeMap(new String[0], new byte[0][]);

    /** Values encoded larger than this are decoded afresh each time instead of memoised. */
    static final int MEMO_MAX_BYTES = 256;

    private final String[] names;
    private final byte[][] values;

    /**
     * Open-addressed index from name to position: {@code slots[h & mask]} holds position + 1, or 0
     * for empty. Shared, like {@code names}, by every version that keeps the same names.
     */
    private final int[] slots;

    /**
     * Decoded immutable values (strings, boxed numbers, booleans), filled on first read. Racy by
     * design, like {@code String.hash}: a reader sees null or a complete immutable object, and two
     * threads that decode the same bytes store equal values.
     */
    private final Object[] memo;

    private volatile AttributeCodec memoCodec;

    private AttributeMap(String[] names, int[] slots, byte[][] values, Object[] memo) {
        this.names = names;
        this.slots = slots;
        this.values = values;
        this.memo = memo;
    }

    private AttributeMap(String[] names, byte[][] values) {
        this(shape(names), values);
    }

    private AttributeMap(Shape shape, byte[][] values) {
        this(shape.names(), shape.slots(), values, new Object[values.length]);
    }

    /** A set of attribute names and its lookup table, shared by every session that has that set. */
    private record Shape(String[] names, int[] slots) {}

    private static Shape shape(String[] names) {
        Shape known = SHAPES.get(Arrays.asList(names));
        if (known != null) {
            return known;
        }
        String[] canonical = new String[names.length];
        for (int i = 0; i < names.length; i++) {
            canonical[i] = names[i].intern();
        }
        Shape made = new Shape(canonical, index(canonical));
        if (SHAPES.size() < MAX_SHAPES) {
            Shape raced = SHAPES.putIfAbsent(List.of(canonical), made);
            return raced == null ? made : raced;
        }
        return made;
    }

    private static int[] index(String[] names) {
        int capacity = Integer.highestOneBit(Math.max(2, names.length * 2 - 1)) << 1;
        int[] slots = new int[capacity];
        int mask = capacity - 1;
        for (int i = 0; i < names.length; i++) {
            int h = spread(names[i].hashCode()) & mask;
            while (slots[h] != 0) {
                h = (h + 1) & mask;
            }
            slots[h] = i + 1;
        }
        return slots;
    }

    private static int spread(int h) {
        return h ^ (h >>> 16);
    }

    /** Position of {@code name}, or -1. */
    private int indexOf(String name) {
        int mask = slots.length - 1;
        int h = spread(name.hashCode()) & mask;
        int at;
        while ((at = slots[h]) != 0) {
            if (names[at - 1].equals(name)) {
                return at - 1;
            }
            h = (h + 1) & mask;
        }
        return -1;
    }

    /**
     * Decodes one attribute, memoising immutable results for {@code codec}, so a session read on
     * every request is decoded once per version rather than once per request.
     */
    Optional<Object> decode(String name, AttributeCodec codec) {
        int at = indexOf(name);
        if (at < 0) {
            return Optional.empty();
        }
        AttributeCodec owner = memoCodec;
        if (owner == codec) {
            Object known = memo[at];
            if (known != null) {
                return Optional.of(known);
            }
        }
        Object value = codec.decode(name, values[at]);
        if (values[at].length <= MEMO_MAX_BYTES && isImmutable(value)) {
            if (owner == null) {
                memoCodec = codec;
                owner = codec;
            }
            if (owner == codec) {
                memo[at] = value;
            }
        }
        return Optional.of(value);
    }

    /** Values that no caller can change, so one instance may serve every request. */
    static boolean isImmutable(Object value) {
        return value instanceof String
                || value instanceof Integer
                || value instanceof Long
                || value instanceof Boolean
                || value instanceof Double;
    }

    /** Returns {@code map} itself if it is already an attribute map, else a sorted copy. */
    static AttributeMap copyOf(Map<String, byte[]> map) {
        if (map instanceof AttributeMap a) {
            return a;
        }
        if (map.isEmpty()) {
            return EMPTY;
        }
        String[] names = map.keySet().toArray(new String[0]);
        Arrays.sort(names);
        byte[][] values = new byte[names.length][];
        for (int i = 0; i < names.length; i++) {
            values[i] = Objects.requireNonNull(map.get(names[i]), "attribute value");
        }
        return new AttributeMap(names, values);
    }

    /** Returns a map with {@code removed} taken out and {@code set} put in. */
    AttributeMap with(Map<String, byte[]> set, Set<String> removed) {
        if (set.isEmpty() && removed.isEmpty()) {
            return this;
        }
        boolean onlyReplaces = removed.isEmpty();
        for (String name : set.keySet()) {
            if (!onlyReplaces) {
                break;
            }
            onlyReplaces = indexOf(name) >= 0;
        }
        if (onlyReplaces) {
            // The common save: same names, new values. The name array is shared, never copied, and
            // the decoded values of the slots that did not change stay memoised.
            byte[][] v = values.clone();
            Object[] m = memo.clone();
            for (Map.Entry<String, byte[]> e : set.entrySet()) {
                int at = indexOf(e.getKey());
                v[at] = e.getValue();
                m[at] = null;
            }
            AttributeMap next = new AttributeMap(names, slots, v, m);
            next.memoCodec = memoCodec;
            return next;
        }
        TreeMap<String, byte[]> merged = new TreeMap<>();
        for (int i = 0; i < names.length; i++) {
            if (!removed.contains(names[i])) {
                merged.put(names[i], values[i]);
            }
        }
        merged.putAll(set);
        return new AttributeMap(
                merged.keySet().toArray(new String[0]), merged.values().toArray(new byte[0][]));
    }

    @Override
    public byte[] get(Object key) {
        if (!(key instanceof String name)) {
            return null;
        }
        int at = indexOf(name);
        return at >= 0 ? values[at] : null;
    }

    @Override
    public boolean containsKey(Object key) {
        return key instanceof String name && indexOf(name) >= 0;
    }

    @Override
    public int size() {
        return names.length;
    }

    @Override
    public Set<Entry<String, byte[]>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, byte[]>> iterator() {
                return new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < names.length;
                    }

                    @Override
                    public Entry<String, byte[]> next() {
                        if (next >= names.length) {
                            throw new NoSuchElementException();
                        }
                        int i = next++;
                        return new SimpleImmutableEntry<>(names[i], values[i]);
                    }
                };
            }

            @Override
            public int size() {
                return names.length;
            }
        };
    }
}
