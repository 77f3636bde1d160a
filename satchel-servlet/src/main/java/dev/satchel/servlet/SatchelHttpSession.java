package dev.satchel.servlet;

import dev.satchel.core.AttributeEncodingException;
import dev.satchel.core.ChangeSet;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionDataException;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpSession;
import jakarta.servlet.http.HttpSessionBindingEvent;
import jakarta.servlet.http.HttpSessionBindingListener;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link HttpSession} one request sees: the stored record plus what this request changed.
 * Values are decoded lazily, on first read, and encoded when set, so an unsupported type fails
 * where the application set it. Confined to the request's thread, like the request itself.
 */
final class SatchelHttpSession implements HttpSession {
    private static final Logger LOG = LoggerFactory.getLogger(SatchelHttpSession.class);

    private final RequestSessions owner;
    private final SessionFilterRuntime runtime;
    private SessionId id;
    private SessionId storedId;
    private boolean stored;
    private final boolean isNew;
    private final Instant createdAt;
    private final Instant absoluteDeadline;
    private final Instant lastAccessedAt;
    private Duration maxInactive;
    private boolean maxInactiveChanged;
    private boolean touchDue;
    private boolean invalid;
    /** Between invalidate() and its end: sessionDestroyed listeners still read the attributes. */
    private boolean ending;

    private Map<String, byte[]> base;
    /** The stored record while {@code base} is still its attributes; it memoises decoded values. */
    private SessionRecord record;

    private final Map<String, Object> decoded = new HashMap<>();
    private final Map<String, byte[]> pendingSet = new LinkedHashMap<>();
    private final Set<String> pendingRemove = new HashSet<>();
    private final Set<String> read = new HashSet<>();
    private PrincipalChange principalChange;

    private SatchelHttpSession(
            RequestSessions owner,
            SessionFilterRuntime runtime,
            SessionId id,
            boolean stored,
            Instant createdAt,
            Instant absoluteDeadline,
            Instant lastAccessedAt,
            Duration maxInactive,
            Map<String, byte[]> base) {
        this.owner = owner;
        this.runtime = runtime;
        this.id = id;
        this.storedId = id;
        this.stored = stored;
        this.isNew = !stored;
        this.createdAt = createdAt;
        this.absoluteDeadline = absoluteDeadline;
        this.lastAccessedAt = lastAccessedAt;
        this.maxInactive = maxInactive;
        this.base = base;
    }

    /** A session this request just created. */
    static SatchelHttpSession created(RequestSessions owner, SessionFilterRuntime runtime, Instant now) {
        SessionOptions o = runtime.options();
        return new SatchelHttpSession(
                owner,
                runtime,
                SessionId.random(),
                false,
                now,
                now.plus(o.absoluteTimeout()),
                now,
                o.idleTimeout(),
                Map.of());
    }

    /** A stored session this request found. */
    static SatchelHttpSession loaded(
            RequestSessions owner, SessionFilterRuntime runtime, SessionRecord r, Instant now) {
        SatchelHttpSession s = fromRecord(owner, runtime, r);
        s.record = r;
        long idleMillis = r.maxInactiveInterval().toMillis();
        if (idleMillis > 0) {
            long throttle = (long) (idleMillis * runtime.options().touchFraction());
            s.touchDue = now.toEpochMilli() - r.lastAccessedAt().toEpochMilli() >= throttle;
        }
        return s;
    }

    /** A read-only view of a session that ended elsewhere, for {@code sessionDestroyed}. */
    static SatchelHttpSession detached(SessionFilterRuntime runtime, SessionRecord r) {
        return fromRecord(null, runtime, r);
    }

    private static SatchelHttpSession fromRecord(RequestSessions owner, SessionFilterRuntime runtime, SessionRecord r) {
        return new SatchelHttpSession(
                owner,
                runtime,
                r.id(),
                true,
                r.createdAt(),
                r.absoluteDeadline(),
                r.lastAccessedAt(),
                r.maxInactiveInterval(),
                r.attributes());
    }

    // ---- HttpSession ---------------------------------------------------------------------

    @Override
    public long getCreationTime() {
        checkValid();
        return createdAt.toEpochMilli();
    }

    @Override
    public String getId() {
        return id.value();
    }

    @Override
    public long getLastAccessedTime() {
        checkValid();
        return lastAccessedAt.toEpochMilli();
    }

    @Override
    public ServletContext getServletContext() {
        return runtime.servletContext();
    }

