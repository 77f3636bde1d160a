package dev.satchel.core;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What one request did to one session. Stores save the change set, not the whole record, so two
 * requests that change different attributes on different nodes both persist.
 *
 * <p>{@code createdAt} and {@code absoluteDeadline} always describe the session; stores read them
 * only when {@code created} is true. Immutable and thread-safe; build one with {@link #builder}.
 *
 * @param id the session's id after this request
 * @param previousId the id the session had before this request, if the request changed it
 * @param created whether this request created the session
 * @param invalidated whether this request ended the session; stores delete it and never bring it back
 * @param createdAt when the session was created
 * @param absoluteDeadline when the session dies regardless of activity
 * @param accessedAt if present, move the last-access time forward to this instant
 * @param maxInactiveInterval if present, the new idle timeout
 * @param setAttributes attributes written, encoded
 * @param removedAttributes attributes removed
 * @param principal if present, the new owner of the session
 * @param expectations attributes that must hold these values for the save to apply at all; only
 *     a {@link ConditionalSaveStore} honours them, and only on a plain update (not a creation, an
 *     invalidation or an id change). Empty for an ordinary save, which applies unconditionally.
 */
public record ChangeSet(
        SessionId id,
        Optional<SessionId> previousId,
        boolean created,
        boolean invalidated,
        Instant createdAt,
        Instant absoluteDeadline,
        Optional<Instant> accessedAt,
        Optional<Duration> maxInactiveInterval,
        Map<String, byte[]> setAttributes,
        Set<String> removedAttributes,
        Optional<PrincipalChange> principal,
        Map<String, ExpectedValue> expectations) {

    /** Validates the change set and freezes its collections. */
    public ChangeSet {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(previousId, "previousId");
        Objects.requireNonNull(createdAt, "createdAt");
        Objects.requireNonNull(absoluteDeadline, "absoluteDeadline");
        Objects.requireNonNull(accessedAt, "accessedAt");
        Objects.requireNonNull(maxInactiveInterval, "maxInactiveInterval");
        Objects.requireNonNull(principal, "principal");
        expectations = Map.copyOf(expectations);
        if (!expectations.isEmpty() && (created || invalidated || previousId.isPresent())) {
            throw new IllegalArgumentException(
                    "expectations apply to a plain update only, not to a creation, invalidation or id change");
        }
        // copyOf returns an already-immutable collection as is, so a built change set is copied once.
        setAttributes = Map.copyOf(setAttributes);
        removedAttributes = Set.copyOf(removedAttributes);
        if (created && maxInactiveInterval.isEmpty()) {
            throw new IllegalArgumentException("a change set that creates a session needs its idle timeout");
        }
        if (created && previousId.isPresent()) {
            throw new IllegalArgumentException("a new session has no previous id");
        }
        for (String name :
                removedAttributes.isEmpty() || setAttributes.isEmpty() ? Set.<String>of() : removedAttributes) {
            if (setAttributes.containsKey(name)) {
                throw new IllegalArgumentException("attribute both set and removed: " + name);
            }
        }
    }

    /** Starts a change set for the session {@code id} with the given lifetime bounds. */
    public static Builder builder(SessionId id, Instant createdAt, Instant absoluteDeadline) {
        return new Builder(id, createdAt, absoluteDeadline);
    }

    /** Tells whether saving this change set would write nothing. */
    public boolean isEmpty() {
        return !created
                && !invalidated
                && previousId.isEmpty()
                && accessedAt.isEmpty()
                && maxInactiveInterval.isEmpty()
                && setAttributes.isEmpty()
                && removedAttributes.isEmpty()
                && principal.isEmpty();
    }

    /** Collects the changes of one request. Not thread-safe; one request owns one builder. */
    public static final class Builder {
        private final SessionId originalId;
        private final Instant createdAt;
        private final Instant absoluteDeadline;
        private SessionId id;
        private boolean created;
        private boolean invalidated;
        private Instant accessedAt;
        private Duration maxInactiveInterval;
        private Map<String, byte[]> set = Map.of();
        private Set<String> removed = Set.of();
        private PrincipalChange principal;
        private Map<String, ExpectedValue> expectations = Map.of();

        private Builder(SessionId id, Instant createdAt, Instant absoluteDeadline) {
            this.originalId = Objects.requireNonNull(id, "id");
            this.id = id;
            this.createdAt = Objects.requireNonNull(createdAt, "createdAt");
            this.absoluteDeadline = Objects.requireNonNull(absoluteDeadline, "absoluteDeadline");
        }

        /** Marks the change set as creating the session. */
        public Builder created() {
            this.created = true;
            return this;
        }

        /** Marks the session as ended. */
        public Builder invalidated() {
            this.invalidated = true;
            return this;
        }

        /** Gives the session a new id; the old one dies when the change set is saved. */
        public Builder changeId(SessionId newId) {
            this.id = Objects.requireNonNull(newId, "newId");
            return this;
        }

        /** Moves the last-access time to {@code instant}. */
        public Builder accessedAt(Instant instant) {
            this.accessedAt = Objects.requireNonNull(instant, "instant");
            return this;
        }

        /** Sets the idle timeout. */
        public Builder maxInactiveInterval(Duration interval) {
            this.maxInactiveInterval = Objects.requireNonNull(interval, "interval");
            return this;
        }

        /** Writes an attribute, replacing an earlier set or removal in this change set. */
        public Builder set(String name, byte[] encoded) {
            if (!removed.isEmpty()) {
                removed.remove(name);
            }
            if (set.isEmpty()) {
                set = new HashMap<>(4);
            }
            set.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(encoded, "encoded"));
            return this;
        }

        /** Removes an attribute, replacing an earlier set in this change set. */
        public Builder remove(String name) {
            if (!set.isEmpty()) {
                set.remove(name);
            }
            if (removed.isEmpty()) {
                removed = new HashSet<>(4);
            }
            removed.add(Objects.requireNonNull(name, "name"));
            return this;
        }

        /** Changes the principal the session belongs to. */
        public Builder principal(PrincipalChange change) {
            this.principal = Objects.requireNonNull(change, "change");
            return this;
        }

        /**
         * Makes the save conditional: it applies only if attribute {@code name} holds {@code value}
         * when the store applies it (see {@link ConditionalSaveStore}).
         */
        public Builder expect(String name, ExpectedValue value) {
            if (expectations.isEmpty()) {
                expectations = new HashMap<>(2);
            }
            expectations.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Builds the immutable change set. */
        public ChangeSet build() {
            boolean renamed = !created && !id.equals(originalId);
            return new ChangeSet(
                    id,
                    renamed ? Optional.of(originalId) : Optional.empty(),
                    created,
                    invalidated,
                    createdAt,
                    absoluteDeadline,
                    Optional.ofNullable(accessedAt),
                    Optional.ofNullable(maxInactiveInterval),
                    Map.copyOf(set),
                    Set.copyOf(removed),
                    Optional.ofNullable(principal),
                    Map.copyOf(expectations));
        }
    }
}
