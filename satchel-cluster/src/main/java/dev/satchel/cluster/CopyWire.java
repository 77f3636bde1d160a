package dev.satchel.cluster;

import dev.satchel.core.SessionRecord;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whole copies and tombstones on the wire, with their stamps: what a joiner pulls, what a view
 * change or a healed partition moves, what a late save makes a node pass on. Both strategies send
 * them in batches, so a merge does not wait one round trip per session.
 */
final class CopyWire {
    private static final int LIVE = 1;
    private static final int TOMBSTONE = 2;
    /** Copies per message when many travel: large enough to amortise framing, small enough not to hold up saves. */
    static final int BATCH = 256;

    private CopyWire() {}

    static void write(Copy copy, DataOutput out) throws IOException {
        out.writeByte(copy.isTombstone() ? TOMBSTONE : LIVE);
        ChangeSetWire.writeVarLong(out, copy.stamp());
        if (copy.isTombstone()) {
            ChangeSetWire.writeId(out, copy.id());
            ChangeSetWire.writeVarLong(out, copy.until().toEpochMilli());
        } else {
            SessionRecord r = copy.record().orElseThrow();
            ChangeSetWire.write(ChangeSetWire.recreate(r), out);
            out.writeLong(r.version());
        }
    }

    static Copy read(DataInput in) throws IOException {
        int kind = in.readUnsignedByte();
        long stamp = ChangeSetWire.readVarLong(in);
        if (kind == TOMBSTONE) {
            return Copy.tombstone(ChangeSetWire.readId(in), stamp, Instant.ofEpochMilli(ChangeSetWire.readVarLong(in)));
        }
        if (kind != LIVE) {
            throw new IOException("unknown kind of copy on the wire: " + kind);
        }
        SessionRecord r = SessionRecord.create(ChangeSetWire.read(in));
        SessionRecord withVersion = new SessionRecord(
                r.id(),
                r.createdAt(),
                r.lastAccessedAt(),
                r.maxInactiveInterval(),
                r.absoluteDeadline(),
                r.attributes(),
                r.principal(),
                in.readLong());
        return new Copy(r.id(), stamp, Optional.of(withVersion), withVersion.expiresAt());
    }

    /** One copy as an answer (a read, a rename's take); no copy is an empty answer. */
    static byte[] answer(Optional<Copy> copy) {
        if (copy.isEmpty()) {
            return new byte[0];
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            CopyWire.write(copy.get(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The copy in an answer, empty if there was none. */
    static Optional<Copy> readAnswer(byte[] answer) throws IOException {
        return answer == null || answer.length == 0
                ? Optional.empty()
                : Optional.of(CopyWire.read(new DataInputStream(new ByteArrayInputStream(answer))));
    }

    static void writeAll(List<Copy> copies, DataOutput out) throws IOException {
        ChangeSetWire.writeVarLong(out, copies.size());
        for (Copy c : copies) {
            write(c, out);
        }
    }

    static List<Copy> readAll(DataInput in) throws IOException {
        int n = ChangeSetWire.count(in);
        List<Copy> copies = new ArrayList<>(Math.min(n, 4096));
        for (int i = 0; i < n; i++) {
            copies.add(read(in));
        }
        return copies;
    }

    /** One message's worth of copies, after a header the caller writes. */
    static byte[] encode(Header header, List<Copy> copies) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + 128 * copies.size());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            header.write(out);
            writeAll(copies, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** What precedes the copies in a message: the store's own request kind and view. */
    @FunctionalInterface
    interface Header {
        void write(DataOutputStream out) throws IOException;
    }

    /** Splits copies into batches of {@link #BATCH}. */
    static List<List<Copy>> batches(List<Copy> copies) {
        List<List<Copy>> out = new ArrayList<>();
        for (int i = 0; i < copies.size(); i += BATCH) {
            out.add(copies.subList(i, Math.min(copies.size(), i + BATCH)));
        }
        return out;
    }
}
