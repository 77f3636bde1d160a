package dev.satchel.cli;

import dev.satchel.lab.AnomalyKind;
import dev.satchel.lab.LabStrategy;
import dev.satchel.lab.StrategyRun;
import java.lang.management.ManagementFactory;
import java.util.List;

/** What {@code satchel lab} says on the console and records of the machine, besides its report. */
final class LabLines {
    private LabLines() {}

    static String noStoreServer(LabStrategy strategy) {
        return switch (strategy) {
            case SQL -> "runs on the machine's PostgreSQL or on H2 inside a node, which the lab does not kill";
            case COOKIE -> "keeps the session in the shopper's cookie: there is no store";
            default -> "keeps its sessions in the nodes: there is no store server";
        };
    }

    /** What the packet loss dropped in the whole run, as the receivers' filters counted it. */
    static String dropped(NamespaceNetwork network) {
        long packets = 0;
        for (int host = 1; host <= network.hosts(); host++) {
            packets += network.droppedPackets(host);
        }
        return "the loss dropped " + packets + " packets in the whole run, warm-up and memory reading included";
    }

    static String oneLine(StrategyRun r) {
        String latency = String.format(
                "p50 %.1f ms, p99 %.1f ms",
                r.steady().p50Micros() / 1000.0, r.steady().p99Micros() / 1000.0);
        if (r.duringFault().count() > 0) {
            latency += String.format(
                    " steady, p99 %.1f ms during the fault", r.duringFault().p99Micros() / 1000.0);
        }
        return String.format(
                "%s: %,.0f requests/s, %s; %d lost sessions, %d lost writes, %d stale reads, %d resurrected,"
                        + " %d failed",
                r.strategy(),
                r.requestsPerSecond(),
                latency,
                r.count(AnomalyKind.LOST_SESSION),
                r.count(AnomalyKind.LOST_WRITE),
                r.count(AnomalyKind.STALE_READ),
                r.count(AnomalyKind.RESURRECTED),
                r.failed());
    }

    static String machine() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        return String.format(
                "%d cores, %s %s, Java %s, load average %.2f at the start",
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"),
                System.getProperty("os.version"),
                System.getProperty("java.version"),
                os.getSystemLoadAverage());
    }

    /**
     * The lab says itself what it does (progress, faults, results); the supervisor's and the
     * balancer's own lines about the same events would only interleave with its bars.
     */
    static void quietLogs() {
        for (String name : List.of("dev.satchel.cli", "dev.satchel.balancer")) {
            if (org.slf4j.LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger logger) {
                logger.setLevel(ch.qos.logback.classic.Level.ERROR);
            }
        }
    }
}
