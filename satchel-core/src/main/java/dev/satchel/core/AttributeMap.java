package dev.satchel.core;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The immutable attribute map of a {@link SessionRecord}: names sorted in one array, values in
 * another. A save that changes one attribute copies two small arrays instead of rebuilding a hash
 * table, which is most of what a save costs in the in-memory store. Sessions hold a few dozen
 * attributes at most, so a binary search is as fast as hashing here. Thread-safe.
 */
final class AttributeMap extends AbstractMap<String, byte[]> {
    static final AttributeMap EMPTY = new AttributeMap(new String[0], new byte[0][]);

    private final String[] names;
    private final byte[][] values;

    private AttributeMap(String[] names, byte[][] values) {
        this.names = names;
        this.values = values;
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
            onlyReplaces = Arrays.binarySearch(names, name) >= 0;
        }
        if (onlyReplaces) {
            // The common save: same names, new values. The name array is shared, never copied.
            byte[][] v = values.clone();
            for (Map.Entry<String, byte[]> e : set.entrySet()) {
                v[Arrays.binarySearch(names, e.getKey())] = e.getValue();
            }
            return new AttributeMap(names, v);
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
        int at = Arrays.binarySearch(names, name);
        return at >= 0 ? values[at] : null;
    }

    @Override
    public boolean containsKey(Object key) {
        return key instanceof String name && Arrays.binarySearch(names, name) >= 0;
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
