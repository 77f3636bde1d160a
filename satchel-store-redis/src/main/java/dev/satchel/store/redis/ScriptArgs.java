package dev.satchel.store.redis;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The arguments the store's Lua scripts take, and what their answers mean: the Java half of the
 * contract written at the top of each script ({@code save.lua}, {@code take.lua}, {@code
 * delete.lua}, {@code index.lua}). Numbers go as ASCII decimals, times as epoch milliseconds, and
 * names as UTF-8. An index prefix of zero bytes tells a script that the caller keeps the principal
 * index itself (Redis Cluster, where the index is in another slot).
 */
final class ScriptArgs {
    private ScriptArgs() {}

    /** What one run of {@code save.lua} does to its session. */
    enum SaveMode {
        /** A new session; merges in as an update if a racing first save already made it. */
        CREATE,
        /** A change to a live session; never brings back one that is gone. */
        UPDATE,
        /** An id change on one server: RENAMEs the old hash (the second key) first. */
        RENAME;

        byte[] bytes() {
            return ascii(name().toLowerCase(Locale.ROOT));
        }
    }

    /**
     * What {@code save.lua} answered: the new version (-1: gone, -2: an expectation did not hold),
     * and what the index needs.
     */
    record Saved(long version, Optional<String> unindex, long deadline) {
        boolean gone() {
            return version == -1;
        }

        boolean conflict() {
            return version == -2;
        }

        boolean written() {
            return version > 0;
        }
    }

    /** What {@code delete.lua} answered: whether a hash went, and whose index the caller must fix. */
    record Deleted(boolean deleted, Optional<String> unindex) {}

    /**
     * The arguments of {@code save.lua}: mode, now, createdAt, absoluteDeadline, maxInactive ('' =
     * unchanged), accessedAt ('' = unchanged), principal ('' = unchanged, '-' = cleared, else
     * '=name'), index prefix, id, previous id ('' unless renaming), the number of attributes set and
     * their name/value pairs, then the number removed and their names, then the number of
     * expectations and for each its name, '1' and the expected bytes, or '0' and '' (absent).
     */
    static byte[][] save(
            SaveMode mode,
            Optional<SessionId> previous,
            Instant now,
            ChangeSet c,
            Map<String, byte[]> attributes,
            byte[] indexPrefix) {
        List<byte[]> args = new ArrayList<>(14
                + 2 * attributes.size()
                + c.removedAttributes().size()
                + 3 * c.expectations().size());
        args.add(mode.bytes());
        args.add(millis(now));
        args.add(millis(c.createdAt()));
        args.add(millis(c.absoluteDeadline()));
        args.add(ascii(
                c.maxInactiveInterval().map(d -> Long.toString(d.toMillis())).orElse("")));
        // A new session was last accessed when it was created unless the change set says when;
        // the script refuses a create without an access time rather than guess.
        Optional<Instant> accessed = c.created() ? Optional.of(c.accessedAt().orElse(c.createdAt())) : c.accessedAt();
        args.add(accessed.map(ScriptArgs::millis).orElse(new byte[0]));
        args.add(c.principal()
                .map(p -> p.name().map(n -> utf8("=" + n)).orElse(ascii("-")))
                .orElse(new byte[0]));
        args.add(indexPrefix);
        args.add(ascii(c.id().value()));
        args.add(ascii(previous.map(SessionId::value).orElse("")));
        args.add(ascii(Integer.toString(attributes.size())));
        attributes.forEach((name, value) -> {
            args.add(utf8(name));
            args.add(value);
        });
        args.add(ascii(Integer.toString(c.removedAttributes().size())));
        c.removedAttributes().forEach(name -> args.add(utf8(name)));
        args.add(ascii(Integer.toString(c.expectations().size())));
        c.expectations().forEach((name, expected) -> {
            args.add(utf8(name));
            args.add(ascii(expected.bytes().isPresent() ? "1" : "0"));
            args.add(expected.bytes().orElse(new byte[0]));
        });
        return args.toArray(new byte[0][]);
    }

    /** The keys of {@code save.lua}: the session's hash, and for a rename the hash under the old id. */
    static String[] saveKeys(HashLayout layout, SessionId id, Optional<SessionId> previous) {
        return previous.isPresent()
                ? new String[] {layout.key(id), layout.key(previous.get())}
                : new String[] {layout.key(id)};
    }

    /** {@code save.lua}'s answer: {version, principal to unindex or false, absolute deadline}. */
    static Saved saved(List<Object> answer) {
        return new Saved(
                (Long) answer.get(0),
                Optional.ofNullable((byte[]) answer.get(1)).map(p -> new String(p, StandardCharsets.UTF_8)),
                (Long) answer.get(2));
    }

    /** The arguments of {@code take.lua}: now. */
    static byte[][] take(Instant now) {
        return new byte[][] {millis(now)};
    }

    /** The arguments of {@code delete.lua}: index prefix, id. */
    static byte[][] delete(byte[] indexPrefix, SessionId id) {
        return new byte[][] {indexPrefix, ascii(id.value())};
    }

    /** {@code delete.lua}'s answer: {1 if a hash was deleted else 0, principal to unindex or false}. */
    static Deleted deleted(List<Object> answer) {
        return new Deleted(
                (Long) answer.get(0) == 1,
                answer.get(1) instanceof byte[] principal
                        ? Optional.of(new String(principal, StandardCharsets.UTF_8))
                        : Optional.empty());
    }

    /** The arguments of {@code index.lua}: id, and how long the set must live at least (ms). */
    static byte[][] index(SessionId id, long lifeMillis) {
        return new byte[][] {ascii(id.value()), ascii(Long.toString(lifeMillis))};
    }

    static byte[] millis(Instant t) {
        return ascii(Long.toString(t.toEpochMilli()));
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
