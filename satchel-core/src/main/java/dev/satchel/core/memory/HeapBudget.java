package dev.satchel.core.memory;

import dev.satchel.core.SessionRecord;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of heap the memory store's sessions are estimated to take, against a budget. A count
 * cap cannot protect a heap, since sessions differ in size by orders of magnitude; this can.
 *
 * <p>The estimate is deliberately rough (object headers, map entries and the expiry queue's entry
 * as fixed costs, plus each attribute's name and encoded bytes) but errs on the high side for
 * small sessions, which are what a flood creates. Thread-safe.
 */
final class HeapBudget {
    /**
     * Fixed cost of one session: the record, its id (a 43-character string), instants, the maps'
     * entries and the expiry queue's two entries. A session with one 100-byte attribute measured
     * about 600 bytes of heap on a 64-bit JVM with compressed pointers; this and {@link
     * #PER_ATTRIBUTE} estimate it at about 720, erring high.
     */
    static final long PER_SESSION = 512;

    /** Fixed cost of one attribute: its map entry, name string header and byte array header. */
    static final long PER_ATTRIBUTE = 96;

    private final long maxBytes;
    private final AtomicLong used = new AtomicLong();

    HeapBudget(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** The default budget: a quarter of the heap the JVM may grow to. */
    static long defaultMaxBytes() {
        long heap = Runtime.getRuntime().maxMemory();
        return heap == Long.MAX_VALUE ? 256L * 1024 * 1024 : heap / 4;
    }

    static long estimate(SessionRecord record) {
        long bytes = PER_SESSION + 2L * record.principal().map(String::length).orElse(0);
        for (Map.Entry<String, byte[]> e : record.attributes().entrySet()) {
            bytes += PER_ATTRIBUTE + 2L * e.getKey().length() + e.getValue().length;
        }
        return bytes;
    }

    /** Whether a new session may still be admitted: the budget is not yet spent. */
    boolean hasRoom() {
        return used.get() < maxBytes;
    }

    long maxBytes() {
        return maxBytes;
    }

    long usedBytes() {
        return used.get();
    }

    /** Accounts for {@code before} being replaced by {@code after}; either may be null (none). */
    void replaced(SessionRecord before, SessionRecord after) {
        long delta = (after == null ? 0 : estimate(after)) - (before == null ? 0 : estimate(before));
        if (delta != 0) {
            used.addAndGet(delta);
        }
    }
}
