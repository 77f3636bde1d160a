package dev.satchel.lab;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What one strategy did under the workload and its faults.
 *
 * @param strategy the lab's name for it, e.g. {@code memory}, {@code primary-backup}
 * @param store what the nodes ran, as {@code satchel node --store} spells it (secrets removed)
 * @param routing the balancer's policy
 * @param nodes the shop nodes behind the balancer (0 in a results.json from before it was kept)
 * @param about one sentence: where the session lives and what routing it needs
 * @param seconds the measured phase's length
 * @param shoppers virtual shoppers who arrived in the measured phase
 * @param requests requests due in the measured phase
 * @param succeeded requests answered 2xx
 * @param failed requests that failed (5xx, timeout, refused connection)
 * @param steady latency of requests due before the first fault (all of them when none)
 * @param duringFault latency of requests due from the first fault until recovery, or the end
 * @param timeline every second of the measured phase
 * @param faults what was injected, and when
 * @param anomalyCounts how many of each kind, every kind present
 * @param anomalies the first anomalies of each kind (at most {@link #KEPT_PER_KIND} each)
 * @param shoppersHarmed shoppers who saw at least one data anomaly
 * @param cookieBytesPerRequest the {@code Cookie} header's bytes a request carried, on average
 * @param setCookieBytesPerResponse the {@code Set-Cookie} headers' bytes a response carried, on average
 * @param servedBy answered requests per node ({@code X-Served-By}), by node name
 * @param recovery time from the first fault until service came back
 * @param resources CPU, bytes on the wire and store operations per request
 * @param notes what the reader should know about this run, e.g. what was not measured and why
 * @param delayMillis the delay added each way between the nodes and the store server (0: none, and
 *     in a results.json from before it was kept)
 * @param soak the soak's readings; {@link Soak#NONE} when the run was not a soak
 */
public record StrategyRun(
        String strategy,
        String store,
        String routing,
        int nodes,
        String about,
        double seconds,
        long shoppers,
        long requests,
        long succeeded,
        long failed,
        LatencySummary steady,
        LatencySummary duringFault,
        List<SecondSample> timeline,
        List<FaultEvent> faults,
        Map<AnomalyKind, Long> anomalyCounts,
        List<Anomaly> anomalies,
        long shoppersHarmed,
        double cookieBytesPerRequest,
        double setCookieBytesPerResponse,
        Map<String, Long> servedBy,
        Recovery recovery,
        ResourceUse resources,
        List<String> notes,
        int delayMillis,
        Soak soak) {
    /** How many anomalies of each kind a run keeps with their details; the counts include all. */
    public static final int KEPT_PER_KIND = 50;

    public StrategyRun {
        Objects.requireNonNull(strategy, "strategy");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(routing, "routing");
        Objects.requireNonNull(about, "about");
        Objects.requireNonNull(steady, "steady");
        Objects.requireNonNull(duringFault, "duringFault");
        Objects.requireNonNull(recovery, "recovery");
        resources = resources == null ? ResourceUse.none() : resources; // a results.json from before
        timeline = List.copyOf(timeline);
        faults = List.copyOf(faults);
        EnumMap<AnomalyKind, Long> counts = new EnumMap<>(AnomalyKind.class);
        for (AnomalyKind k : AnomalyKind.values()) {
            counts.put(k, anomalyCounts.getOrDefault(k, 0L));
        }
        anomalyCounts = Map.copyOf(counts);
        anomalies = List.copyOf(anomalies);
        servedBy = Collections.unmodifiableMap(new TreeMap<>(servedBy));
        notes = List.copyOf(notes);
        soak = soak == null ? Soak.NONE : soak; // a results.json from before
    }

    /**
     * This run as its set-up ran it: {@code first} (notes on the store and the network) put before
     * its own notes, and the delay added between the nodes and the store.
     */
    public StrategyRun withSetUp(List<String> first, int addedDelayMillis) {
        List<String> all = new java.util.ArrayList<>(first);
        all.addAll(notes);
        return with(all, addedDelayMillis, soak);
    }

    /** This run with a soak's readings. */
    public StrategyRun withSoak(Soak readings) {
        return with(notes, delayMillis, readings);
    }

    /** This run with the parts set after it ran replaced: one copy for every {@code with} above. */
    private StrategyRun with(List<String> newNotes, int newDelayMillis, Soak newSoak) {
        return new StrategyRun(
                strategy,
                store,
                routing,
                nodes,
                about,
                seconds,
                shoppers,
                requests,
                succeeded,
                failed,
                steady,
                duringFault,
                timeline,
                faults,
                anomalyCounts,
                anomalies,
                shoppersHarmed,
                cookieBytesPerRequest,
                setCookieBytesPerResponse,
                servedBy,
                recovery,
                resources,
                newNotes,
                newDelayMillis,
                newSoak);
    }

    /** Successful requests per second over the measured phase. */
    public double requestsPerSecond() {
        return seconds <= 0 ? 0 : succeeded / seconds;
    }

    /** The share of answered requests the busiest node served, 0 when no node answered. */
    public double busiestNodeShare() {
        long all = servedBy.values().stream().mapToLong(Long::longValue).sum();
        long most = servedBy.values().stream().mapToLong(Long::longValue).max().orElse(0);
        return all == 0 ? 0 : (double) most / all;
    }

    /** How many anomalies of a kind were seen. */
    public long count(AnomalyKind kind) {
        return anomalyCounts.getOrDefault(kind, 0L);
    }
}
