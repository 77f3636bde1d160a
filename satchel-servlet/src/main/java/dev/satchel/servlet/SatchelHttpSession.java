package dev.satchel.servlet;

import dev.satchel.core.AttributeEncodingException;
import dev.satchel.core.ChangeSet;
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
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link HttpSession} one request sees: the stored record plus what this request changed
 * ({@link PendingChanges}). Values are decoded lazily, on first read, and encoded when set, so an
 * unsupported type fails where the application set it. Confined to the request's thread, like the
 * request itself.
 */
final class SatchelHttpSession implements HttpSession {
    private static final Logger LOG = LoggerFactory.getLogger(SatchelHttpSession.class);

    private final RequestSessions owner;
    private final SessionFilterRuntime runtime;
    private final PendingChanges pending;
    private final boolean isNew;
    private final Instant lastAccessedAt;
    private boolean invalid;
    /** Between invalidate() and its end: sessionDestroyed listeners still read the attributes. */
    private boolean ending;
    /** Between the start of unbinding at invalidate() and its end: reads only. */
    private boolean unbinding;

    /** The stored record while its attributes are still the stored ones; it memoises decoded values. */
    private SessionRecord record;

    private final Map<String, Object> decoded = new HashMap<>();

    private SatchelHttpSession(
            RequestSessions owner,
            SessionFilterRuntime runtime,
            PendingChanges pending,
            Instant lastAccessedAt,
            SessionRecord record) {
        this.owner = owner;
        this.runtime = runtime;
        this.pending = pending;
        this.isNew = !pending.isStored();
        this.lastAccessedAt = lastAccessedAt;
        this.record = record;
    }

    /** A session this request just created. */
    static SatchelHttpSession created(RequestSessions owner, SessionFilterRuntime runtime, Instant now) {
        SessionOptions o = runtime.options();
        PendingChanges pending = PendingChanges.created(
                SessionId.random(), now, now.plus(o.absoluteTimeout()), o.idleTimeout(), o.saveMode());
        return new SatchelHttpSession(owner, runtime, pending, now, null);
    }

    /** A stored session this request found. */
    static SatchelHttpSession loaded(
            RequestSessions owner, SessionFilterRuntime runtime, SessionRecord r, Instant now) {
        boolean touchDue = false;
        long idleMillis = r.maxInactiveInterval().toMillis();
        if (idleMillis > 0) {
            long throttle = (long) (idleMillis * runtime.options().touchFraction());
            touchDue = now.toEpochMilli() - r.lastAccessedAt().toEpochMilli() >= throttle;
        }
        PendingChanges pending = PendingChanges.stored(r, runtime.options().saveMode(), touchDue);
        return new SatchelHttpSession(owner, runtime, pending, r.lastAccessedAt(), r);
    }

    /** A read-only view of a session that ended elsewhere, for {@code sessionDestroyed}. */
    static SatchelHttpSession detached(SessionFilterRuntime runtime, SessionRecord r) {
        PendingChanges pending = PendingChanges.stored(r, runtime.options().saveMode(), false);
        return new SatchelHttpSession(null, runtime, pending, r.lastAccessedAt(), null);
    }

    // ---- HttpSession ---------------------------------------------------------------------

    @Override
    public long getCreationTime() {
        checkValid();
        return pending.createdAt().toEpochMilli();
    }

    @Override
    public String getId() {
        return pending.id().value();
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
        // An ended session is never saved again, so recording the change there is harmless.
        pending.maxInactive(interval <= 0 ? Duration.ZERO : Duration.ofSeconds(interval));
        if (invalid || owner == null) {
            return;
        }
        owner.changed();
    }

    @Override
    public int getMaxInactiveInterval() {
        Duration maxInactive = pending.maxInactive();
        return maxInactive.isZero() ? -1 : (int) Math.min(Integer.MAX_VALUE, maxInactive.toSeconds());
    }

