package dev.satchel.servlet;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * What one request changed in one session since it was loaded or last saved, over the attributes
 * as stored (encoded): attributes set and removed, attributes read under {@link
 * SaveMode#ON_GET_ATTRIBUTE}, a new principal, a new idle timeout and a new id. Builds the {@link
 * ChangeSet} a save writes. It holds bytes only; decoding, listeners and the servlet rules stay in
 * {@link SatchelHttpSession}, so this can be tested without a container. Confined to the request's
 * thread.
 */
final class PendingChanges {
    private final Instant createdAt;
    private final Instant absoluteDeadline;
    private final SaveMode saveMode;
    private SessionId id;
    private SessionId storedId;
    private boolean stored;
    private Duration maxInactive;
    private boolean maxInactiveChanged;
    private boolean touchDue;

    /** The attributes as last saved; replaced, never changed, so a stored record may share it. */
    private Map<String, byte[]> base;

    private final Map<String, byte[]> set = new LinkedHashMap<>();
    private final Set<String> removed = new HashSet<>();
    private final Set<String> read = new HashSet<>();
    /**
     * Attributes an atomic update wrote in this request: never written back plainly by a read under
     * ON_GET_ATTRIBUTE or by ALWAYS, which would undo other requests' updates made since.
     */
    private Set<String> updated = Set.of(); // allocated by the first update: most requests make none

    private PrincipalChange principal;

    private PendingChanges(
            SessionId id,
            boolean stored,
            Instant createdAt,
            Instant absoluteDeadline,
            Duration maxInactive,
            Map<String, byte[]> base,
            SaveMode saveMode,
            boolean touchDue) {
        this.id = id;
        this.storedId = id;
        this.stored = stored;
        this.createdAt = createdAt;
        this.absoluteDeadline = absoluteDeadline;
        this.maxInactive = maxInactive;
        this.base = base;
        this.saveMode = saveMode;
        this.touchDue = touchDue;
    }

    /** A session not yet in the store: its first save creates it. */
    static PendingChanges created(
            SessionId id, Instant createdAt, Instant absoluteDeadline, Duration maxInactive, SaveMode saveMode) {
        return new PendingChanges(id, false, createdAt, absoluteDeadline, maxInactive, Map.of(), saveMode, false);
    }

    /**
     * A session as the store holds it.
     *
     * @param touchDue whether the next save moves the access time forward even if nothing changed
     */
    static PendingChanges stored(SessionRecord r, SaveMode saveMode, boolean touchDue) {
        return new PendingChanges(
                r.id(),
                true,
                r.createdAt(),
                r.absoluteDeadline(),
                r.maxInactiveInterval(),
                r.attributes(),
                saveMode,
                touchDue);
    }

    /**
     * Checks a value for the principal attribute before anything is encoded or changed.
     *
     * @throws IllegalArgumentException if {@code name} is the principal attribute and {@code value}
     *     is not a non-blank String
     */
    static void checkPrincipal(String name, Object value) {
        if (SatchelSessions.PRINCIPAL_ATTRIBUTE.equals(name) && (!(value instanceof String p) || p.isBlank())) {
            throw new IllegalArgumentException(name + " must be a non-blank String, got "
                    + value.getClass().getName());
        }
    }

    // ---- attributes ------------------------------------------------------------------------

    /** Sets an attribute; {@code value} is what {@code encoded} encodes, read only for the principal. */
    void set(String name, Object value, byte[] encoded) {
        if (!updated.isEmpty()) {
            updated.remove(name);
        }
        removed.remove(name);
        set.put(name, encoded);
        read.remove(name);
        if (SatchelSessions.PRINCIPAL_ATTRIBUTE.equals(name)) {
            principal = PrincipalChange.to((String) value);
        }
    }

    /** Removes an attribute; a removal is saved only if the store holds the attribute. */
    void remove(String name) {
        set.remove(name);
        read.remove(name);
        if (base.containsKey(name)) {
            removed.add(name);
        }
        if (SatchelSessions.PRINCIPAL_ATTRIBUTE.equals(name)) {
            principal = PrincipalChange.cleared();
        }
    }

    /** Drops a stored attribute that no longer decodes; the principal is left as it is. */
    void dropUndecodable(String name) {
        removed.add(name);
    }

    /**
     * Records that the application read a stored attribute: under {@link SaveMode#ON_GET_ATTRIBUTE}
     * it is saved again, since the application may have changed it in place.
     */
    void read(String name) {
        if (saveMode == SaveMode.ON_GET_ATTRIBUTE && !set.containsKey(name) && !updated.contains(name)) {
            read.add(name);
        }
    }

    boolean exists(String name) {
        return !removed.contains(name) && (set.containsKey(name) || base.containsKey(name));
    }

    boolean isRemoved(String name) {
        return removed.contains(name);
    }

