package dev.satchel.servlet;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionSealer;
import dev.satchel.core.SessionStore;
import java.time.Clock;
import java.util.Optional;

/**
 * The "store" of one request whose session the client keeps sealed: it holds the session the
 * request opened, applies the request's change sets to it, and tells the filter what to seal back.
 * Ending the session, or changing its id, revokes the copy the client holds.
 */
final class SealedRequestStore implements SessionStore {
    private final SessionSealer sealer;
    private final Clock clock;
    private Optional<SessionRecord> current = Optional.empty();
    private boolean dirty;
    private boolean ended;

    SealedRequestStore(SessionSealer sealer, Clock clock) {
        this.sealer = sealer;
        this.clock = clock;
    }

    void opened(SessionRecord record) {
        current = Optional.of(record);
    }

    /** The session to seal into the response, if this request changed it. */
    Optional<SessionRecord> toSeal() {
        return dirty ? current : Optional.empty();
    }

    void sealed() {
        dirty = false;
    }

    boolean ended() {
        return ended;
    }

    @Override
    public Optional<SessionRecord> load(SessionId id) {
        return current.filter(r -> r.id().equals(id) && !r.isExpired(clock.instant()));
    }

    @Override
    public SaveOutcome save(ChangeSet changes) {
        if (changes.invalidated()) {
            return delete(changes.previousId().orElse(changes.id())) ? SaveOutcome.INVALIDATED : SaveOutcome.GONE;
        }
        if (changes.created()) {
            current = Optional.of(SessionRecord.create(changes));
            ended = false;
            dirty = true;
            return SaveOutcome.CREATED;
        }
        SessionId storedId = changes.previousId().orElse(changes.id());
        Optional<SessionRecord> before = load(storedId);
        if (before.isEmpty()) {
            return SaveOutcome.GONE;
        }
        if (changes.previousId().isPresent()) {
            sealer.revoke(before.get()); // the copy under the old id must not come back
        }
        current = Optional.of(before.get().apply(changes));
        dirty = true;
        return SaveOutcome.UPDATED;
    }

    @Override
    public boolean delete(SessionId id) {
        Optional<SessionRecord> live = current.filter(r -> r.id().equals(id));
        if (live.isEmpty()) {
            return false;
        }
        sealer.revoke(live.get());
        current = Optional.empty();
        dirty = false;
        ended = true;
        return true;
    }

    @Override
    public void close() {}
}
