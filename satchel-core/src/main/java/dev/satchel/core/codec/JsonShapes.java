package dev.satchel.core.codec;

import java.util.Collection;
import java.util.Map;

/** Tells whether a collection holds only values that survive a JSON round trip unchanged in kind. */
final class JsonShapes {
    private static final int MAX_DEPTH = 32;

    private JsonShapes() {}

    static boolean isPlain(Object value) {
        return isPlain(value, 0);
    }

    private static boolean isPlain(Object value, int depth) {
        if (depth > MAX_DEPTH) {
            return false;
        }
        if (value == null
                || value instanceof String
                || value instanceof Integer
                || value instanceof Long
                || value instanceof Double
                || value instanceof Boolean) {
            return true;
        }
        if (value instanceof Collection<?> c) {
            for (Object element : c) {
                if (!isPlain(element, depth + 1)) {
                    return false;
                }
            }
            return true;
        }
        if (value instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String) || !isPlain(e.getValue(), depth + 1)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }
}
