package dev.satchel.lab;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** Lab results built by hand, so the report can be tested without a cluster. */
final class LabFixtures {
    static final String HOSTILE = "<script>alert(1)</script>";

    private LabFixtures() {}

    /** Every strategy after a node kill: memory lost sessions, the others kept them. */
    static LabResults results() {
        return results(
                "kill",
                List.of(
                        memory().build(),
                        run("replicated", "round-robin").p50(1_300).build(),
                        run("primary-backup", "session-hash").p50(1_200).build(),
                        run("redis", "round-robin").p50(1_500).build(),
                        run("sql", "round-robin").p50(3_000).build(),
                        run("cookie", "round-robin")
                                .p50(1_150)
                                .cookie(1_234.4, 1_301.0)
                                .build()));
    }

    /** The same strategies with no fault. */
    static LabResults noFault() {
        return results(
                "none",
                List.of(
                        memory().noFault()
                                .anomalies(AnomalyKind.LOST_SESSION, 0)
                                .harmed(0)
                                .build(),
                        run("replicated", "round-robin").noFault().build(),
                        run("primary-backup", "session-hash").noFault().build(),
                        run("redis", "round-robin").noFault().build(),
                        run("sql", "round-robin").noFault().build(),
                        run("cookie", "round-robin").noFault().cookie(900, 950).build()));
    }

    /** A run where nothing happened: no seconds, no requests, no fault. */
    static LabResults empty() {
        StrategyRun nothing = run("memory", "sticky-cookie")
                .noFault()
                .seconds(0)
                .requests(0, 0)
                .p50(0)
                .build();
        return results("none", List.of(nothing));
    }

    static LabResults results(String fault, List<StrategyRun> runs) {
        LabSettings settings =
                settings(runs.stream().map(StrategyRun::strategy).toList(), 3, fault, List.of(3), List.of(0));
        return new LabResults(
                "2026-12-03T08:00:00Z",
                "4 cores, Linux 6.8, Java 17.0.12",
                "satchel lab --strategies memory,replicated --fault " + fault + " --seed 42",
                settings,
                runs,
                List.of("redis-cluster: no redis-server on PATH | try again"));
    }

    /** A scaling run: replicated and primary-backup at 2 and 6 nodes, no fault. */
    static LabResults scaling() {
        List<StrategyRun> runs = new ArrayList<>();
        for (int nodes : List.of(2, 6)) {
            for (String strategy : List.of("replicated", "primary-backup")) {
                boolean all = strategy.equals("replicated");
                Map<String, Long> held = new java.util.TreeMap<>();
                for (int i = 1; i <= nodes; i++) {
                    held.put("node-" + i, all ? 600L : 1_200L / nodes);
                }
                runs.add(run(strategy, all ? "round-robin" : "session-hash")
                        .nodes(nodes)
                        .noFault()
                        .resources(new ResourceUse(
                                        5_000,
                                        Map.of(ResourceUse.NODES, 900.0),
                                        Map.of(ResourceUse.BETWEEN_NODES, all ? 100.0 * (nodes - 1) : 210.0),
                                        Map.of(),
                                        Map.of(),
                                        held,
                                        List.of())
                                .withMemory(new SessionMemory(
                                        600,
                                        held.entrySet().stream()
                                                .collect(java.util.stream.Collectors.toMap(
                                                        Map.Entry::getKey, e -> 1_000 * e.getValue())),
                                        held,
                                        StoreMemory.NONE,
                                        List.of())))
                        .build());
            }
        }
        LabSettings settings = settings(List.of("replicated", "primary-backup"), 2, "none", List.of(2, 6), List.of(0));
        return new LabResults(
                "2026-12-03T08:00:00Z",
                "4 cores, Linux 6.8, Java 17.0.12",
                "satchel lab --strategies replicated,primary-backup --nodes 2,6 --fault none",
                settings,
                runs,
                List.of());
    }

    /** A run's settings as these fixtures vary them; the rest as a default run on namespaces. */
    private static LabSettings settings(
            List<String> strategies, int nodes, String fault, List<Integer> nodeCounts, List<Integer> delays) {
        return new LabSettings(
                strategies,
                nodes,
                20,
                500,
                15,
                10,
                60,
                fault,
                20,
                10,
                42,
                "no",
                nodeCounts,
                "namespaces",
                delays,
                10,
                0,
                0,
                0);
    }

    /** A delay run: redis and sql at 0 and 10 ms added each way to the store, memory at 0 only. */
    static LabResults delays() {
        List<StrategyRun> runs = new ArrayList<>();
        runs.add(run("memory", "sticky-cookie").noFault().p50(2_000).build());
        for (int delay : List.of(0, 10)) {
            for (String strategy : List.of("redis", "sql")) {
                double trips = strategy.equals("redis") ? 1.6 : 1.7;
                runs.add(run(strategy, "round-robin")
                        .noFault()
                        .delay(delay)
                        .p50(3_000 + (long) (2 * trips * delay * 1_000))
                        .resources(new ResourceUse(
                                5_000,
                                Map.of(ResourceUse.NODES, 900.0),
                                Map.of(ResourceUse.NODES_STORE, 400.0),
                                Map.of(ResourceUse.NODES_STORE, trips),
                                Map.of(),
                                Map.of(),
                                List.of()))
                        .build());
            }
        }
        LabSettings settings = settings(List.of("memory", "redis", "sql"), 3, "none", List.of(3), List.of(0, 10));
        return new LabResults(
                "2026-12-03T08:00:00Z",
                "2 cores, Linux 6.8, Java 17.0.12",
                "satchel lab --strategies memory,redis,sql --delay 0,10 --fault none",
                settings,
                runs,
                List.of("memory with --delay above 0: the delay is added between the nodes and a store server"));
    }