    /**
     * Zero or less removes the idle timeout; the absolute timeout still ends the session. On an
     * ended session it changes nothing and, as in Tomcat and Jetty, does not throw.
     */
    @Override
    public void setMaxInactiveInterval(int interval) {
        maxInactive = interval <= 0 ? Duration.ZERO : Duration.ofSeconds(interval);
        if (invalid || owner == null) {
            return;
        }
        maxInactiveChanged = true;
        owner.changed();
    }

    @Override
    public int getMaxInactiveInterval() {
        return maxInactive.isZero() ? -1 : (int) Math.min(Integer.MAX_VALUE, maxInactive.toSeconds());
    }

    @Override
    public Object getAttribute(String name) {
        checkValid();
        if (name == null || pendingRemove.contains(name)) {
            return null;
        }
        Object value = decoded.get(name);
        if (value == null) {
            try {
                if (record != null) {
                    value = record.decode(name, runtime.options().codec()).orElse(null);
                } else {
                    byte[] bytes = base.get(name);
                    value = bytes == null ? null : runtime.options().codec().decode(name, bytes);
                }
            } catch (SessionDataException e) {
                // Drop the value, keep the session: an undecodable attribute after a deploy must not
                // turn every request of this user into a 500.
                LOG.warn("dropping undecodable attribute '{}' of {}: {}", name, id, e.getMessage());
                pendingRemove.add(name);
                owner.changed();
                return null;
            }
            if (value == null) {
                return null;
            }
            if (isImmutable(value)) {
                return value; // nothing can change it in place, so there is nothing to track
            }
            decoded.put(name, value);
        }
        if (runtime.options().saveMode() == SaveMode.ON_GET_ATTRIBUTE && !pendingSet.containsKey(name)) {
            read.add(name);
        }
        return value;
    }

    @Override
    public Enumeration<String> getAttributeNames() {
        checkValid();
        Set<String> names = new LinkedHashSet<>(base.keySet());
        names.addAll(pendingSet.keySet());
        names.removeAll(pendingRemove);
        return Collections.enumeration(names);
    }

