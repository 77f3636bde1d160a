package dev.satchel.cluster;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ExpectedValue;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Change sets on the wire between nodes: only what changed, in a compact binary form, so a save
 * costs the changed bytes plus a few dozen bytes of framing. A whole session travels as the change
 * set that would create it (to a joining node, or a new replica). A conditional save's expectations
 * travel only to the node that decides it; what that node then sends its replicas is the plain
 * change set ({@link #withoutExpectations}).
 */
final class ChangeSetWire {
    private static final int CREATED = 1;
    private static final int INVALIDATED = 2;
    private static final int RENAMED = 4;
    private static final int ACCESSED = 8;
    private static final int IDLE = 16;
    private static final int PRINCIPAL = 32;
    private static final int PRINCIPAL_CLEARED = 64;
    private static final int EXPECTS = 128;
    private static final java.util.Base64.Decoder ID_DECODER = java.util.Base64.getUrlDecoder();
    private static final java.util.Base64.Encoder ID_ENCODER =
            java.util.Base64.getUrlEncoder().withoutPadding();

    private ChangeSetWire() {}

    static void write(ChangeSet c, DataOutput out) throws IOException {
        int flags = (c.created() ? CREATED : 0)
                | (c.invalidated() ? INVALIDATED : 0)
                | (c.previousId().isPresent() ? RENAMED : 0)
                | (c.accessedAt().isPresent() ? ACCESSED : 0)
                | (c.maxInactiveInterval().isPresent() ? IDLE : 0)
                | (c.principal().isPresent() ? PRINCIPAL : 0)
                | (c.principal().flatMap(PrincipalChange::name).isEmpty() ? PRINCIPAL_CLEARED : 0)
                | (c.expectations().isEmpty() ? 0 : EXPECTS);
        out.writeByte(flags);
        writeId(out, c.id());
        if (c.previousId().isPresent()) {
            writeId(out, c.previousId().get());
        }
        long created = c.createdAt().toEpochMilli();
        writeVarLong(out, zigZag(created));
        writeVarLong(out, zigZag(c.absoluteDeadline().toEpochMilli() - created));
        if (c.accessedAt().isPresent()) {
            writeVarLong(out, zigZag(c.accessedAt().get().toEpochMilli() - created));
        }
        if (c.maxInactiveInterval().isPresent()) {
            writeVarLong(out, zigZag(c.maxInactiveInterval().get().toMillis()));
        }
        if (c.principal().flatMap(PrincipalChange::name).isPresent()) {
            writeString(out, c.principal().get().name().get());
        }
        writeVarLong(out, c.setAttributes().size());
        for (Map.Entry<String, byte[]> e : c.setAttributes().entrySet()) {
            writeString(out, e.getKey());
            writeVarLong(out, e.getValue().length);
            out.write(e.getValue());
        }
        writeVarLong(out, c.removedAttributes().size());
        for (String name : c.removedAttributes()) {
            writeString(out, name);
        }
        if (!c.expectations().isEmpty()) {
            writeExpectations(c.expectations(), out);
        }
    }

    /** Each expected attribute: its name, whether it must hold a value, and that value's bytes. */
    private static void writeExpectations(Map<String, ExpectedValue> expectations, DataOutput out) throws IOException {
        writeVarLong(out, expectations.size());
        for (Map.Entry<String, ExpectedValue> e : expectations.entrySet()) {
            writeString(out, e.getKey());
            byte[] value = e.getValue().bytes().orElse(null);
            out.writeBoolean(value != null);
            if (value != null) {
                writeVarLong(out, value.length);
                out.write(value);
            }
        }
    }

    private static Map<String, ExpectedValue> readExpectations(DataInput in) throws IOException {
        int n = count(in);
        Map<String, ExpectedValue> expectations = new HashMap<>(Math.min(n, 16) * 2);
        for (int i = 0; i < n; i++) {
            String name = readString(in);
            if (in.readBoolean()) {
                byte[] value = new byte[count(in)];
                in.readFully(value);
                expectations.put(name, ExpectedValue.of(value));
            } else {
                expectations.put(name, ExpectedValue.absent());
            }
        }
        return expectations;
    }

    /**
     * The same change set with no expectations: what the node that decided a conditional save
     * applies and sends to the replicas, which must take it whatever their copy holds (the
     * decision is made once, on one copy).
     */
    static ChangeSet withoutExpectations(ChangeSet c) {
        if (c.expectations().isEmpty()) {
            return c;
        }
        return new ChangeSet(
                c.id(),
                c.previousId(),
                c.created(),
                c.invalidated(),
                c.createdAt(),
                c.absoluteDeadline(),
                c.accessedAt(),
                c.maxInactiveInterval(),
                c.setAttributes(),
                c.removedAttributes(),
                c.principal(),
                Map.of());
    }

    static ChangeSet read(DataInput in) throws IOException {
        int flags = in.readUnsignedByte();
        SessionId id = readId(in);
        Optional<SessionId> previous = (flags & RENAMED) != 0 ? Optional.of(readId(in)) : Optional.empty();
        long createdMillis = unZigZag(readVarLong(in));
        Instant created = Instant.ofEpochMilli(createdMillis);
        Instant deadline = Instant.ofEpochMilli(createdMillis + unZigZag(readVarLong(in)));
        ChangeSet.Builder b = ChangeSet.builder(previous.orElse(id), created, deadline);
        if (previous.isPresent()) {
            b.changeId(id);
        }
        if ((flags & CREATED) != 0) {
            b.created();
        }
        if ((flags & INVALIDATED) != 0) {
            b.invalidated();
        }
        if ((flags & ACCESSED) != 0) {
            b.accessedAt(Instant.ofEpochMilli(createdMillis + unZigZag(readVarLong(in))));
        }
        if ((flags & IDLE) != 0) {
            b.maxInactiveInterval(Duration.ofMillis(unZigZag(readVarLong(in))));
        }
        if ((flags & PRINCIPAL) != 0) {
            b.principal(
                    (flags & PRINCIPAL_CLEARED) != 0 ? PrincipalChange.cleared() : PrincipalChange.to(readString(in)));
        }
        int set = count(in);
        for (int i = 0; i < set; i++) {
            String name = readString(in);
            byte[] value = new byte[count(in)];
            in.readFully(value);
            b.set(name, value);
        }
        int removed = count(in);
        for (int i = 0; i < removed; i++) {
            b.remove(readString(in));
        }
        if ((flags & EXPECTS) != 0) {
            readExpectations(in).forEach(b::expect);
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) { // a combination no node writes: a corrupt message
            throw new IOException("a change set that cannot be: " + e.getMessage(), e);
        }
    }

    /** The change set that recreates {@code r} as it is (for a joining node or a new replica). */
    static ChangeSet recreate(SessionRecord r) {
        ChangeSet.Builder b = ChangeSet.builder(r.id(), r.createdAt(), r.absoluteDeadline())
                .created()
                .accessedAt(r.lastAccessedAt())
                .maxInactiveInterval(r.maxInactiveInterval());
        r.attributes().forEach(b::set);
        r.principal().ifPresent(p -> b.principal(PrincipalChange.to(p)));
        return b.build();
    }

    /**
     * An id travels as its 32 random bytes, not its 43 characters: 13 bytes less on every copy.
     * SessionId admits only the canonical encoding, so the bytes give back the same text.
     */
    static void writeId(DataOutput out, SessionId id) throws IOException {
        out.write(ID_DECODER.decode(id.value()));
    }

    static SessionId readId(DataInput in) throws IOException {
        byte[] bytes = new byte[SessionId.RANDOM_BYTES];
        in.readFully(bytes);
        return new SessionId(ID_ENCODER.encodeToString(bytes));
    }

    private static void writeString(DataOutput out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        writeVarLong(out, utf8.length);
        out.write(utf8);
    }

    private static String readString(DataInput in) throws IOException {
        byte[] utf8 = new byte[count(in)];
        in.readFully(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }

    /**
     * Counts, lengths and times travel as variable-length integers (7 bits a byte): a one-attribute
     * save is then about 30 bytes smaller than with fixed-width fields, on every copy.
     */
    static void writeVarLong(DataOutput out, long value) throws IOException {
        long v = value;
        while ((v & ~0x7FL) != 0) {
            out.writeByte((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.writeByte((int) v);
    }

    static long readVarLong(DataInput in) throws IOException {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = in.readUnsignedByte();
            value |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
        throw new IOException("malformed variable-length integer on the wire");
    }

    /** A count or length, refused when it cannot be one (a corrupt or hostile message). */
    static int count(DataInput in) throws IOException {
        long n = readVarLong(in);
        if (n < 0 || n > 64L * 1024 * 1024) {
            throw new IOException("implausible length on the wire: " + n);
        }
        return (int) n;
    }

    private static long zigZag(long v) {
        return (v << 1) ^ (v >> 63);
    }

    private static long unZigZag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }
}