    @Override
    public Object getAttribute(String name) {
        checkValid();
        if (name == null || pending.isRemoved(name)) {
            return null;
        }
        Object value = decoded.get(name);
        if (value == null) {
            try {
                if (record != null) {
                    value = record.decode(name, runtime.options().codec()).orElse(null);
                } else {
                    byte[] bytes = pending.storedBytes(name);
                    value = bytes == null ? null : runtime.options().codec().decode(name, bytes);
                }
            } catch (SessionDataException e) {
                // Drop the value, keep the session: an undecodable attribute after a deploy must not
                // turn every request of this user into a 500.
                LOG.warn("dropping undecodable attribute '{}' of {}: {}", name, pending.id(), e.getMessage());
                runtime.options().metrics().unreadableAttribute();
                pending.dropUndecodable(name);
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
        pending.read(name);
        return value;
    }

    @Override
    public Enumeration<String> getAttributeNames() {
        checkValid();
        return Collections.enumeration(pending.names());
    }

    @Override
    public void setAttribute(String name, Object value) {
        Objects.requireNonNull(name, "attribute name");
        if (value == null) {
            removeAttribute(name);
            return;
        }
        checkWritable();
        PendingChanges.checkPrincipal(name, value);
        byte[] encoded;
        try {
            encoded = runtime.options().codec().encode(name, value);
        } catch (AttributeEncodingException e) {
            // Servlet 6 section 7.7.2: a value the container cannot store is an IllegalArgumentException.
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        boolean existed = pending.exists(name);
        // Decoded even without attribute listeners: the old value may be a binding listener.
        Object old = existed ? valueForEvent(name) : null;
        pending.set(name, value, encoded);
        decoded.put(name, value);
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
        if (name == null || !pending.exists(name)) {
            return;
        }
        Object old = valueForEvent(name);
        pending.remove(name);
        decoded.remove(name);
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
        // As Tomcat: once attributes are being unbound, the session can be read but not changed,
        // so a listener cannot write to a session on its way out (and save it, or send its cookie).
        unbinding = true;
        for (String name : pending.names()) {
            Object value = valueForEvent(name);
            if (value instanceof HttpSessionBindingListener unbound) {
                unbound.valueUnbound(new HttpSessionBindingEvent(this, name, value));
            }
            runtime.events().attributeRemoved(this, name, value);
        }
    }

    SessionId id() {
        return pending.id();
    }

    boolean isInvalid() {
        return invalid;
    }

    boolean isStored() {
        return pending.isStored();
    }

    boolean idChanged() {
        return pending.idChanged();
    }

    void markInvalid() {
        invalid = true;
    }

    void changeId(SessionId newId) {
        pending.changeId(newId);
    }

    /** The change set that ends this session in the store. */
    ChangeSet invalidation() {
        return pending.invalidation();
    }

    /** Everything this request changed since the last save, as one change set. */
    ChangeSet changes(Instant now) {
        return pending.changes(now, this::freshBytes);
    }

    /**
     * An update of a session only this request knows (created by it, not yet stored): nobody else
     * can change it, so it is applied as {@code setAttribute}.
     */
    <T> T updateLocally(String name, Class<T> type, Function<Optional<T>, T> change) {
        Object held = getAttribute(name);
        T next = Objects.requireNonNull(
                change.apply(Optional.ofNullable(held).map(v -> cast(name, v, type))),
                "the update function returned null");
        setAttribute(name, next);
        return next;
    }

    /**
     * Takes in a value an atomic update stored for this session, as if the request had read it
     * from the store: later reads see it, and no save of this request writes it again.
     *
     * @param before the value the update replaced, for the attribute listeners
     */
    void updated(String name, Object value, byte[] encoded, Optional<?> before) {
        pending.storedByUpdate(name, encoded);
        record = null; // its memoised values predate the update
        if (isImmutable(value)) {
            decoded.remove(name);
        } else {
            decoded.put(name, value);
        }
        if (before.isPresent()) {
            runtime.events().attributeReplaced(this, name, before.get());
        } else {
            runtime.events().attributeAdded(this, name, value);
        }
    }

    /** See {@link SatchelSessions#update}; the request's sessions do the work. */
    <T> T update(String name, Class<T> type, Function<Optional<T>, T> change) {
        if (owner == null) {
            throw new IllegalStateException("session has ended; it can be read but not changed");
        }
        return owner.update(this, name, type, change);
    }

    /** See {@link PendingChanges#forgetRead}. */
    void forgetRead(String name) {
        pending.forgetRead(name);
    }

    /** Checks that the session may still change: an update must fail as setAttribute would. */
    void checkUpdatable() {
        checkWritable();
    }

    static <T> T cast(String name, Object value, Class<T> type) {
        if (!type.isInstance(value)) {
            throw new IllegalArgumentException(
                    "attribute '" + name + "' holds a " + value.getClass().getName() + ", not a " + type.getName());
        }
        return type.cast(value);
    }

    /** Records a saved change set; see {@link PendingChanges#saved}. */
    void saved(ChangeSet changes, boolean last) {
        if (pending.saved(changes, last)) {
            record = null;
        }
    }

    /** An attribute's bytes as its value is now: a decoded value may have been changed in place. */
    private byte[] freshBytes(String name) {
        Object value = decoded.get(name);
        return value == null
                ? pending.storedBytes(name)
                : runtime.options().codec().encode(name, value);
    }

    /** The current value for an event, decoded without counting as a read; null if undecodable. */
    private Object valueForEvent(String name) {
        Object value = decoded.get(name);
        if (value != null || pending.isRemoved(name)) {
            return value;
        }
        try {
            if (record != null) {
                return record.decode(name, runtime.options().codec()).orElse(null);
            }
            byte[] bytes = pending.currentBytes(name);
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

    private void checkValid() {
        if (invalid) {
            throw new IllegalStateException("session has been invalidated");
        }
    }

    private void checkWritable() {
        checkValid();
        if (owner == null || unbinding) {
            throw new IllegalStateException("session has ended; it can be read but not changed");
        }
    }
}
