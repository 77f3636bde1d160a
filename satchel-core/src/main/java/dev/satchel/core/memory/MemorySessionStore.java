package dev.satchel.core.memory;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ObservableSessionStore;
import dev.satchel.core.PrincipalIndexedStore;
import dev.satchel.core.SessionEvent;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionLimitException;
import dev.satchel.core.SessionListener;
import dev.satchel.core.SessionListeners;
import dev.satchel.core.SessionRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Sessions in this JVM's heap: the {@code local} strategy. Fast, and lost with the process; it needs
 * sticky routing to be useful in a cluster.
 *
 * <p>Expired sessions are never returned; they are reclaimed by a background sweep that looks only
 * at sessions whose deadline has passed (see {@link ExpiryQueue}), or on the read that finds them.
 *
 * <p><b>At the cap</b> ({@link Builder#maxSessions}), a request to create a session first reclaims
 * whatever has expired; if the store is still full it throws {@link SessionLimitException}, which
 * the servlet filter answers with 503. Live sessions are never evicted to make room, because that
 * would silently log a user out.
 *
 * <p>Thread-safe: saves to one session are atomic, and saves of different attributes merge.
 */
public final class MemorySessionStore implements PrincipalIndexedStore, ObservableSessionStore {

    /** Default cap on live sessions. */
    public static final long DEFAULT_MAX_SESSIONS = 1_000_000;

    /** Default period of the background expiry sweep. */
    public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofSeconds(5);

    private final Clock clock;
    private final long maxSessions;
    private final ConcurrentHashMap<SessionId, SessionRecord> sessions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Set<SessionId>> byPrincipal = new ConcurrentHashMap<>();
    private final ExpiryQueue expiry = new ExpiryQueue();
    private final SessionListeners listeners = new SessionListeners();
    private final Optional<ScheduledExecutorService> sweeper;

    private MemorySessionStore(Builder builder) {
        this.clock = builder.clock;
        this.maxSessions = builder.maxSessions;
        if (builder.sweepInterval.isZero()) {
            this.sweeper = Optional.empty();
        } else {
            ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "satchel-memory-expiry");
                t.setDaemon(true);
                return t;
            });
            long period = builder.sweepInterval.toMillis();
            executor.scheduleWithFixedDelay(this::expireDue, period, period, TimeUnit.MILLISECONDS);
            this.sweeper = Optional.of(executor);
        }
    }

    /** Starts a configuration with the defaults: system clock, 1,000,000 sessions, 5 s sweep. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Optional<SessionRecord> load(SessionId id) {
        SessionRecord record = sessions.get(id);
        if (record == null) {
            return Optional.empty();
        }
        if (record.isExpired(clock.instant())) {
            reclaim(record, SessionEvent.Type.EXPIRED);
            return Optional.empty();
        }
        return Optional.of(record);
    }

    @Override
    public SaveOutcome save(ChangeSet changes) {
        Objects.requireNonNull(changes, "changes");
        if (changes.invalidated()) {
            boolean deleted = changes.previousId().map(this::delete).orElse(false);
            deleted |= delete(changes.id());
            return deleted ? SaveOutcome.INVALIDATED : SaveOutcome.GONE;
        }
        if (changes.created()) {
            return create(changes);
        }
        if (changes.previousId().isPresent()) {
            return rename(changes.previousId().get(), changes);
        }
        return update(changes);
    }

    private SaveOutcome update(ChangeSet changes) {
        Instant now = clock.instant();
        SessionRecord[] before = new SessionRecord[1];
        SessionRecord after = sessions.computeIfPresent(changes.id(), (id, old) -> {
            before[0] = old;
            return old.isExpired(now) ? null : old.apply(changes);
        });
        if (after == null) {
            if (before[0] != null) {
                forget(before[0], SessionEvent.Type.EXPIRED);
            }
            return SaveOutcome.GONE;
        }
        reindex(before[0], after);
        if (changes.maxInactiveInterval().isPresent()) {
            expiry.schedule(after.id(), after.expiresAt());
        }
        return SaveOutcome.UPDATED;
    }

    @Override
    public boolean delete(SessionId id) {
        SessionRecord record = sessions.get(id);
        if (record == null) {
            return false;
        }
        boolean expired = record.isExpired(clock.instant());
        return reclaim(record, expired ? SessionEvent.Type.EXPIRED : SessionEvent.Type.DELETED) && !expired;
    }

    @Override
    public List<SessionRecord> findByPrincipal(String principal) {
        Set<SessionId> ids = byPrincipal.get(principal);
        if (ids == null) {
            return List.of();
        }
        List<SessionRecord> found = new ArrayList<>(ids.size());
        for (SessionId id : ids) {
            load(id).filter(r -> r.principal().filter(principal::equals).isPresent())
                    .ifPresent(found::add);
        }
        return found;
    }

    @Override
    public AutoCloseable subscribe(SessionListener listener) {
        return listeners.add(listener);
    }

    /**
     * Reclaims every session whose deadline has passed, looking at no live session whose deadline
     * has not. Runs on the background sweeper; tests with a fake clock call it directly.
     *
     * @return the number of sessions checked
     */
    public synchronized int expireDue() {
        Instant now = clock.instant();
        return expiry.drainDue(now, id -> {
            SessionRecord record = sessions.get(id);
            if (record == null) {
                return null;
            }
            if (record.isExpired(now)) {
                reclaim(record, SessionEvent.Type.EXPIRED);
                return null;
            }
            return record.expiresAt();
        });
    }

    /**
     * The live sessions held now, for copying them elsewhere (a node joining a replicated cluster).
     * Weakly consistent: a session saved during the call may or may not be in it.
     */
    public List<SessionRecord> snapshot() {
        Instant now = clock.instant();
        List<SessionRecord> live = new ArrayList<>(sessions.size());
        for (SessionRecord r : sessions.values()) {
            if (!r.isExpired(now)) {
                live.add(r);
            }
        }
        return live;
    }

    /**
     * Stores exactly this copy of a session, in place of whatever version is held: for a replica
     * taking a newer copy from another node, where merging would keep attributes the newer copy
     * no longer has. Publishes CREATED only when no copy was held. Not capped by {@link
     * Builder#maxSessions}: a replica refusing a copy would lose the session.
     */
    public void replace(SessionRecord copy) {
        Objects.requireNonNull(copy, "copy");
        SessionRecord[] before = new SessionRecord[1];
        sessions.compute(copy.id(), (id, old) -> {
            before[0] = old;
            return copy;
        });
        reindex(before[0], copy);
        expiry.schedule(copy.id(), copy.expiresAt());
        if (before[0] == null) {
            publish(SessionEvent.Type.CREATED, copy);
        }
    }

    /** Number of sessions held, expired ones not yet reclaimed included. */
    public int size() {
        return sessions.size();
    }

    @Override
    public void close() {
        sweeper.ifPresent(ScheduledExecutorService::shutdownNow);
    }

    private SaveOutcome create(ChangeSet changes) {
        if (sessions.size() >= maxSessions) {
            expireDue();
            if (sessions.size() >= maxSessions) {
                throw new SessionLimitException(maxSessions);
            }
        }
        SessionRecord record = SessionRecord.create(changes);
        if (sessions.putIfAbsent(record.id(), record) != null) {
            // Ids are too random to collide, so this is a second first save of the same session
            // (two requests racing): it merges in. If the one there had expired, it is gone now.
            SaveOutcome merged = update(changes);
            return merged == SaveOutcome.GONE ? create(changes) : merged;
        }
        reindex(null, record);
        expiry.schedule(record.id(), record.expiresAt());
        publish(SessionEvent.Type.CREATED, record);
        return SaveOutcome.CREATED;
    }

    private SaveOutcome rename(SessionId previousId, ChangeSet changes) {
        SessionRecord old = sessions.remove(previousId);
        if (old == null) {
            return SaveOutcome.GONE;
        }
        expiry.cancel(previousId);
        unindex(old);
        if (old.isExpired(clock.instant())) {
            publish(SessionEvent.Type.EXPIRED, old);
            return SaveOutcome.GONE;
        }
        SessionRecord renamed = old.apply(changes);
        sessions.put(renamed.id(), renamed);
        reindex(null, renamed);
        expiry.schedule(renamed.id(), renamed.expiresAt());
        return SaveOutcome.UPDATED;
    }

    /** Removes exactly this version of a session; the one caller that wins fires the event. */
    private boolean reclaim(SessionRecord record, SessionEvent.Type type) {
        if (!sessions.remove(record.id(), record)) {
            return false;
        }
        forget(record, type);
        return true;
    }

    private void forget(SessionRecord record, SessionEvent.Type type) {
        expiry.cancel(record.id());
        unindex(record);
        publish(type, record);
    }

    private void reindex(SessionRecord before, SessionRecord after) {
        Optional<String> old = before == null ? Optional.empty() : before.principal();
        if (old.equals(after.principal()) && before != null) {
            return;
        }
        if (before != null) {
            unindex(before);
        }
        after.principal().ifPresent(p -> byPrincipal
                .computeIfAbsent(p, k -> ConcurrentHashMap.newKeySet())
                .add(after.id()));
    }

    private void unindex(SessionRecord record) {
        record.principal()
                .ifPresent(p -> byPrincipal.computeIfPresent(p, (k, ids) -> {
                    ids.remove(record.id());
                    return ids.isEmpty() ? null : ids;
                }));
    }

    private void publish(SessionEvent.Type type, SessionRecord record) {
        if (!listeners.isEmpty()) {
            listeners.publish(new SessionEvent(type, record.id(), Optional.of(record)));
        }
    }

    /** Configures a {@link MemorySessionStore}. Not thread-safe; each setting may be given once. */
    public static final class Builder {
        private Clock clock = Clock.systemUTC();
        private long maxSessions = DEFAULT_MAX_SESSIONS;
        private Duration sweepInterval = DEFAULT_SWEEP_INTERVAL;

        private Builder() {}

        /** The clock that decides expiry; tests pass a fake one. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The most live sessions held at once; see the class documentation for behaviour at the cap. */
        public Builder maxSessions(long maxSessions) {
            if (maxSessions < 1) {
                throw new IllegalArgumentException("maxSessions must be at least 1, got " + maxSessions);
            }
            this.maxSessions = maxSessions;
            return this;
        }

        /** Period of the background sweep; {@link Duration#ZERO} turns it off (call expireDue). */
        public Builder sweepInterval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.isNegative()) {
                throw new IllegalArgumentException("sweepInterval must not be negative: " + interval);
            }
            this.sweepInterval = interval;
            return this;
        }

        /** Builds and starts the store. */
        public MemorySessionStore build() {
            return new MemorySessionStore(this);
        }
    }
}
