package dev.satchel.lab;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a strategy's requests cost in the steady phase (the measured phase before its first fault,
 * all of it when there is none), per request answered. A map holds only
 * what was measured; {@link #unmeasured} says what was not, and why.
 *
 * @param requests the requests the figures are divided by
 * @param cpuMicros CPU time per request, in µs, by part: {@value #NODES}, {@value #BALANCER},
 *     {@value #STORE}
 * @param wireBytes TCP payload bytes per request, both directions, by path: {@value
 *     #CLIENT_BALANCER}, {@value #BALANCER_NODES}, {@value #BETWEEN_NODES}, {@value #NODES_STORE}
 * @param sends TCP segments with data the client end sent per request, by path as {@code
 *     wireBytes}: on loopback about one per request message or pipelined batch, so to the store
 *     it counts the round trips a request cost
 * @param storeOperations the store's own operations per request, by unit ({@code commands},
 *     {@code transactions})
 * @param sessionsHeld the sessions each node said it held at the end of the measured phase, by
 *     node (empty when the nodes keep none themselves: a central store, sealed cookies)
 * @param unmeasured what was not measured in this run, and why
 * @param memory what the sessions took in the nodes' heaps and the store, read after the run
 */
public record ResourceUse(
        long requests,
        Map<String, Double> cpuMicros,
        Map<String, Double> wireBytes,
        Map<String, Double> sends,
        Map<String, Double> storeOperations,
        Map<String, Long> sessionsHeld,
        List<String> unmeasured,
        SessionMemory memory) {
    public static final String NODES = "nodes";
    public static final String BALANCER = "balancer";
    public static final String STORE = "store server";
    public static final String CLIENT_BALANCER = "client to balancer";
    public static final String BALANCER_NODES = "balancer to nodes";
    public static final String BETWEEN_NODES = "between nodes";
    public static final String NODES_STORE = "nodes to store";

    public ResourceUse {
        cpuMicros = sorted(cpuMicros);
        wireBytes = sorted(wireBytes);
        sends = sorted(sends);
        storeOperations = sorted(storeOperations);
        sessionsHeld =
                sessionsHeld == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(sessionsHeld));
        unmeasured = unmeasured == null ? List.of() : List.copyOf(unmeasured);
        memory = memory == null ? SessionMemory.notMeasured("memory was not measured in this run") : memory;
    }

    /** As measured in the steady phase, memory not yet read. */
    public ResourceUse(
            long requests,
            Map<String, Double> cpuMicros,
            Map<String, Double> wireBytes,
            Map<String, Double> sends,
            Map<String, Double> storeOperations,
            Map<String, Long> sessionsHeld,
            List<String> unmeasured) {
        this(
                requests,
                cpuMicros,
                wireBytes,
                sends,
                storeOperations,
                sessionsHeld,
                unmeasured,
                SessionMemory.notMeasured("memory is read after the run"));
    }

    /** The same figures with the memory read after the run. */
    public ResourceUse withMemory(SessionMemory read) {
        return new ResourceUse(requests, cpuMicros, wireBytes, sends, storeOperations, sessionsHeld, unmeasured, read);
    }

    /** Nothing measured: a run from before the lab measured resources. */
    public static ResourceUse none() {
        return notMeasured("resources were not measured in this run");
    }

    /** Nothing measured, for the reason given. */
    public static ResourceUse notMeasured(String why) {
        return new ResourceUse(0, Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), List.of(why));
    }

    private static Map<String, Double> sorted(Map<String, Double> m) {
        return m == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(m));
    }
}