    /** The attribute's names, stored ones first, in a set the caller may keep. */
    Set<String> names() {
        Set<String> names = new LinkedHashSet<>(base.keySet());
        names.addAll(set.keySet());
        names.removeAll(removed);
        return names;
    }

    /** The bytes as stored, ignoring this request's changes; null if the store holds none. */
    byte[] storedBytes(String name) {
        return base.get(name);
    }

    /** The bytes as this request left them, set or stored; null if there are none. */
    byte[] currentBytes(String name) {
        return set.containsKey(name) ? set.get(name) : base.get(name);
    }

    // ---- the session's own fields ------------------------------------------------------------

    SessionId id() {
        return id;
    }

    Instant createdAt() {
        return createdAt;
    }

    boolean isStored() {
        return stored;
    }

    boolean idChanged() {
        return stored && !id.equals(storedId);
    }

    void changeId(SessionId newId) {
        this.id = newId;
        if (!stored) {
            this.storedId = newId;
        }
    }

    Duration maxInactive() {
        return maxInactive;
    }

    void maxInactive(Duration interval) {
        maxInactive = interval;
        maxInactiveChanged = true;
    }

    // ---- saving ------------------------------------------------------------------------------

    /** The change set that ends this session in the store, whatever else is pending. */
    ChangeSet invalidation() {
        return ChangeSet.builder(storedId, createdAt, absoluteDeadline)
                .invalidated()
                .build();
    }

    /**
     * Everything changed since the last save, as one change set.
     *
     * @param freshBytes the bytes of an attribute as its value is now: re-encoded if the
     *     application holds the decoded value (it may have changed it in place), else as stored; it
     *     is asked only for names read under {@code ON_GET_ATTRIBUTE} or kept under {@code ALWAYS}
     */
    ChangeSet changes(Instant now, Function<String, byte[]> freshBytes) {
        ChangeSet.Builder b = ChangeSet.builder(storedId, createdAt, absoluteDeadline);
        if (!stored) {
            b.created().accessedAt(now).maxInactiveInterval(maxInactive);
        } else {
            if (!id.equals(storedId)) {
                b.changeId(id);
            }
            if (maxInactiveChanged) {
                b.maxInactiveInterval(maxInactive);
            }
        }
        set.forEach(b::set);
        removed.forEach(b::remove);
        if (saveMode == SaveMode.ON_GET_ATTRIBUTE) {
            for (String name : read) {
                b.set(name, freshBytes.apply(name));
            }
        } else if (saveMode == SaveMode.ALWAYS) {
            for (String name : base.keySet()) {
                if (!set.containsKey(name) && !removed.contains(name) && !updated.contains(name)) {
                    b.set(name, freshBytes.apply(name));
                }
            }
        }
        if (principal != null) {
            b.principal(principal);
        }
        // A write that happens anyway carries the access time for free; otherwise only when due.
        if (stored && (touchDue || hasChanges())) {
            b.accessedAt(now);
        }
        return b.build();
    }

    private boolean hasChanges() {
        return !set.isEmpty()
                || !removed.isEmpty()
                || !read.isEmpty()
                || principal != null
                || maxInactiveChanged
                || !id.equals(storedId)
                || (saveMode == SaveMode.ALWAYS && !base.isEmpty());
    }

    /**
     * Records that the store now holds {@code encoded} for {@code name}, written by an atomic
     * update outside this request's change sets; nothing about it is pending any more.
     */
    /** Forgets a read of {@code name}: an atomic update is about to read it from the store itself. */
    void forgetRead(String name) {
        read.remove(name);
    }

    void storedByUpdate(String name, byte[] encoded) {
        if (updated.isEmpty()) {
            updated = new HashSet<>(2);
        }
        updated.add(name);
        Map<String, byte[]> merged = new HashMap<>(base);
        merged.put(name, encoded);
        base = merged;
        set.remove(name);
        removed.remove(name);
        read.remove(name);
    }

    /**
     * Folds a saved change set into the stored attributes, so later saves carry only later changes,
     * and forgets what was pending. The last save of a request skips the merge: nothing reads the
     * attributes after it.
     *
     * @return whether the stored attributes were replaced, so a record memoising the old ones is stale
     */
    boolean saved(ChangeSet changes, boolean last) {
        boolean replaced = !last
                && (!changes.setAttributes().isEmpty()
                        || !changes.removedAttributes().isEmpty());
        if (replaced) {
            Map<String, byte[]> merged = new HashMap<>(base);
            merged.keySet().removeAll(changes.removedAttributes());
            merged.putAll(changes.setAttributes());
            base = merged;
        }
        stored = true;
        storedId = id;
        set.clear();
        removed.clear();
        read.clear();
        principal = null;
        maxInactiveChanged = false;
        touchDue = false;
        return replaced;
    }
}
