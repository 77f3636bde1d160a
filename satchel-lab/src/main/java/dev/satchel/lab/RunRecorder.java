package dev.satchel.lab;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Everything measured in one strategy's measured phase, by when each request was due: requests
 * due before the phase (the warm-up) or after it are not counted. Thread-safe.
 */
final class RunRecorder {
    private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);

    private final long phaseStartNanos;
    private final int seconds;
    private final long[] succeeded;
    private final long[] failed;
    private final long[] dataAnomalies;
    private final Histogram[] perSecond;
    private final Histogram steady = histogram();
    private final Histogram duringFault = histogram();
    private final Map<AnomalyKind, Long> counts = new EnumMap<>(AnomalyKind.class);
    private final Map<AnomalyKind, List<Anomaly>> kept = new EnumMap<>(AnomalyKind.class);
    private final Set<String> harmed = new HashSet<>();
    private final Map<String, Long> servedBy = new HashMap<>();
    private final List<FaultEvent> faults = new ArrayList<>();
    private long shoppers;
    private long cookieBytes;
    private long requestsWithCookieCounted;
    private long setCookieBytes;
    /** The fault window, in nanoseconds since the phase began; none until a fault strikes. */
    private long faultFromNanos = Long.MAX_VALUE;

    private long faultUntilNanos = Long.MAX_VALUE;

    RunRecorder(long phaseStartNanos, int seconds) {
        this.phaseStartNanos = phaseStartNanos;
        this.seconds = seconds;
        this.succeeded = new long[seconds];
        this.failed = new long[seconds];
        this.dataAnomalies = new long[seconds];
        this.perSecond = new Histogram[seconds];
        for (int i = 0; i < seconds; i++) {
            perSecond[i] = histogram();
        }
    }

    private static Histogram histogram() {
        return new Histogram(MAX_MICROS, 2);
    }

    /** The second of the measured phase a request due at this time falls in, or -1 outside it. */
    private int second(long dueNanos) {
        long since = dueNanos - phaseStartNanos;
        if (since < 0) {
            return -1;
        }
        long s = TimeUnit.NANOSECONDS.toSeconds(since);
        return s < seconds ? (int) s : -1;
    }

    long phaseStartNanos() {
        return phaseStartNanos;
    }

    synchronized void shopperArrived(long dueNanos) {
        if (second(dueNanos) >= 0) {
            shoppers++;
        }
    }

    /**
     * A request that was answered (ok) or failed, its latency counted from when it was due; {@code
     * node} is the node that answered, empty when none did.
     */
    synchronized void request(
            long dueNanos,
            long doneNanos,
            boolean ok,
            Optional<String> node,
            int cookieHeaderBytes,
            int setCookieHeaderBytes) {
        int s = second(dueNanos);
        if (s < 0) {
            return;
        }
        if (ok) {
            node.ifPresent(n -> servedBy.merge(n, 1L, Long::sum));
        }
        (ok ? succeeded : failed)[s]++;
        long micros = Math.min(MAX_MICROS, Math.max(0, TimeUnit.NANOSECONDS.toMicros(doneNanos - dueNanos)));
        perSecond[s].recordValue(micros);
        long since = dueNanos - phaseStartNanos;
        if (since < faultFromNanos) {
            steady.recordValue(micros);
        } else if (since < faultUntilNanos) {
            duringFault.recordValue(micros);
        }
        cookieBytes += cookieHeaderBytes;
        setCookieBytes += setCookieHeaderBytes;
        requestsWithCookieCounted++;
    }

    synchronized void anomaly(long dueNanos, AnomalyKind kind, String node, String shopper, String detail) {
        int s = second(dueNanos);
        if (s < 0) {
            return;
        }
        counts.merge(kind, 1L, Long::sum);
        List<Anomaly> list = kept.computeIfAbsent(kind, k -> new ArrayList<>());
        if (list.size() < StrategyRun.KEPT_PER_KIND) {
            long at = TimeUnit.NANOSECONDS.toMillis(dueNanos - phaseStartNanos);
            list.add(new Anomaly(kind, at, node, shopper, detail));
        }
        if (kind.isDataAnomaly()) {
            dataAnomalies[s]++;
            harmed.add(shopper);
        }
    }

    /** A fault struck now, or a step of one; the first opens the fault window. */
    synchronized void fault(long nowNanos, String action, String target) {
        long since = nowNanos - phaseStartNanos;
        faults.add(new FaultEvent(TimeUnit.NANOSECONDS.toMillis(since), action, target));
        if (faultFromNanos == Long.MAX_VALUE) {
            faultFromNanos = since;
        }
    }

    /** The fault window closes at {@code untilNanos}: requests due later count as steady again. */
    synchronized void faultsOver(long untilNanos) {
        if (faultFromNanos != Long.MAX_VALUE) {
            faultUntilNanos = untilNanos - phaseStartNanos;
        }
    }

    /** Figures so far, for the progress bar: requests, failed, anomalies. */
    synchronized long[] totals() {
        long ok = 0;
        long bad = 0;
        for (int i = 0; i < seconds; i++) {
            ok += succeeded[i];
            bad += failed[i];
        }
        long anomalies = counts.values().stream().mapToLong(Long::longValue).sum();
        return new long[] {ok + bad, bad, anomalies};
    }

    synchronized StrategyRun result(
            LabStrategy strategy, String store, int nodes, ResourceUse resources, List<String> notes) {
        List<SecondSample> timeline = new ArrayList<>();
        long ok = 0;
        long bad = 0;
        for (int i = 0; i < seconds; i++) {
            timeline.add(new SecondSample(
                    i,
                    succeeded[i],
                    failed[i],
                    dataAnomalies[i],
                    perSecond[i].getTotalCount() == 0 ? 0 : perSecond[i].getValueAtPercentile(99)));
            ok += succeeded[i];
            bad += failed[i];
        }
        List<Anomaly> anomalies = new ArrayList<>();
        kept.values().forEach(anomalies::addAll);
        long counted = Math.max(1, requestsWithCookieCounted);
        return new StrategyRun(
                strategy.label(),
                store,
                strategy.routing(),
                nodes,
                strategy.about(),
                seconds,
                shoppers,
                ok + bad,
                ok,
                bad,
                LatencySummary.of(steady),
                LatencySummary.of(duringFault),
                timeline,
                faults,
                counts,
                anomalies,
                harmed.size(),
                (double) cookieBytes / counted,
                (double) setCookieBytes / counted,
                servedBy,
                recovery(timeline),
                resources,
                notes,
                0,
                Soak.NONE);
    }

    /** From the first fault to the first second from which every later second had 99% success. */
    private Recovery recovery(List<SecondSample> timeline) {
        if (faultFromNanos == Long.MAX_VALUE) {
            return Recovery.NOT_MEASURED;
        }
        int faultSecond = (int) TimeUnit.NANOSECONDS.toSeconds(faultFromNanos);
        int back = timeline.size();
        for (int s = timeline.size() - 1; s >= faultSecond; s--) {
            if (timeline.get(s).availability() < 0.99) {
                break;
            }
            back = s;
        }
        if (back >= timeline.size()) {
            return Recovery.NOT_MEASURED; // never came back before the end
        }
        return new Recovery(true, Math.max(0, back * 1000L - TimeUnit.NANOSECONDS.toMillis(faultFromNanos)));
    }
}
