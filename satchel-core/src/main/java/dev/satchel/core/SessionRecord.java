package dev.satchel.core;

import dev.satchel.core.codec.AttributeCodec;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One session as a store holds it: metadata plus attributes already encoded to bytes.
 *
 * <p>Immutable and thread-safe. The attribute map is immutable; its byte arrays are shared with
 * the store for speed and must never be modified by anyone.
 *
 * @param id the session's identity
 * @param createdAt when the session was created
 * @param lastAccessedAt when a request last touched it (moved lazily, see the touch throttle)
 * @param maxInactiveInterval idle timeout; zero or negative means no idle timeout
 * @param absoluteDeadline the instant after which the session is dead however active it is
 * @param attributes attribute name to encoded value
 * @param principal the user the session belongs to, if any (indexed by stores that can)
 * @param version incremented by every save that changed the record
 */
public record SessionRecord(
        SessionId id,
        Instant createdAt,
        Instant lastAccessedAt,
        Duration maxInactiveInterval,
        Instant absoluteDeadline,
        Map<String, byte[]> attributes,
        Optional<String> principal,
        long version) {

    /** Validates the record and freezes its attribute map. */
    public SessionRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(lastAccessedAt, "lastAccessedAt");
        Objects.requireNonNull(maxInactiveInterval, "maxInactiveInterval");
        Objects.requireNonNull(absoluteDeadline, "absoluteDeadline");
        Objects.requireNonNull(principal, "principal");
        attributes = AttributeMap.copyOf(Objects.requireNonNull(attributes, "attributes"));
    }

    /** Builds the first version of a session from the change set of the request that created it. */
    public static SessionRecord create(ChangeSet changes) {
        if (!changes.created()) {
            throw new IllegalArgumentException("change set does not create a session");
        }
        Map<String, byte[]> attributes = AttributeMap.copyOf(changes.setAttributes());
        return new SessionRecord(
                changes.id(),
                changes.createdAt(),
                changes.accessedAt().orElse(changes.createdAt()),
                changes.maxInactiveInterval().orElseThrow(),
                changes.absoluteDeadline(),
                attributes,
                changes.principal().flatMap(PrincipalChange::name),
                1);
    }

    /**
     * Returns the record with a change set applied: attributes set and removed, last access moved
     * forward (never back), idle timeout and principal updated, and the id renamed if it changed.
     */
    public SessionRecord apply(ChangeSet changes) {
        Map<String, byte[]> merged =
                ((AttributeMap) attributes).with(changes.setAttributes(), changes.removedAttributes());
        Instant accessed =
                changes.accessedAt().filter(t -> t.isAfter(lastAccessedAt)).orElse(lastAccessedAt);
        Optional<String> newPrincipal =
                changes.principal().map(PrincipalChange::name).orElse(principal);
        return new SessionRecord(
                changes.id(),
                createdAt,
                accessed,
                changes.maxInactiveInterval().orElse(maxInactiveInterval),
                absoluteDeadline,
                merged,
                newPrincipal,
                version + 1);
    }

    /**
     * Decodes one attribute with {@code codec}. Immutable values (strings, boxed numbers, booleans)
     * of up to 256 encoded bytes are decoded once per record version and then shared, which is safe
     * because nobody can change them.
     *
     * @return the value, or empty if the session has no such attribute
     * @throws SessionDataException if the bytes cannot be decoded
     */
    public Optional<Object> decode(String name, AttributeCodec codec) {
        return ((AttributeMap) attributes).decode(name, codec);
    }

    /** The instant the session dies unless touched again: the earlier of idle and absolute expiry. */
    public Instant expiresAt() {
        if (maxInactiveInterval.isZero() || maxInactiveInterval.isNegative()) {
            return absoluteDeadline;
        }
        Instant idle = lastAccessedAt.plus(maxInactiveInterval);
        return idle.isBefore(absoluteDeadline) ? idle : absoluteDeadline;
    }

    /** Tells whether the session is dead at {@code now}, by idle or absolute timeout. */
    public boolean isExpired(Instant now) {
        // Millisecond arithmetic: this runs on every load, and Instant.plus allocates.
        long nowMillis = now.toEpochMilli();
        if (nowMillis >= absoluteDeadline.toEpochMilli()) {
            return true;
        }
        long idle = maxInactiveInterval.toMillis();
        return idle > 0 && nowMillis >= lastAccessedAt.toEpochMilli() + idle;
    }
}
