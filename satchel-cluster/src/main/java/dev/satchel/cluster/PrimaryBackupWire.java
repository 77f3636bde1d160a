package dev.satchel.cluster;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionEvent;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore.SaveOutcome;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/**
 * The primary-backup store's messages between nodes: the kind of each request (its first byte),
 * the answers a save can get besides its outcome, and how each body is written and read. Saves
 * themselves are {@link StampedSave}s, copies {@link CopyWire}.
 */
final class PrimaryBackupWire {
    static final byte SAVE = 1;
    static final byte GET = 2;
    static final byte FIND = 3;
    static final byte FETCH = 4;
    static final byte EXPIRED = 5;
    static final byte COPIES = 6;
    static final byte TAKE = 7;
    /**
     * A conditional save, forwarded to the session's owner, which decides it and answers the
     * outcome, or {@link Decisions#NOT_DECIDER}.
     */
    static final byte DECIDE = 8;
    /**
     * Whole copies of sessions whose save failed on the sender, sent again ({@link SaveDoubts}):
     * applied as {@link #COPIES}, but they say nothing of a merge still going on.
     */
    static final byte REPAIR = 9;
    /** A save's answer from a node that holds it until its own copies arrive: it decides nothing. */
    static final byte HELD = 100;
    /** A save's answer from a node holding a tombstone for the session: refused, and final. */
    static final byte REFUSED = 101;
    /** A save's answer from a node whose copy is behind the sender's: it wants the whole copy. */
    static final byte STALE = 102;

    private PrimaryBackupWire() {}

    /** A request about one session: {@link #GET} or {@link #TAKE}. */
    static byte[] about(byte kind, SessionId id) {
        return ClusterChannel.request(kind, out -> ChangeSetWire.writeId(out, id));
    }

    static byte[] find(String principal) {
        return ClusterChannel.request(FIND, out -> out.writeUTF(principal));
    }

    static byte[] save(StampedSave save) {
        return ClusterChannel.request(SAVE, save::write);
    }

    /** A conditional save, expectations included, for the session's owner to decide. */
    static byte[] decide(ChangeSet changes) {
        return ClusterChannel.request(DECIDE, out -> ChangeSetWire.write(changes, out));
    }

    /** Whole copies, sent in view {@code viewId}. */
    static byte[] copies(long viewId, List<Copy> batch) {
        return copies(COPIES, viewId, batch);
    }

    /** Whole copies as {@code kind} ({@link #COPIES} or {@link #REPAIR}), sent in view {@code viewId}. */
    static byte[] copies(byte kind, long viewId, List<Copy> batch) {
        return CopyWire.encode(
                out -> {
                    out.writeByte(kind);
                    ChangeSetWire.writeVarLong(out, viewId);
                },
                batch);
    }

    /** The owner's news that a session expired, with its last state when known. */
    static byte[] expired(SessionEvent event) {
        return ClusterChannel.request(EXPIRED, out -> {
            ChangeSetWire.writeId(out, event.id());
            out.writeBoolean(event.lastState().isPresent());
            if (event.lastState().isPresent()) {
                ChangeSetWire.write(ChangeSetWire.recreate(event.lastState().get()), out);
            }
        });
    }

    /** The body of an {@link #EXPIRED} message, after its kind. */
    static SessionEvent readExpired(DataInput in) throws IOException {
        SessionId id = ChangeSetWire.readId(in);
        Optional<SessionRecord> last =
                in.readBoolean() ? Optional.of(SessionRecord.create(ChangeSetWire.read(in))) : Optional.empty();
        return new SessionEvent(SessionEvent.Type.EXPIRED, id, last);
    }

    /** Several copies as an answer ({@link #FIND}). */
    static byte[] answer(List<Copy> copies) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            CopyWire.writeAll(copies, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** A save's answer for an outcome applied here; a refusal when a tombstone decided it. */
    static byte saveAnswer(SaveOutcome outcome, boolean buried) {
        return outcome == SaveOutcome.GONE && buried ? REFUSED : (byte) outcome.ordinal();
    }
}