    @Override
    public void setAttribute(String name, Object value) {
        Objects.requireNonNull(name, "attribute name");
        if (value == null) {
            removeAttribute(name);
            return;
        }
        checkWritable();
        PrincipalChange principal = null;
        if (SatchelSessions.PRINCIPAL_ATTRIBUTE.equals(name)) {
            if (!(value instanceof String p) || p.isBlank()) {
                throw new IllegalArgumentException(name + " must be a non-blank String, got "
                        + value.getClass().getName());
            }
            principal = PrincipalChange.to(p);
        }
        byte[] encoded;
        try {
            encoded = runtime.options().codec().encode(name, value);
        } catch (AttributeEncodingException e) {
            // Servlet 6 section 7.7.2: a value the container cannot store is an IllegalArgumentException.
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        boolean existed = exists(name);
        // Decoded even without attribute listeners: the old value may be a binding listener.
        Object old = existed ? valueForEvent(name) : null;
        pendingRemove.remove(name);
        pendingSet.put(name, encoded);
        decoded.put(name, value);
        read.remove(name);
        if (principal != null) {
            principalChange = principal;
        }
        if (value != old && value instanceof HttpSessionBindingListener bound) {
            bound.valueBound(new HttpSessionBindingEvent(this, name, value));
        }
        if (old != null && old != value && old instanceof HttpSessionBindingListener unbound) {
            unbound.valueUnbound(new HttpSessionBindingEvent(this, name, old));
        }
        if (existed) {
            runtime.events().attributeReplaced(this, name, old);
        } else {
            runtime.events().attributeAdded(this, name, value);
        }
        owner.changed();
    }

    @Override
    public void removeAttribute(String name) {
        checkWritable();
        if (name == null || !exists(name)) {
            return;
        }
        Object old = valueForEvent(name);
        pendingSet.remove(name);
        decoded.remove(name);
        read.remove(name);
        if (base.containsKey(name)) {
            pendingRemove.add(name);
        }
        if (SatchelSessions.PRINCIPAL_ATTRIBUTE.equals(name)) {
            principalChange = PrincipalChange.cleared();
        }
        if (old instanceof HttpSessionBindingListener unbound) {
            unbound.valueUnbound(new HttpSessionBindingEvent(this, name, old));
        }
        runtime.events().attributeRemoved(this, name, old);
        owner.changed();
    }

    @Override
    public void invalidate() {
        if (ending) {
            return; // a sessionDestroyed listener ending it again: it is already on its way out
        }
        checkWritable();
        ending = true;
        owner.invalidate(this);
    }

    @Override
    public boolean isNew() {
        checkValid();
        return isNew;
    }

    // ---- used by RequestSessions ------------------------------------------------------------

    /** Tells listeners that a session ended outside a request (expiry, log out everywhere). */
    void ended() {
        runtime.events().destroyed(this);
        unbindAll();
    }

    /** Unbinds every attribute as the session ends, after sessionDestroyed, as the containers do. */
    void unbindAll() {
        Set<String> names = new LinkedHashSet<>(base.keySet());
        names.addAll(pendingSet.keySet());
        names.removeAll(pendingRemove);
        for (String name : names) {
            Object value = valueForEvent(name);
            if (value instanceof HttpSessionBindingListener unbound) {
                unbound.valueUnbound(new HttpSessionBindingEvent(this, name, value));
            }
            runtime.events().attributeRemoved(this, name, value);
        }
    }

    SessionId id() {
        return id;
    }

    boolean isInvalid() {
        return invalid;
    }

    boolean isStored() {
        return stored;
    }

    boolean idChanged() {
        return stored && !id.equals(storedId);
    }

    void markInvalid() {
        invalid = true;
    }

    void changeId(SessionId newId) {
        this.id = newId;
        if (!stored) {
            this.storedId = newId;
        }
    }

    /** The change set that ends this session in the store. */
    ChangeSet invalidation() {
        return ChangeSet.builder(storedId, createdAt, absoluteDeadline)
                .invalidated()
                .build();
    }

    /** Everything this request changed since the last save, as one change set. */
    ChangeSet changes(Instant now) {
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
        pendingSet.forEach(b::set);
        pendingRemove.forEach(b::remove);
        SaveMode mode = runtime.options().saveMode();
        if (mode == SaveMode.ON_GET_ATTRIBUTE) {
            for (String name : read) {
                b.set(name, runtime.options().codec().encode(name, decoded.get(name)));
            }
        } else if (mode == SaveMode.ALWAYS) {
            for (Map.Entry<String, byte[]> e : base.entrySet()) {
                String name = e.getKey();
                if (!pendingSet.containsKey(name) && !pendingRemove.contains(name)) {
                    Object value = decoded.get(name);
                    b.set(
                            name,
                            value == null
                                    ? e.getValue()
                                    : runtime.options().codec().encode(name, value));
                }
            }
        }
        if (principalChange != null) {
            b.principal(principalChange);
        }
        // A write that happens anyway carries the access time for free; otherwise only when due.
        if (stored && (touchDue || hasPendingChanges())) {
            b.accessedAt(now);
        }
        return b.build();
    }

    private boolean hasPendingChanges() {
        return !pendingSet.isEmpty()
                || !pendingRemove.isEmpty()
                || !read.isEmpty()
                || principalChange != null
                || maxInactiveChanged
                || !id.equals(storedId)
                || (runtime.options().saveMode() == SaveMode.ALWAYS && !base.isEmpty());
    }

    /**
     * Folds a saved change set into the base, so later saves carry only later changes. The last save
     * of a request skips the merge: nothing reads the base after it.
     */
    void saved(ChangeSet changes, boolean last) {
        if (!last
                && (!changes.setAttributes().isEmpty()
                        || !changes.removedAttributes().isEmpty())) {
            record = null;
            Map<String, byte[]> merged = new HashMap<>(base);
            merged.keySet().removeAll(changes.removedAttributes());
            merged.putAll(changes.setAttributes());
            base = merged;
        }
        stored = true;
        storedId = id;
        pendingSet.clear();
        pendingRemove.clear();
        read.clear();
        principalChange = null;
        maxInactiveChanged = false;
        touchDue = false;
    }

    /** The current value for an event, decoded without counting as a read; null if undecodable. */
    private Object valueForEvent(String name) {
        Object value = decoded.get(name);
        if (value != null || pendingRemove.contains(name)) {
            return value;
        }
        try {
            if (record != null) {
                return record.decode(name, runtime.options().codec()).orElse(null);
            }
            byte[] bytes = pendingSet.containsKey(name) ? pendingSet.get(name) : base.get(name);
            return bytes == null ? null : runtime.options().codec().decode(name, bytes);
        } catch (SessionDataException e) {
            return null;
        }
    }

    private static boolean isImmutable(Object value) {
        return value instanceof String
                || value instanceof Integer
                || value instanceof Long
                || value instanceof Boolean
                || value instanceof Double;
    }

    private boolean exists(String name) {
        return !pendingRemove.contains(name) && (pendingSet.containsKey(name) || base.containsKey(name));
    }

    private void checkValid() {
        if (invalid) {
            throw new IllegalStateException("session has been invalidated");
        }
    }

    private void checkWritable() {
        checkValid();
        if (owner == null) {
            throw new IllegalStateException("session has ended; it can be read but not changed");
        }
    }
}
