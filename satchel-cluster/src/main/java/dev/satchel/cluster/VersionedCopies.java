package dev.satchel.cluster;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore.SaveOutcome;
import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.core.support.DaemonThreads;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A node's copies of the cluster's sessions, each with the stamp of the last save in it, and the
 * tombstones of sessions deleted lately. What both cluster strategies rely on to stay right
 * whatever order copies arrive in:
 *
 * <ul>
 *   <li>a save (a change set) merges into the copy, as in one store, and moves its stamp on;
 *   <li>a whole copy (to a joiner, a new replica, the other side of a healed partition, a late
 *       pass-on) replaces the held one only if its stamp is newer, so a late or stale copy never
 *       undoes a save;
 *   <li>a deletion leaves a tombstone until the session could no longer be alive anyway; while it
 *       stands, no save and no copy brings the session back: a logout wins.
 * </ul>
 *
 * Every operation on one session runs under that session's lock, which a store also holds while
 * it hands its own save to the network, so replicas apply one node's saves in the same order.
 */
final class VersionedCopies implements AutoCloseable {
    /** The least a tombstone stands, for deletions of sessions this node held no copy of. */
    static final Duration TOMBSTONE_MIN = Duration.ofMinutes(2);

    private final MemorySessionStore local;
    private final Clock clock;
    private final HybridClock stamps;
    private final SessionLocks locks = new SessionLocks();
    private final Map<SessionId, Long> stampOf = new ConcurrentHashMap<>();
    private final Map<SessionId, Copy> tombstones = new ConcurrentHashMap<>();
    /**
     * Per session, the stamp of the latest save taken from each of up to {@link #ORIGINS} nodes, as
     * pairs (node, stamp): see {@link #overtaken}. Kept only while saves may come on links.
     */
    private final Map<SessionId, long[]> latestFrom = new ConcurrentHashMap<>();
    /**
     * Nodes remembered per session: a session's saves come from one node, or a few after failovers;
     * past this many, the one heard from longest ago is forgotten.
     */
    private static final int ORIGINS = 8;