    /** Memory after a kill: 12 sessions lost by 9 shoppers, one detail hostile. */
    static Run memory() {
        return run("memory", "sticky-cookie")
                .p50(1_100)
                .anomalies(AnomalyKind.LOST_SESSION, 12)
                .harmed(9)
                .cookie(48, 10)
                .detail(AnomalyKind.LOST_SESSION, HOSTILE);
    }

    static Run run(String strategy, String routing) {
        return new Run(strategy, routing);
    }

    /** A strategy run with plain defaults: 60 s, 6000 requests, a kill at 20 s. */
    static final class Run {
        private final String strategy;
        private final String routing;
        private int seconds = 60;
        private long succeeded = 5_990;
        private long failed = 10;
        private long p50 = 1_000;
        private boolean fault = true;
        private final Map<AnomalyKind, Long> counts = new EnumMap<>(AnomalyKind.class);
        private final List<Anomaly> kept = new ArrayList<>();
        private long harmed;
        private double cookie = 48;
        private double setCookie = 10;
        private Recovery recovery = new Recovery(true, 3_200);
        private List<FaultEvent> faults;
        private Map<String, Long> servedBy;

        private ResourceUse resources = ResourceUse.none();
        private int delayMillis;
        private int nodes = 3;

        Run nodes(int n) {
            nodes = n;
            return this;
        }

        private Run(String strategy, String routing) {
            this.strategy = strategy;
            this.routing = routing;
        }

        Run seconds(int s) {
            seconds = s;
            return this;
        }

        Run requests(long ok, long bad) {
            succeeded = ok;
            failed = bad;
            return this;
        }

        Run p50(long micros) {
            p50 = micros;
            return this;
        }

        Run noFault() {
            fault = false;
            recovery = Recovery.NOT_MEASURED;
            return this;
        }

        Run anomalies(AnomalyKind kind, long n) {
            counts.put(kind, n);
            return this;
        }

        Run harmed(long n) {
            harmed = n;
            return this;
        }

        Run cookie(double requestBytes, double setCookieBytes) {
            cookie = requestBytes;
            setCookie = setCookieBytes;
            return this;
        }

        Run recovery(Recovery r) {
            recovery = r;
            return this;
        }

        Run resources(ResourceUse r) {
            resources = r;
            return this;
        }

        /** These fault events instead of the kill, start and serving at 20, 30 and 31.2 s. */
        Run faults(FaultEvent... events) {
            faults = List.of(events);
            return this;
        }

        /** Answered requests per node; an even split over three nodes unless given. */
        Run servedBy(Map<String, Long> perNode) {
            servedBy = perNode;
            return this;
        }

        /** The delay added between the nodes and the store (0 unless given). */
        Run delay(int millis) {
            delayMillis = millis;
            return this;
        }

        Run detail(AnomalyKind kind, String detail) {
            kept.add(new Anomaly(kind, 21_250, "node-1", "u417", detail));
            return this;
        }

        StrategyRun build() {
            List<SecondSample> timeline = new ArrayList<>();
            long perSecond = seconds == 0 ? 0 : (succeeded + failed) / seconds;
            for (int s = 0; s < seconds; s++) {
                boolean down = fault && s >= 20 && s < 22;
                long bad = down ? failed / 2 : 0;
                timeline.add(new SecondSample(s, perSecond - bad, bad, down ? 1 : 0, down ? 250_000 : p50 * 4));
            }
            List<FaultEvent> events = faults != null
                    ? faults
                    : fault
                            ? List.of(
                                    new FaultEvent(20_000, "kill", "node-1"),
                                    new FaultEvent(30_000, "start", "node-1"),
                                    new FaultEvent(31_200, "serving", "node-1"))
                            : List.of();
            long all = succeeded + failed;
            LatencySummary steady =
                    all == 0 ? LatencySummary.EMPTY : new LatencySummary(all, p50, p50 * 2, p50 * 4, p50 * 8, p50 * 20);
            LatencySummary during = fault
                    ? new LatencySummary(900, p50 * 3, p50 * 50, 250_000, 400_000, 900_000)
                    : LatencySummary.EMPTY;
            return new StrategyRun(
                    strategy,
                    strategy + " --nodes 3",
                    routing,
                    nodes,
                    "where " + strategy + " keeps the session",
                    seconds,
                    all / 10,
                    all,
                    succeeded,
                    failed,
                    steady,
                    during,
                    timeline,
                    events,
                    counts,
                    kept,
                    harmed,
                    cookie,
                    setCookie,
                    servedBy != null
                            ? servedBy
                            : Map.of(
                                    "node-1",
                                    succeeded / 3,
                                    "node-2",
                                    succeeded / 3,
                                    "node-3",
                                    succeeded - 2 * (succeeded / 3)),
                    recovery,
                    resources,
                    fault ? List.of() : List.of("no fault was injected (--fault none)"),
                    delayMillis,
                    Soak.NONE);
        }
    }
}
