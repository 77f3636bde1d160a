package dev.satchel.store.redis;

import dev.satchel.core.SessionRecord;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sessions this node read, kept until Redis says another client changed them (server-assisted
 * client-side caching: {@code CLIENT TRACKING} on the store's own RESP3 connection).
 *
 * <p>A read that is in flight when an invalidation arrives must not fill the cache with what it
 * read, since the reply may predate the change. Each read therefore takes a ticket before it is
 * sent and may fill the cache only if its ticket is still the key's current one when the reply is
 * back; an invalidation, or losing the connection, withdraws every ticket it concerns.
 */
final class NearCache {
    private final int maxEntries;
    private final ConcurrentMap<String, SessionRecord> entries;
    private final ConcurrentHashMap<String, Long> tickets = new ConcurrentHashMap<>();
    private final AtomicLong nextTicket = new AtomicLong();
    private volatile boolean tracking;
    private volatile long epoch;
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();

    NearCache(int maxEntries) {
        this(maxEntries, new ConcurrentHashMap<>());
    }

    /** With the map that holds the entries; tests pass one that interleaves an invalidation. */
    NearCache(int maxEntries, ConcurrentMap<String, SessionRecord> entries) {
        this.maxEntries = maxEntries;
        this.entries = entries;
    }

    Optional<SessionRecord> get(String key) {
        SessionRecord record = tracking ? entries.get(key) : null;
        if (record == null) {
            misses.incrementAndGet();
            return Optional.empty();
        }
        hits.incrementAndGet();
        return Optional.of(record);
    }

    /** The entry for {@code key}, without counting a hit or a miss. */
    Optional<SessionRecord> peek(String key) {
        return tracking ? Optional.ofNullable(entries.get(key)) : Optional.empty();
    }

    /** Takes a ticket before reading {@code key} from Redis. */
    long beforeRead(String key) {
        long ticket = nextTicket.incrementAndGet();
        tickets.put(key, ticket);
        return ticket;
    }

    /**
     * Caches what a read returned, unless the key was invalidated (or tracking lost) meanwhile, and
     * gives the ticket back either way. The entry goes in first and the ticket is checked after:
     * checking first would let an invalidation land between the check and the put, and the stale
     * entry would stay for good (relaxed hits never ask Redis, so nothing would ever correct it).
     * This way an invalidation removes either the ticket, and the entry is taken back here, or the
     * entry itself. A relaxed hit on another thread may see the entry in that instant, which is the
     * window relaxed mode accepts anyway.
     */
    void afterRead(String key, long ticket, long epochAtRead, SessionRecord record) {
        if (!tracking || epoch != epochAtRead || entries.size() >= maxEntries) {
            tickets.remove(key, ticket);
            return;
        }
        entries.put(key, record);
        if (!tickets.remove(key, ticket) || !tracking || epoch != epochAtRead) {
            entries.remove(key, record);
        }
    }

    long epoch() {
        return epoch;
    }

    /** Forgets one key: Redis said it changed, or this node is about to change it. */
    void invalidate(String key) {
        tickets.remove(key);
        entries.remove(key);
    }

    /** Forgets everything and stops caching: the connection (and with it, tracking) was lost. */
    synchronized void suspend() {
        tracking = false;
        epoch++;
        tickets.clear();
        entries.clear();
    }

    /** Starts caching again once tracking is on for the current connection. */
    synchronized void resume() {
        epoch++;
        tracking = true;
    }

    long hits() {
        return hits.get();
    }

    long misses() {
        return misses.get();
    }

    /** Gives a ticket back when its read caches nothing: the key was absent or the read failed. */
    void release(String key, long ticket) {
        tickets.remove(key, ticket);
    }

    /** Tickets of reads not yet finished; each read gives its own back, whatever its outcome. */
    int tickets() {
        return tickets.size();
    }

    int size() {
        return entries.size();
    }
}
