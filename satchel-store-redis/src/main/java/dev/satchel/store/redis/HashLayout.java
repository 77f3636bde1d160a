package dev.satchel.store.redis;

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

/**
 * Where a session lives in Redis and how its hash reads back as a {@link SessionRecord}.
 *
 * <p>One hash per session, {@code <prefix>s:{<id>}}: metadata fields ({@code _c} created, {@code _a}
 * last access, {@code _i} idle timeout, {@code _d} absolute deadline, {@code _p} principal, {@code
 * _v} version, numbers in milliseconds as ASCII decimals) and one field {@code a:<name>} per
 * attribute. The {@code {id}} hash tag keeps every key of a session in one Cluster slot. The
 * principal index is a set per user, {@code <prefix>p:{<principal>}}. The scripts write the same
 * names; this class is their one reader on the Java side.
 */
final class HashLayout {
    static final String ATTRIBUTE = "a:";
    static final String CREATED = "_c";
    static final String ACCESSED = "_a";
    static final String IDLE = "_i";
    static final String DEADLINE = "_d";
    static final String PRINCIPAL = "_p";
    static final String VERSION = "_v";

    private final String prefix;

    HashLayout(String prefix) {
        this.prefix = requireValidPrefix(prefix);
    }

    /**
     * @return {@code prefix}, if it can start every key
     * @throws IllegalArgumentException if it is null or holds a brace, which would move the hash tag
     */
    static String requireValidPrefix(String prefix) {
        if (prefix == null || prefix.contains("{") || prefix.contains("}")) {
            throw new IllegalArgumentException("key prefix must not contain hash-tag braces: " + prefix);
        }
        return prefix;
    }

    /** The key of a session's hash. */
    String key(SessionId id) {
        return prefix + "s:{" + id.value() + "}";
    }

    /** The key of a user's set of session ids. */
    String indexKey(String principal) {
        return indexPrefix() + "{" + principal + "}";
    }

    /** What precedes {@code {principal}} in an index key; the scripts build index keys from it. */
    String indexPrefix() {
        return prefix + "p:";
    }

    /** The session a key names, if it is a session hash of this prefix (as expiry events report keys). */
    Optional<SessionId> idOf(String key) {
        String sessions = prefix + "s:{";
        if (!key.startsWith(sessions) || !key.endsWith("}")) {
            return Optional.empty();
        }
        return SessionId.parse(key.substring(sessions.length(), key.length() - 1));
    }

    /**
     * The session a hash holds.
     *
     * @throws SessionDataException if a metadata field is missing or not a number
     */
    SessionRecord decode(SessionId id, Map<String, byte[]> hash) {
        try {
            Map<String, byte[]> attributes = new HashMap<>();
            hash.forEach((field, value) -> {
                if (field.startsWith(ATTRIBUTE)) {
                    attributes.put(field.substring(ATTRIBUTE.length()), value);
                }
            });
            return new SessionRecord(
                    id,
                    Instant.ofEpochMilli(number(hash, CREATED)),
                    Instant.ofEpochMilli(number(hash, ACCESSED)),
                    Duration.ofMillis(number(hash, IDLE)),
                    Instant.ofEpochMilli(number(hash, DEADLINE)),
                    attributes,
                    Optional.ofNullable(hash.get(PRINCIPAL)).map(p -> new String(p, StandardCharsets.UTF_8)),
                    number(hash, VERSION));
        } catch (RuntimeException e) {
            throw new SessionDataException(id, "unreadable session hash in Redis", e);
        }
    }

    /** A version field's value, as {@code HGET <key> _v} answers it; empty if the hash has none. */
    static Optional<Long> version(byte[] field) {
        return Optional.ofNullable(field).map(v -> Long.parseLong(new String(v, StandardCharsets.US_ASCII)));
    }

    private static long number(Map<String, byte[]> hash, String field) {
        byte[] v = hash.get(field);
        if (v == null) {
            throw new IllegalArgumentException("field " + field + " is missing");
        }
        return Long.parseLong(new String(v, StandardCharsets.US_ASCII));
    }

    /** A flat list of field names and values, as HGETALL in a script answers, as a map. */
    static Map<String, byte[]> pairs(List<Object> flat) {
        Map<String, byte[]> hash = new HashMap<>();
        for (int i = 0; i + 1 < flat.size(); i += 2) {
            hash.put(new String((byte[]) flat.get(i), StandardCharsets.UTF_8), (byte[]) flat.get(i + 1));
        }
        return hash;
    }
}
