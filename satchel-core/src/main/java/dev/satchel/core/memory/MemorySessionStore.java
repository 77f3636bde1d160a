package dev.satchel.core.memory;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ConditionalSaveStore;
import dev.satchel.core.ExpectedValue;
import dev.satchel.core.ObservableSessionStore;
import dev.satchel.core.PrincipalIndexedStore;
import dev.satchel.core.ReportingStore;
import dev.satchel.core.SessionEvent;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionLimitException;
import dev.satchel.core.SessionListener;
import dev.satchel.core.SessionListeners;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.support.DaemonThreads;
import dev.satchel.core.support.Durations;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * Sessions in this JVM's heap: the {@code local} strategy. Fast, and lost with the process; it needs
 * sticky routing to be useful in a cluster.
 *
 * <p>Expired sessions are never returned; they are reclaimed by a background sweep that looks only
 * at sessions whose deadline has passed (see {@link ExpiryQueue}), or on the read that finds them.
 *
 * <p><b>At the cap.</b> The store holds sessions up to a budget of heap bytes ({@link
 * Builder#maxBytes}, by default a quarter of the JVM's maximum heap), estimated from each session's
 * attributes plus a fixed overhead; {@link Builder#maxSessions} may add a cap on their number. When
 * either is reached, a request to create a session first reclaims whatever has expired; if the
 * store is still full it throws {@link SessionLimitException}, which the servlet filter answers
 * with 503 and {@code Retry-After}. Live sessions are never evicted to make room, because that
 * would silently log a user out, and existing sessions may still be saved (and grow): refusing
 * their writes would lose a user's data, and only new sessions are how a flood fills a heap.
 *
 * <p>Thread-safe: saves to one session are atomic, and saves of different attributes merge. Every
 * change to a session, its principal index entry and its expiry check included, happens inside
 * the map's {@code compute} for its id, so a delete racing a save either sees the save or makes
 * it find nothing; it never leaves the session, or an index entry of it, behind.
 *
 * <p>Counters ({@link #counters()}): {@code sessions_held} and {@code estimated_bytes} held now,
 * {@code expired} sessions reclaimed at their deadline, and {@code refused_full} new sessions
 * refused at the cap, both since start.
 */
public final class MemorySessionStore
        implements PrincipalIndexedStore, ObservableSessionStore, ReportingStore, ConditionalSaveStore {

    /** Default cap on the number of live sessions: none, the byte budget decides. */
    public static final long DEFAULT_MAX_SESSIONS = Long.MAX_VALUE;

    /** Default period of the background expiry sweep. */
    public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofSeconds(5);

    private final Clock clock;
    private final long maxSessions;
    private final HeapBudget budget;
    private final ConcurrentHashMap<SessionId, SessionRecord> sessions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Set<SessionId>> byPrincipal = new ConcurrentHashMap<>();
    private final ExpiryQueue expiry = new ExpiryQueue();
    private final SessionListeners listeners = new SessionListeners();
    private final Optional<ScheduledExecutorService> sweeper;
    private final LongAdder expired = new LongAdder();
    private final LongAdder refusedFull = new LongAdder();

    private MemorySessionStore(Builder builder) {
        this.clock = builder.clock;
        this.maxSessions = builder.maxSessions;
        this.budget = new HeapBudget(builder.maxBytes);
        if (builder.sweepInterval.isZero()) {
            this.sweeper = Optional.empty();
        } else {
            ScheduledExecutorService executor =
                    Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("satchel-memory-expiry"));
            long period = builder.sweepInterval.toMillis();
            executor.scheduleWithFixedDelay(this::expireDue, period, period, TimeUnit.MILLISECONDS);
            this.sweeper = Optional.of(executor);
        }
    }

    /** Starts a configuration with the defaults: system clock, a quarter of the heap, 5 s sweep. */
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
        SessionRecord[] expired = new SessionRecord[1];
        boolean[] conflict = new boolean[1];
        SessionRecord after = sessions.computeIfPresent(changes.id(), (id, old) -> {
            if (old.isExpired(now)) {
                expired[0] = old;
                forget(old);
                budget.replaced(old, null);
                return null;
            }
            if (!meetsExpectations(old, changes)) {
                conflict[0] = true;
                return old;
            }
            SessionRecord next = old.apply(changes);
            reindex(old, next);
            budget.replaced(old, next);
            if (changes.maxInactiveInterval().isPresent()) {
                expiry.schedule(id, next.expiresAt());
            }
            return next;
        });
        if (after == null) {
            if (expired[0] != null) {
                publish(SessionEvent.Type.EXPIRED, expired[0]);
            }
            return SaveOutcome.GONE;
        }
        return conflict[0] ? SaveOutcome.CONFLICT : SaveOutcome.UPDATED;
    }

    private static boolean meetsExpectations(SessionRecord record, ChangeSet changes) {
        for (var expected : changes.expectations().entrySet()) {
            ExpectedValue value = expected.getValue();
            if (!value.matches(Optional.ofNullable(record.attributes().get(expected.getKey())))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean delete(SessionId id) {
        Instant now = clock.instant();
        // Whatever version is there: a save that swapped it a moment ago must not save the session.
        Optional<SessionRecord> removed = remove(id, any -> true);
        if (removed.isEmpty()) {
            return false;
        }
        boolean expired = removed.get().isExpired(now);
        publish(expired ? SessionEvent.Type.EXPIRED : SessionEvent.Type.DELETED, removed.get());
        return !expired;
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
     * @return the number of sessions this call reclaimed
     */
    public synchronized int expireDue() {
        Instant now = clock.instant();
        int[] reclaimed = new int[1];
        expiry.drainDue(now, id -> {
            SessionRecord record = sessions.get(id);
            if (record == null) {
                return null;
            }
            if (record.isExpired(now)) {
                if (reclaim(record, SessionEvent.Type.EXPIRED)) {
                    reclaimed[0]++;
                }
                return null;
            }
            return record.expiresAt();
        });
        return reclaimed[0];
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
     * Builder#maxSessions} or {@link Builder#maxBytes}: a replica refusing a copy would lose the
     * session. Its bytes still count towards the budget, so new sessions are refused sooner.
     */
    public void replace(SessionRecord copy) {
        Objects.requireNonNull(copy, "copy");
        SessionRecord[] before = new SessionRecord[1];
        sessions.compute(copy.id(), (id, old) -> {
            before[0] = old;
            reindex(old, copy);
            budget.replaced(old, copy);
            expiry.schedule(id, copy.expiresAt());
            return copy;
        });
        if (before[0] == null) {
            publish(SessionEvent.Type.CREATED, copy);
        }
    }

    /** Estimated heap bytes of the sessions held, expired ones not yet reclaimed included. */
    public long estimatedBytes() {
        return budget.usedBytes();
    }

    @Override
    public Map<String, Long> counters() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("sessions_held", (long) sessions.size());
        counters.put("estimated_bytes", budget.usedBytes());
        counters.put("expired", expired.sum());
        counters.put("refused_full", refusedFull.sum());
        return Collections.unmodifiableMap(counters);
    }

    /** Number of sessions held, expired ones not yet reclaimed included. */
    public int size() {
        return sessions.size();
    }

    /** Entries in the principal index, for tests that check no dead entry is left behind. */
    int indexedIds() {
        return byPrincipal.values().stream().mapToInt(Set::size).sum();
    }

    /** Sessions with a pending expiry check, for tests that check no dead entry is left behind. */
    int scheduledChecks() {
        return expiry.size();
    }

    @Override
    public void close() {
        sweeper.ifPresent(ScheduledExecutorService::shutdownNow);
    }

    private SaveOutcome create(ChangeSet changes) {
        if (isFull()) {
            expireDue();
            if (sessions.size() >= maxSessions) {
                refusedFull.increment();
                throw new SessionLimitException(maxSessions);
            }
            if (!budget.hasRoom()) {
                refusedFull.increment();
                throw new SessionLimitException("session limit reached: live sessions take an estimated "
                        + budget.usedBytes() + " of " + budget.maxBytes() + " heap bytes allowed");
            }
        }
        SessionRecord record = SessionRecord.create(changes);
        if (!insert(record)) {
            // Ids are too random to collide, so this is a second first save of the same session
            // (two requests racing): it merges in. If the one there had expired, it is gone now.
            SaveOutcome merged = update(changes);
            return merged == SaveOutcome.GONE ? create(changes) : merged;
        }
        publish(SessionEvent.Type.CREATED, record);
        return SaveOutcome.CREATED;
    }

    private boolean isFull() {
        return sessions.size() >= maxSessions || !budget.hasRoom();
    }

    /**
     * Takes the old id away first, so of two racing renames, or a rename and a delete, exactly one
     * finds the session. The new id is random and not yet known to anyone, so nobody misses it
     * between the two steps.
     */
    private SaveOutcome rename(SessionId previousId, ChangeSet changes) {
        Optional<SessionRecord> old = remove(previousId, any -> true);
        if (old.isEmpty()) {
            return SaveOutcome.GONE;
        }
        if (old.get().isExpired(clock.instant())) {
            publish(SessionEvent.Type.EXPIRED, old.get());
            return SaveOutcome.GONE;
        }
        SessionRecord renamed = old.get().apply(changes);
        sessions.compute(renamed.id(), (id, taken) -> {
            if (taken != null) {
                forget(taken); // as before: the new id is the caller's choice, and it wins
            }
            reindex(null, renamed);
            budget.replaced(taken, renamed);
            expiry.schedule(id, renamed.expiresAt());
            return renamed;
        });
        return SaveOutcome.UPDATED;
    }

    /** Stores a session under an id nobody holds, with its index entry and expiry check. */
    private boolean insert(SessionRecord record) {
        boolean[] inserted = new boolean[1];
        sessions.computeIfAbsent(record.id(), id -> {
            inserted[0] = true;
            reindex(null, record);
            budget.replaced(null, record);
            expiry.schedule(id, record.expiresAt());
            return record;
        });
        return inserted[0];
    }

    /** Removes exactly this version of a session; the one caller that wins fires the event. */
    private boolean reclaim(SessionRecord record, SessionEvent.Type type) {
        Optional<SessionRecord> removed = remove(record.id(), current -> current == record);
        removed.ifPresent(r -> publish(type, r));
        if (removed.isPresent() && type == SessionEvent.Type.EXPIRED) {
            expired.increment();
        }
        return removed.isPresent();
    }

    /**
     * Removes the session if {@code which} accepts the version there, with its index entry and
     * expiry check, atomically with respect to every other change to that id. Events are left to
     * the caller: listeners may call the store, which they must not do inside the map's lock.
     */
    private Optional<SessionRecord> remove(SessionId id, Predicate<SessionRecord> which) {
        SessionRecord[] removed = new SessionRecord[1];
        sessions.computeIfPresent(id, (key, current) -> {
            if (!which.test(current)) {
                return current;
            }
            removed[0] = current;
            forget(current);
            budget.replaced(current, null);
            return null;
        });
        return Optional.ofNullable(removed[0]);
    }

    /** Drops a session's index entry and expiry check; runs inside the map's lock for its id. */
    private void forget(SessionRecord record) {
        expiry.cancel(record.id());
        unindex(record);
    }

    private void reindex(SessionRecord before, SessionRecord after) {
        Optional<String> old = before == null ? Optional.empty() : before.principal();
        if (old.equals(after.principal()) && before != null) {
            return;
        }
        if (before != null) {
            unindex(before);
        }
        // Added inside compute, so it cannot land in a set that unindex just dropped as empty.
        after.principal()
                .ifPresent(p -> byPrincipal.compute(p, (k, ids) -> {
                    Set<SessionId> set = ids == null ? ConcurrentHashMap.newKeySet() : ids;
                    set.add(after.id());
                    return set;
                }));
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
        private long maxBytes = HeapBudget.defaultMaxBytes();
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

        /**
         * The most heap, in estimated bytes, that live sessions may take before new ones are
         * refused (default: a quarter of the JVM's maximum heap). Leave room for everything else
         * the process holds; see the class documentation for behaviour at the budget.
         */
        public Builder maxBytes(long maxBytes) {
            if (maxBytes < HeapBudget.PER_SESSION) {
                throw new IllegalArgumentException("maxBytes must hold at least one session, got " + maxBytes);
            }
            this.maxBytes = maxBytes;
            return this;
        }

        /** Period of the background sweep; {@link Duration#ZERO} turns it off (call expireDue). */
        public Builder sweepInterval(Duration interval) {
            this.sweepInterval = Durations.requireNonNegative(interval, "sweepInterval");
            return this;
        }

        /** Builds and starts the store. */
        public MemorySessionStore build() {
            return new MemorySessionStore(this);
        }
    }
}
