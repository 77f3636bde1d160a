package dev.satchel.cluster;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A session as one node holds it, sent whole to another: a live copy with the stamp of the last
 * save in it, or the tombstone a deletion leaves. The receiver keeps whichever is newer (see
 * {@link VersionedCopies}).
 *
 * @param id the session
 * @param stamp the {@link HybridClock} stamp of the last save this copy holds
 * @param record the session, or empty for a tombstone
 * @param until when a tombstone may be forgotten: no older copy can be alive after it
 */
record Copy(SessionId id, long stamp, Optional<SessionRecord> record, Instant until) {
    Copy {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(record, "record");
        Objects.requireNonNull(until, "until");
    }

    static Copy live(SessionRecord record, long stamp) {
        return new Copy(record.id(), stamp, Optional.of(record), record.expiresAt());
    }

    static Copy tombstone(SessionId id, long stamp, Instant until) {
        return new Copy(id, stamp, Optional.empty(), until);
    }

    boolean isTombstone() {
        return record.isEmpty();
    }
}
