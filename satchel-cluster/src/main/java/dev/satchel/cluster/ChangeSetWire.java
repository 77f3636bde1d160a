package dev.satchel.cluster;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Change sets on the wire between nodes: only what changed, in a compact binary form, so a save
 * costs the changed bytes plus a few dozen bytes of framing. A whole session travels as the change
 * set that would create it (state transfer to a joining node).
 */
final class ChangeSetWire {
    private static final int CREATED = 1;
    private static final int INVALIDATED = 2;
    private static final int RENAMED = 4;
    private static final int ACCESSED = 8;
    private static final int IDLE = 16;
    private static final int PRINCIPAL = 32;
    private static final int PRINCIPAL_CLEARED = 64;

    private ChangeSetWire() {}

    static void write(ChangeSet c, DataOutput out) throws IOException {
        int flags = (c.created() ? CREATED : 0)
                | (c.invalidated() ? INVALIDATED : 0)
                | (c.previousId().isPresent() ? RENAMED : 0)
                | (c.accessedAt().isPresent() ? ACCESSED : 0)
                | (c.maxInactiveInterval().isPresent() ? IDLE : 0)
                | (c.principal().isPresent() ? PRINCIPAL : 0)
                | (c.principal().flatMap(PrincipalChange::name).isEmpty() ? PRINCIPAL_CLEARED : 0);
        out.writeByte(flags);
        out.writeUTF(c.id().value());
        if (c.previousId().isPresent()) {
            out.writeUTF(c.previousId().get().value());
        }
        out.writeLong(c.createdAt().toEpochMilli());
        out.writeLong(c.absoluteDeadline().toEpochMilli());
        if (c.accessedAt().isPresent()) {
            out.writeLong(c.accessedAt().get().toEpochMilli());
        }
        if (c.maxInactiveInterval().isPresent()) {
            out.writeLong(c.maxInactiveInterval().get().toMillis());
        }
        if (c.principal().flatMap(PrincipalChange::name).isPresent()) {
            writeString(out, c.principal().get().name().get());
        }
        out.writeInt(c.setAttributes().size());
        for (Map.Entry<String, byte[]> e : c.setAttributes().entrySet()) {
            writeString(out, e.getKey());
            out.writeInt(e.getValue().length);
            out.write(e.getValue());
        }
        out.writeInt(c.removedAttributes().size());
        for (String name : c.removedAttributes()) {
            writeString(out, name);
        }
    }

    static ChangeSet read(DataInput in) throws IOException {
        int flags = in.readUnsignedByte();
        SessionId id = id(in.readUTF());
        Optional<SessionId> previous = (flags & RENAMED) != 0 ? Optional.of(id(in.readUTF())) : Optional.empty();
        Instant created = Instant.ofEpochMilli(in.readLong());
        Instant deadline = Instant.ofEpochMilli(in.readLong());
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
            b.accessedAt(Instant.ofEpochMilli(in.readLong()));
        }
        if ((flags & IDLE) != 0) {
            b.maxInactiveInterval(Duration.ofMillis(in.readLong()));
        }
        if ((flags & PRINCIPAL) != 0) {
            b.principal(
                    (flags & PRINCIPAL_CLEARED) != 0 ? PrincipalChange.cleared() : PrincipalChange.to(readString(in)));
        }
        int set = in.readInt();
        for (int i = 0; i < set; i++) {
            String name = readString(in);
            byte[] value = new byte[in.readInt()];
            in.readFully(value);
            b.set(name, value);
        }
        int removed = in.readInt();
        for (int i = 0; i < removed; i++) {
            b.remove(readString(in));
        }
        return b.build();
    }

    /** The change set that recreates {@code r} as it is (for state transfer). */
    static ChangeSet recreate(SessionRecord r) {
        ChangeSet.Builder b = ChangeSet.builder(r.id(), r.createdAt(), r.absoluteDeadline())
                .created()
                .accessedAt(r.lastAccessedAt())
                .maxInactiveInterval(r.maxInactiveInterval());
        r.attributes().forEach(b::set);
        r.principal().ifPresent(p -> b.principal(PrincipalChange.to(p)));
        return b.build();
    }

    private static SessionId id(String value) throws IOException {
        return SessionId.parse(value).orElseThrow(() -> new IOException("malformed session id on the wire"));
    }

    private static void writeString(DataOutput out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static String readString(DataInput in) throws IOException {
        byte[] utf8 = new byte[in.readInt()];
        in.readFully(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }
}
