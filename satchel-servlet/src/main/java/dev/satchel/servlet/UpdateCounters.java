package dev.satchel.servlet;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts atomic attribute updates, so an operator can see contention: updates applied, attempts
 * that found the attribute changed and tried again, and updates that gave up; both also per
 * attribute. Attribute names are the application's, so only the first {@link #MAX_NAMES} get a
 * counter of their own and the rest are counted together. Thread-safe.
 */
final class UpdateCounters {
    static final int MAX_NAMES = 64;
    static final String OTHER = "(other)";

    private final LongAdder applied = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final LongAdder gaveUp = new LongAdder();
    private final ConcurrentHashMap<String, LongAdder> retriesByName = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, LongAdder> gaveUpByName = new ConcurrentHashMap<>();

    void applied() {
        applied.increment();
    }

    void retried(String name) {
        retries.increment();
        countByName(retriesByName, name);
    }

    void gaveUp(String name) {
        gaveUp.increment();
        countByName(gaveUpByName, name);
    }

    private static void countByName(ConcurrentHashMap<String, LongAdder> byName, String name) {
        String key = byName.size() < MAX_NAMES || byName.containsKey(name) ? name : OTHER;
        byName.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    /**
     * {@code atomic_updates}, {@code atomic_update_retries}, {@code atomic_update_conflicts} (gave
     * up: answered 409), then {@code atomic_update_retries.NAME} and {@code
     * atomic_update_conflicts.NAME} per attribute, by name.
     */
    Map<String, Long> snapshot() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("atomic_updates", applied.sum());
        counters.put("atomic_update_retries", retries.sum());
        counters.put("atomic_update_conflicts", gaveUp.sum());
        new TreeMap<>(retriesByName).forEach((name, n) -> counters.put("atomic_update_retries." + name, n.sum()));
        new TreeMap<>(gaveUpByName).forEach((name, n) -> counters.put("atomic_update_conflicts." + name, n.sum()));
        return Collections.unmodifiableMap(counters);
    }
}
