package dev.satchel.core;

import java.util.Map;

/**
 * A store that counts what it does, for a node's health and metrics output: reads it had to make
 * on another node, bytes it sent, sessions it holds. Names are lower-case with underscores; values
 * only grow, except gauges such as sessions held. Thread-safe.
 */
public interface ReportingStore extends SessionStore {

    /** A snapshot of this store's counters, by name. */
    Map<String, Long> counters();
}
