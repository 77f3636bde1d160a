package dev.satchel.lab;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What sessions cost in memory, measured after the run: the lab reads each node's heap after a full
 * collection and the store server's memory, makes {@code sessionsMade} fresh sessions with one
 * cart item each, and reads them again. Made after the load, when classes are loaded and buffer
 * pools have grown, the new sessions stand out of what the load itself left behind.
 *
 * @param sessionsMade the fresh sessions acknowledged between the two readings
 * @param nodeHeapGrowth bytes each node's heap grew by between the readings, by node (empty when
 *     not measured)
 * @param copiesGained the session copies each node gained between the readings, by its own count
 * @param storeGrowth how far the store server's memory and its keys grew; {@link StoreMemory#NONE}
 *     when there is none or it could not be asked
 * @param unmeasured what was not measured, and why
 */
public record SessionMemory(
        int sessionsMade,
        Map<String, Long> nodeHeapGrowth,
        Map<String, Long> copiesGained,
        StoreMemory storeGrowth,
        List<String> unmeasured) {
    public SessionMemory {
        nodeHeapGrowth = sorted(nodeHeapGrowth);
        copiesGained = sorted(copiesGained);
        storeGrowth = storeGrowth == null ? StoreMemory.NONE : storeGrowth;
        unmeasured = unmeasured == null ? List.of() : List.copyOf(unmeasured);
    }

    /** Nothing measured, for the reason given. */
    public static SessionMemory notMeasured(String why) {
        return new SessionMemory(0, Map.of(), Map.of(), StoreMemory.NONE, List.of(why));
    }

    /** Whether the nodes' heaps were read around fresh sessions. */
    public boolean heapsRead() {
        return sessionsMade > 0 && !nodeHeapGrowth.isEmpty();
    }

    /** The nodes' heap growth, all nodes together. */
    public long clusterHeapGrowth() {
        return nodeHeapGrowth.values().stream().mapToLong(Long::longValue).sum();
    }

    /** The copies the nodes gained, all nodes together. */
    public long copiesGainedInAll() {
        return copiesGained.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * What one session costs the whole cluster's heaps, its copies included: the median node's heap
     * per copy times the copies per session; for nodes that keep no sessions, their growth over the
     * sessions made. Empty when not read.
     */
    public Optional<Double> clusterBytesPerSession() {
        if (!heapsRead()) {
            return Optional.empty();
        }
        return bytesPerCopy()
                .map(perCopy -> perCopy * copiesGainedInAll() / sessionsMade)
                .or(() -> Optional.of((double) clusterHeapGrowth() / sessionsMade));
    }

    /**
     * Heap per session copy on the median node: each node's growth over the copies it gained. The
     * median, because a node the fault restarted grows by a megabyte more on its first requests
     * (buffers each new worker thread keeps, such as Jackson's), whatever it holds. Empty when no
     * node gained copies or the heaps were not read.
     */
    public Optional<Double> bytesPerCopy() {
        if (!heapsRead()) {
            return Optional.empty();
        }
        List<Double> perNode = copiesGained.entrySet().stream()
                .filter(e -> e.getValue() > 0 && nodeHeapGrowth.containsKey(e.getKey()))
                .map(e -> (double) nodeHeapGrowth.get(e.getKey()) / e.getValue())
                .sorted()
                .toList();
        if (perNode.isEmpty()) {
            return Optional.empty();
        }
        int n = perNode.size();
        return Optional.of(n % 2 == 1 ? perNode.get(n / 2) : (perNode.get(n / 2 - 1) + perNode.get(n / 2)) / 2);
    }

    /** The store server's growth per session made; empty when it was not read. */
    public Optional<Double> storeBytesPerSession() {
        return storeGrowth.measured() && sessionsMade > 0
                ? Optional.of((double) storeGrowth.bytes() / sessionsMade)
                : Optional.empty();
    }

    private static Map<String, Long> sorted(Map<String, Long> m) {
        return m == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(m));
    }
}