    private volatile boolean trackOrigins;
    private final ScheduledExecutorService cleaner =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("satchel-tombstones"));

    VersionedCopies(Clock clock) {
        this(clock, MemorySessionStore.DEFAULT_MAX_SESSIONS);
    }

    VersionedCopies(Clock clock, long maxSessions) {
        this.clock = clock;
        this.local = MemorySessionStore.builder()
                .clock(clock)
                .maxSessions(maxSessions)
                .build();
        this.stamps = new HybridClock(clock);
        cleaner.scheduleWithFixedDelay(this::forgetOld, 10, 10, TimeUnit.SECONDS);
    }

    /** Whether to remember which saves each node's last save of a session was ({@link #overtaken}). */
    void trackOrigins(boolean on) {
        trackOrigins = on;
    }

    /** The copies themselves, for reads, searches, events and expiry. */
    MemorySessionStore local() {
        return local;
    }

    Optional<SessionRecord> load(SessionId id) {
        return local.load(id);
    }

    <T> T locked(SessionId id, Supplier<T> action) {
        return locks.with(id, action);
    }

    /** Runs under the locks of a change set's session, and of its previous id if it renames. */
    <T> T locked(ChangeSet changes, Supplier<T> action) {
        return changes.previousId().isPresent()
                ? locks.with(changes.previousId().get(), changes.id(), action)
                : locks.with(changes.id(), action);
    }

    /** The stamp for a new save of this session made on this node. */
    long nextStamp(SessionId id) {
        return stamps.after(heldStamp(id));
    }

    /** Whether a stamp received from another node can be real (see {@link HybridClock#plausible}). */
    boolean plausible(long stamp) {
        return stamps.plausible(stamp);
    }

    /** The stamp for a new save made on a copy stamped {@code base} (from {@link #heldStampOf}). */
    long stampAfter(long base) {
        return stamps.after(base);
    }

    /** The stamp of this node's copy of a session, 0 if it holds none: a save's base. */
    long heldStampOf(SessionId id) {
        return locks.with(id, () -> heldStamp(id));
    }

    /**
     * Applies another node's save made on a copy stamped {@code base}, unless this node's copy is
     * behind that one (older, or missing): merging the save into a copy that missed earlier saves
     * (a replica back from a partition, a new replica whose copy is still on its way) would give
     * the stale copy a fresh stamp, and it could then win over the up-to-date ones. Then nothing is
     * applied and the answer is empty: the sender sends its whole copy instead. A copy ahead of
     * the base (another node's save landed first) takes the save, which merges as in one store.
     */
    Optional<SaveOutcome> applyIfCurrent(ChangeSet changes, long stamp, long base) {
        return locked(changes, () -> {
            boolean needsBase = !changes.created()
                    && !changes.invalidated()
                    && changes.previousId().isEmpty();
            if (needsBase && !tombstones.containsKey(changes.id()) && heldStamp(changes.id()) < base) {
                return Optional.empty();
            }
            return Optional.of(apply(changes, stamp));
        });
    }

    /**
     * Whether another node's save is older than a save of the same session from the same node
     * taken here already, and so must not be applied: it sat in a buffer past its timeout while the
     * node saved again (a node's stamps only grow, see {@link HybridClock}). Applied now, it would
     * undo that later save; what it brought reached this node in the later save's base or in a
     * whole copy, as the node repairs every save that failed. Likewise a save older than a whole
     * copy taken here from its node ({@link #apply(Copy, long)}). If not, notes its stamp. A save that
     * renames still ends the session it renames from; an invalidation is never overtaken.
     *
     * @param origin the node that made the save ({@code ClusterChannel#origin})
     */
    boolean overtaken(ChangeSet changes, long origin, long stamp) {
        if (!trackOrigins || changes.invalidated()) {
            return false;
        }
        return locked(changes, () -> {
            if (!noteOrOvertaken(changes.id(), origin, stamp)) {
                return false;
            }
            changes.previousId().ifPresent(previous -> bury(previous, stamp));
            return true;
        });
    }

    /**
     * Applies a whole copy from {@code origin} as {@link #apply(Copy)} does; if it was taken, every
     * save that node made of the session up to the copy's stamp is in it (a node applies its own
     * saves before it sends them, and stamps each later one above its copy), so a save of that
     * node's stamped no later arriving after it is {@link #overtaken}.
     */
    boolean apply(Copy copy, long origin) {
        return locks.with(copy.id(), () -> {
            boolean taken = apply(copy);
            if (taken && trackOrigins && !copy.isTombstone()) {
                note(copy.id(), origin, copy.stamp(), false);
            }
            return taken;
        });
    }

    private boolean noteOrOvertaken(SessionId id, long origin, long stamp) {
        return note(id, origin, stamp, true);
    }

    /** Records {@code stamp} as the latest from {@code origin}; with {@code judge}, true (and nothing noted) if older. */
    private boolean note(SessionId id, long origin, long stamp, boolean judge) {
        long[] latest = latestFrom.get(id);
        if (latest == null) {
            latestFrom.put(id, new long[] {origin, stamp});
            return false;
        }
        int oldest = 0;
        for (int i = 0; i < latest.length; i += 2) {
            if (latest[i] == origin) {
                if (stamp < latest[i + 1]) {
                    return judge;
                }
                latest[i + 1] = stamp;
                return false;
            }
            if (latest[i + 1] < latest[oldest + 1]) {
                oldest = i;
            }
        }
        if (latest.length < 2 * ORIGINS) {
            long[] more = java.util.Arrays.copyOf(latest, latest.length + 2);
            more[latest.length] = origin;
            more[latest.length + 1] = stamp;
            latestFrom.put(id, more);
        } else {
            latest[oldest] = origin;
            latest[oldest + 1] = stamp;
        }
        return false;
    }

    /**
     * What a conditional save meets on this node's copy, read under the session's lock (which the
     * deciding node holds from this check until the save is applied and handed to the network):
     * UPDATED if every expected attribute holds its value, CONFLICT if one does not, GONE if this
     * node holds no live copy (ended, expired, or not received: nothing to decide on).
     */
    SaveOutcome check(ChangeSet changes) {
        return locked(changes, () -> {
            Optional<SessionRecord> held =
                    tombstones.containsKey(changes.id()) ? Optional.empty() : local.load(changes.id());
            if (held.isEmpty()) {
                return SaveOutcome.GONE;
            }
            for (Map.Entry<String, dev.satchel.core.ExpectedValue> e :
                    changes.expectations().entrySet()) {
                if (!e.getValue()
                        .matches(Optional.ofNullable(held.get().attributes().get(e.getKey())))) {
                    return SaveOutcome.CONFLICT;
                }
            }
            return SaveOutcome.UPDATED;
        });
    }

    /** Applies a save (this node's own or another's) carrying {@code stamp}. */
    SaveOutcome apply(ChangeSet changes, long stamp) {
        return locked(changes, () -> {
            if (changes.invalidated()) {
                boolean deleted = changes.previousId().map(p -> bury(p, stamp)).orElse(false);
                deleted |= bury(changes.id(), stamp);
                return deleted ? SaveOutcome.INVALIDATED : SaveOutcome.GONE;
            }
            if (tombstones.containsKey(changes.id())
                    || changes.previousId().map(tombstones::containsKey).orElse(false)) {
                return SaveOutcome.GONE; // deleted here already: a save never brings it back
            }
            long held = changes.previousId().map(this::heldStamp).orElseGet(() -> heldStamp(changes.id()));
            SaveOutcome outcome = local.save(changes);
            if (outcome != SaveOutcome.GONE && outcome != SaveOutcome.CONFLICT) {
                stampOf.put(changes.id(), Math.max(held + 1, stamp));
                changes.previousId().ifPresent(previous -> {
                    stampOf.remove(previous);
                    tombstones.put(previous, Copy.tombstone(previous, stamp, keptUntil(local.load(changes.id()))));
                });
            }
            return outcome;
        });
    }

    /**
     * Applies a whole copy if it is newer than what this node holds, and returns whether it did. A
     * tombstone deletes the held copy; a live copy never replaces a tombstone.
     */
    boolean apply(Copy copy) {
        return locks.with(copy.id(), () -> {
            Copy buried = tombstones.get(copy.id());
            if (copy.isTombstone()) {
                boolean held = local.load(copy.id()).isPresent();
                if (held) {
                    local.delete(copy.id());
                }
                stampOf.remove(copy.id());
                // A lifetime from the network is bounded: a hostile one must not pin memory for years.
                Instant latest = clock.instant().plus(Duration.ofDays(31)).plus(TOMBSTONE_MIN);
                Copy kept = copy.until().isAfter(latest) ? Copy.tombstone(copy.id(), copy.stamp(), latest) : copy;
                if (buried == null || kept.until().isAfter(buried.until())) {
                    tombstones.put(copy.id(), kept);
                }
                return held;
            }
            if (buried != null) {
                return false;
            }
            SessionRecord record = copy.record().orElseThrow();
            if (record.isExpired(clock.instant())) {
                return false;
            }
            Optional<SessionRecord> held = local.load(copy.id());
            if (held.isPresent() && !newer(copy, held.get())) {
                return false;
            }
            local.replace(record);
            stampOf.put(copy.id(), copy.stamp());
            return true;
        });
    }

    /** This node's copy of a session, or its tombstone, to send whole. */
    Optional<Copy> copyOf(SessionId id) {
        return locks.with(id, () -> local.load(id)
                .map(r -> Copy.live(r, heldStamp(id)))
                .or(() -> Optional.ofNullable(tombstones.get(id))));
    }

    /** Every live copy and tombstone whose session {@code which} accepts, each read under its lock. */
    List<Copy> copies(Predicate<SessionId> which) {
        List<Copy> out = new ArrayList<>();
        for (SessionRecord r : local.snapshot()) {
            if (which.test(r.id())) {
                copyOf(r.id()).ifPresent(out::add);
            }
        }
        for (Copy t : tombstones.values()) {
            if (which.test(t.id())) {
                out.add(t);
            }
        }
        return out;
    }

    /**
     * Ends a session here and returns it as it was, in one step: the source of a rename, so that
     * of two renames of one session only one gets it, and no save lands on the old id after.
     */
    Optional<SessionRecord> take(SessionId id) {
        return locks.with(id, () -> {
            Optional<SessionRecord> held = local.load(id);
            if (held.isPresent()) {
                bury(id, nextStamp(id));
            }
            return held;
        });
    }

    /**
     * Drops this node's copy without a tombstone (it was handed over to the session's replicas),
     * giving it to {@code keep} under the same lock, so no save lands between the read and the drop.
     */
    void handOver(SessionId id, java.util.function.Consumer<Copy> keep) {
        locks.with(id, () -> {
            Optional<SessionRecord> held = local.load(id);
            if (held.isPresent()) {
                keep.accept(Copy.live(held.get(), heldStamp(id)));
                local.delete(id);
            }
            stampOf.remove(id);
            return null;
        });
    }

    /** Whether a deletion of this session is remembered here. */
    boolean buried(SessionId id) {
        return tombstones.containsKey(id);
    }

    int size() {
        return local.size();
    }

    int tombstones() {
        return tombstones.size();
    }

    @Override
    public void close() {
        cleaner.shutdownNow();
        local.close();
    }

    private boolean bury(SessionId id, long stamp) {
        Optional<SessionRecord> held = local.load(id);
        boolean deleted = held.isPresent() && local.delete(id);
        stampOf.remove(id);
        tombstones.merge(
                id,
                Copy.tombstone(id, stamp, keptUntil(held)),
                (old, now) -> now.until().isAfter(old.until()) ? now : old);
        return deleted;
    }

    /**
     * A tombstone stands until the deleted copy would have expired, plus a margin for copies on
     * nodes whose clocks lag or that were touched elsewhere, and at least that margin from now.
     */
    private Instant keptUntil(Optional<SessionRecord> deleted) {
        Instant now = clock.instant();
        Instant deadline =
                deleted.map(SessionRecord::expiresAt).filter(now::isBefore).orElse(now);
        return deadline.plus(TOMBSTONE_MIN);
    }

    /**
     * Whether a copy is newer than the held one: by stamp, and for two copies with one stamp
     * (two sides of a partition writing in the same millisecond) by a digest of their contents,
     * so that every node keeps the same one.
     */
    private boolean newer(Copy copy, SessionRecord held) {
        long mine = heldStamp(held.id());
        if (copy.stamp() != mine) {
            return copy.stamp() > mine;
        }
        return digest(copy.record().orElseThrow()) > digest(held);
    }

    /** The first 8 bytes of a SHA-256 of everything the copy holds, in a fixed order. */
    private static long digest(SessionRecord r) {
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            java.nio.ByteBuffer times = java.nio.ByteBuffer.allocate(32)
                    .putLong(r.createdAt().toEpochMilli())
                    .putLong(r.lastAccessedAt().toEpochMilli())
                    .putLong(r.maxInactiveInterval().toMillis())
                    .putLong(r.absoluteDeadline().toEpochMilli());
            sha.update(times.array());
            sha.update(r.principal().orElse("").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            for (Map.Entry<String, byte[]> e : new java.util.TreeMap<>(r.attributes()).entrySet()) {
                sha.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(e.getValue());
            }
            return java.nio.ByteBuffer.wrap(sha.digest()).getLong();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    private long heldStamp(SessionId id) {
        return local.load(id).isPresent() ? stampOf.getOrDefault(id, 0L) : 0L;
    }

    /** Forgets tombstones past their time, and stamps of copies that expired. */
    private void forgetOld() {
        Instant now = clock.instant();
        tombstones.values().removeIf(t -> t.until().isBefore(now));
        for (SessionId id : List.copyOf(stampOf.keySet())) {
            locks.with(id, () -> local.load(id).isEmpty() ? stampOf.remove(id) : null);
        }
        for (SessionId id : List.copyOf(latestFrom.keySet())) {
            locks.with(id, () -> local.load(id).isEmpty() ? latestFrom.remove(id) : null);
        }
    }
}
