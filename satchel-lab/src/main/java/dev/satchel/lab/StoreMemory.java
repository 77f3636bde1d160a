package dev.satchel.lab;

/**
 * A central store server's memory as it reports it, and what it holds.
 *
 * @param bytes the server's own figure for the memory its data takes: Redis' {@code used_memory},
 *     PostgreSQL's {@code pg_total_relation_size} of the sessions' table
 * @param items what it holds, counted as {@code unit} says
 * @param unit {@code keys} (Redis' keyspace: one hash per session, plus any index keys) or {@code
 *     rows}; empty in {@link #NONE}
 */
public record StoreMemory(long bytes, long items, String unit) {
    /** No store, or one that could not be asked. */
    public static final StoreMemory NONE = new StoreMemory(0, 0, "");

    public StoreMemory {
        unit = unit == null ? "" : unit; // a results.json from before it was kept
    }

    /** Whether this holds a reading, rather than {@link #NONE}. */
    public boolean measured() {
        return !unit.isEmpty();
    }

    /** How far this reading is above {@code before}, as one store's growth. */
    public StoreMemory since(StoreMemory before) {
        return new StoreMemory(bytes - before.bytes, items - before.items, unit);
    }
}
