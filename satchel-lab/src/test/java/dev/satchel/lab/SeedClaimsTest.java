package dev.satchel.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.lab.SeedClaim.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SeedClaimsTest {
    private static final String MEMORY = "sticky sessions lose the sessions of a crashed server";
    private static final String REPLICATED = "replicated copies arrive late";
    private static final String BACKUP = "primary-backup survives the loss of a node";
    private static final String STORE = "a central store adds a network request per request";
    private static final String COOKIE = "client-side storage carries the data on every request";
    private static final String STORE_FAILS = "if the central store fails, every server loses its sessions";
    private static final String CONCENTRATES = "sticky sessions concentrate traffic";
    private static final String BANDWIDTH = "session clustering consumes bandwidth";
    private static final String EVERYWHERE = "session clustering stores every session on every server";
    private static final String GROWS = "session clustering is prone to broadcast storms as servers grow";
    private static final String LESS_MEMORY = "primary-backup uses less memory than all-to-all replication";

    /** The fixture with these runs in place of the ones of the same strategy. */
    private static LabResults replacing(LabResults base, StrategyRun... runs) {
        List<StrategyRun> all = new ArrayList<>(base.runs());
        for (StrategyRun r : runs) {
            all.replaceAll(old -> old.strategy().equals(r.strategy()) ? r : old);
        }
        return LabFixtures.results(base.settings().fault(), all);
    }

    private static LabResults without(LabResults base, String... strategies) {
        List<String> gone = List.of(strategies);
        return LabFixtures.results(
                base.settings().fault(),
                base.runs().stream().filter(r -> !gone.contains(r.strategy())).toList());
    }

    private static SeedClaim claim(LabResults results, String opening) {
        return LabReport.claims(results).stream()
                .filter(c -> c.claim().toLowerCase(Locale.ROOT).startsWith(opening))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void theElevenClaimsComeInTheSeedsOrderWithItsWords() {
        assertThat(LabReport.claims(LabFixtures.results()))
                .extracting(c -> c.claim().toLowerCase(Locale.ROOT))
                .satisfiesExactly(
                        c -> assertThat(c).startsWith(MEMORY),
                        c -> assertThat(c)
                                .startsWith(REPLICATED + ", so a request can reach a server without the session"),
                        c -> assertThat(c).startsWith(BANDWIDTH),
                        c -> assertThat(c).startsWith(EVERYWHERE),
                        c -> assertThat(c).startsWith(GROWS),
                        c -> assertThat(c).startsWith(BACKUP),
                        c -> assertThat(c).startsWith(LESS_MEMORY),
                        c -> assertThat(c).startsWith(STORE),
                        c -> assertThat(c).startsWith(COOKIE),
                        c -> assertThat(c).startsWith(STORE_FAILS),
                        c -> assertThat(c).startsWith(CONCENTRATES));
    }

    @Test
    void stickySessionsLoseSessionsWhenTheKilledNodeTookThemAlong() {
        SeedClaim c = claim(LabFixtures.results(), MEMORY);
        assertThat(c.verdict()).isEqualTo(Verdict.HOLDS);
        assertThat(c.verdictWords()).isEqualTo("holds");
        assertThat(c.testedBy()).isEqualTo("memory, kill node-1 at 20.0 s");
        assertThat(c.evidence())
                .isEqualTo("12 sessions lost, 9 shoppers harmed after node-1 was killed at 20.0 s,"
                        + " in 6000 requests checked.");
    }

    @Test
    void stickySessionsThatLostNothingContradictTheClaim() {
        LabResults r = replacing(
                LabFixtures.results(),
                LabFixtures.memory().anomalies(AnomalyKind.LOST_SESSION, 0).build());
        SeedClaim c = claim(r, MEMORY);
        assertThat(c.verdict()).isEqualTo(Verdict.DOES_NOT_HOLD);
        assertThat(c.evidence()).startsWith("0 sessions lost after node-1 was killed at 20.0 s");
    }

    @Test
    void stickySessionsWithoutAKillOrWithoutMemoryAreNotMeasured() {
        SeedClaim noFault = claim(LabFixtures.noFault(), MEMORY);
        assertThat(noFault.verdict()).isEqualTo(Verdict.NOT_MEASURED);
        assertThat(noFault.evidence()).contains("no node was killed").contains("--fault kill");

        SeedClaim noMemory = claim(without(LabFixtures.results(), "memory"), MEMORY);
        assertThat(noMemory.verdict()).isEqualTo(Verdict.NOT_MEASURED);
        assertThat(noMemory.evidence()).startsWith("memory did not run here");

        // Asked for a kill, but the kill never happened (the runner notes why).
        LabResults failedKill =
                replacing(LabFixtures.results(), LabFixtures.memory().faults().build());
        assertThat(claim(failedKill, MEMORY).verdict()).isEqualTo(Verdict.NOT_MEASURED);
        assertThat(claim(failedKill, MEMORY).evidence()).contains("the kill did not happen");

        LabResults idle = replacing(
                LabFixtures.results(), LabFixtures.memory().requests(0, 0).build());
        assertThat(claim(idle, MEMORY).verdict()).isEqualTo(Verdict.NOT_MEASURED);
        assertThat(claim(idle, MEMORY).evidence()).startsWith("memory had no requests");
    }

    @Test
    void lateReplicasAreNotSeenWhenEveryReadFoundTheSession() {
        SeedClaim c = claim(LabFixtures.results(), REPLICATED);
        assertThat(c.verdict()).isEqualTo(Verdict.NOT_SEEN);
        assertThat(c.verdictWords()).isEqualTo("not seen here");
        assertThat(c.evidence())
                .startsWith("0 lost sessions, 0 stale reads, 0 lost writes in 6000 requests spread round-robin")
                .contains("synchronous");
    }

    @Test
    void lateReplicasHoldWhenAReadMissedOrFoundAnOldCopy() {
        LabResults r = replacing(
                LabFixtures.results(),
                LabFixtures.run("replicated", "round-robin")
                        .anomalies(AnomalyKind.STALE_READ, 3)
                        .anomalies(AnomalyKind.LOST_SESSION, 1)
                        .build());
        SeedClaim c = claim(r, REPLICATED);
        assertThat(c.verdict()).isEqualTo(Verdict.HOLDS);
        assertThat(c.evidence()).startsWith("1 lost sessions, 3 stale reads, 0 lost writes in 6000 requests");

        assertThat(claim(without(LabFixtures.results(), "replicated"), REPLICATED)
                        .verdict())
                .isEqualTo(Verdict.NOT_MEASURED);
    }

    @Test
    void primaryBackupSurvivesAKillWithoutDataAnomalies() {
        SeedClaim c = claim(LabFixtures.results(), BACKUP);
        assertThat(c.verdict()).isEqualTo(Verdict.HOLDS);
        assertThat(c.evidence())
                .isEqualTo("0 data anomalies after node-1 was killed at 20.0 s; 10 of 6000 requests failed;"
                        + " service back after 3.2 s.");

        LabResults slow = replacing(
                LabFixtures.results(),
                LabFixtures.run("primary-backup", "session-hash")
                        .recovery(Recovery.NOT_MEASURED)
                        .build());
        assertThat(claim(slow, BACKUP).evidence()).contains("service did not come back before the end");
    }

    @Test
    void primaryBackupDoesNotHoldWithALostWriteOrAResurrectedSession() {
        for (AnomalyKind kind : List.of(AnomalyKind.LOST_WRITE, AnomalyKind.RESURRECTED, AnomalyKind.STALE_READ)) {
            LabResults r = replacing(
                    LabFixtures.results(),
                    LabFixtures.run("primary-backup", "session-hash")
                            .anomalies(kind, 1)
                            .build());
            assertThat(claim(r, BACKUP).verdict()).as(kind.name()).isEqualTo(Verdict.DOES_NOT_HOLD);
        }
        LabResults lostWrite = replacing(
                LabFixtures.results(),
                LabFixtures.run("primary-backup", "session-hash")
                        .anomalies(AnomalyKind.LOST_WRITE, 2)
                        .build());
        assertThat(claim(lostWrite, BACKUP).evidence())
                .startsWith("0 lost sessions, 2 lost writes, 0 stale reads, 0 resurrected after node-1");
        // Failed requests alone are not data lost.
        LabResults errors = replacing(
                LabFixtures.results(),
                LabFixtures.run("primary-backup", "session-hash")
                        .anomalies(AnomalyKind.ERROR, 40)
                        .anomalies(AnomalyKind.INDETERMINATE, 3)
                        .build());
        assertThat(claim(errors, BACKUP).verdict()).isEqualTo(Verdict.HOLDS);
        assertThat(claim(LabFixtures.noFault(), BACKUP).verdict()).isEqualTo(Verdict.NOT_MEASURED);
    }

    @Test
    void aCentralStoresCostIsItsP50OverMemorys() {
        SeedClaim c = claim(LabFixtures.results(), STORE);
        assertThat(c.verdict()).isEqualTo(Verdict.HOLDS_WITH_A_NUMBER);
        assertThat(c.testedBy()).isEqualTo("redis, sql vs memory");
        assertThat(c.verdictWords()).isEqualTo("holds: redis +0.4 ms, sql +1.9 ms at p50");
        assertThat(c.evidence())
                .isEqualTo("redis p50 +0.4 ms, sql p50 +1.9 ms over memory's 1.1 ms (steady phase, before any fault).");

        SeedClaim redisOnly = claim(without(LabFixtures.results(), "sql"), STORE);
        assertThat(redisOnly.evidence()).startsWith("redis p50 +0.4 ms over memory's 1.1 ms");
        assertThat(redisOnly.testedBy()).isEqualTo("redis vs memory");

        LabResults faster = replacing(
                LabFixtures.results(),
                LabFixtures.run("redis", "round-robin").p50(900).build());
        assertThat(claim(faster, STORE).evidence()).startsWith("redis p50 -0.2 ms");
        assertThat(claim(faster, STORE).verdictWords()).isEqualTo("holds: sql +1.9 ms at p50");
        LabResults bothFaster = replacing(
                faster, LabFixtures.run("sql", "round-robin").p50(1_000).build());
        assertThat(claim(bothFaster, STORE).verdict()).isEqualTo(Verdict.NOT_SEEN);
        assertThat(claim(bothFaster, STORE).evidence()).endsWith("smaller than this run's noise.");

        assertThat(claim(without(LabFixtures.results(), "memory"), STORE).verdict())
                .isEqualTo(Verdict.NOT_MEASURED);
        SeedClaim noStores = claim(without(LabFixtures.results(), "redis", "sql"), STORE);
        assertThat(noStores.verdict()).isEqualTo(Verdict.NOT_MEASURED);
        assertThat(noStores.evidence()).contains("neither redis nor sql");
    }

    private static ResourceUse used(Map<String, Double> wire, Map<String, Double> operations) {
        return used(wire, Map.of(), operations);
    }

    private static ResourceUse used(
            Map<String, Double> wire, Map<String, Double> sends, Map<String, Double> operations) {
        return new ResourceUse(1_000, Map.of(ResourceUse.NODES, 400.0), wire, sends, operations, Map.of(), List.of());
    }

    @Test
    void theRoundTripsCounted_settleTheClaim_whenTheLabCouldCountThem() {
        LabResults counted = replacing(
                LabFixtures.results(),
                LabFixtures.run("redis", "round-robin")
                        .p50(900) // faster than memory here: latency alone would say "not seen"
                        .resources(used(
                                Map.of(ResourceUse.NODES_STORE, 600.0),
                                Map.of(ResourceUse.NODES_STORE, 1.9),
                                Map.of("commands", 3.93)))
                        .build(),
                LabFixtures.run("sql", "round-robin")
                        .p50(1_000)
                        .resources(used(
                                Map.of(ResourceUse.NODES_STORE, 500.0),
                                Map.of(ResourceUse.NODES_STORE, 3.5),
                                Map.of("transactions", 1.5)))
                        .build());
        SeedClaim c = claim(counted, STORE);
        assertThat(c.verdict()).isEqualTo(Verdict.HOLDS_WITH_A_NUMBER);
        assertThat(c.verdictWords()).isEqualTo("holds: redis 1.90, sql 3.50 round trips to the store per request");
        assertThat(c.evidence())
                .startsWith("redis 1.90, sql 3.50 round trips to the store per request (TCP segments")
                .contains("the servers counted redis 3.93 commands, sql 1.50 transactions per request")
                .contains("redis p50 -0.2 ms");

        LabResults fewer = replacing(
                LabFixtures.results(),
                LabFixtures.run("redis", "round-robin")
                        .resources(used(Map.of(), Map.of(ResourceUse.NODES_STORE, 0.4), Map.of("commands", 3.0)))
                        .build(),
                LabFixtures.run("sql", "round-robin").build());
        assertThat(claim(fewer, STORE).verdict()).isEqualTo(Verdict.DOES_NOT_HOLD);
        // Without the kernel's counters the claim falls back on latency, as before.
        assertThat(claim(LabFixtures.results(), STORE).verdictWords())
                .isEqualTo("holds: redis +0.4 ms, sql +1.9 ms at p50");
    }

    @Test
    void clusteringBandwidthIsTheBytesBetweenNodesPerRequest() {
        assertThat(claim(LabFixtures.results(), BANDWIDTH).verdict()).isEqualTo(Verdict.NOT_MEASURED);
        LabResults measured = replacing(
                LabFixtures.results(),
                LabFixtures.run("replicated", "round-robin")
                        .resources(used(Map.of(ResourceUse.BETWEEN_NODES, 1_234.0), Map.of()))
                        .build(),
                LabFixtures.run("memory", "sticky-cookie")
                        .resources(used(Map.of(ResourceUse.BALANCER_NODES, 900.0), Map.of()))
                        .build());
        SeedClaim c = claim(measured, BANDWIDTH);
        assertThat(c.verdict()).isEqualTo(Verdict.HOLDS_WITH_A_NUMBER);
        assertThat(c.verdictWords()).isEqualTo("holds: replicated 1234 B per request");
        assertThat(c.evidence()).contains("900 B between balancer and node under memory");
        LabResults silent = replacing(
                LabFixtures.results(),
                LabFixtures.run("replicated", "round-robin")
                        .resources(used(Map.of(ResourceUse.BETWEEN_NODES, 0.0), Map.of()))
                        .build());
        assertThat(claim(silent, BANDWIDTH).verdict()).isEqualTo(Verdict.DOES_NOT_HOLD);
    }

    private static ResourceUse holding(long... perNode) {
        Map<String, Long> held = new java.util.TreeMap<>();
        for (int i = 0; i < perNode.length; i++) {
            held.put("node-" + (i + 1), perNode[i]);
        }
        return new ResourceUse(1_000, Map.of(), Map.of(), Map.of(), Map.of(), held, List.of());
    }

    /** The heaps' growth by node in MB and the copies each node gained, around 1,000 sessions made. */
    private static ResourceUse heaps(double[] megabytes, long... copies) {
        Map<String, Long> growth = new java.util.TreeMap<>();
        Map<String, Long> gained = new java.util.TreeMap<>();
        for (int i = 0; i < megabytes.length; i++) {
            growth.put("node-" + (i + 1), (long) (megabytes[i] * 1e6));
            gained.put("node-" + (i + 1), copies[i]);
        }
        return holding(copies).withMemory(new SessionMemory(1_000, growth, gained, StoreMemory.NONE, List.of()));
    }

    @Test
    void primaryBackupUsesLessMemory_whenASessionCostItsNodesLessThanReplicateds() {
        assertThat(claim(LabFixtures.results(), LESS_MEMORY).verdict()).isEqualTo(Verdict.NOT_MEASURED);
        LabResults measured = replacing(
                LabFixtures.results(),
                LabFixtures.run("replicated", "round-robin")
                        .resources(heaps(new double[] {1.0, 1.1, 0.9}, 1000, 1000, 1000))
                        .build(),
                LabFixtures.run("primary-backup", "session-hash")
                        .resources(heaps(new double[] {0.667, 0.666, 0.667}, 667, 666, 667))
                        .build(),
                LabFixtures.run("redis", "round-robin")
                        .resources(heaps(new double[] {0.02, 0.01, 0.0}, 0, 0, 0))
                        .build());
        SeedClaim c = claim(measured, LESS_MEMORY);
        assertThat(c.verdict()).isEqualTo(Verdict.HOLDS_WITH_A_NUMBER);
        assertThat(c.verdictWords()).isEqualTo("holds: 0.67x replicated's heap per session on 3 nodes");
        assertThat(c.evidence())
                .contains("a fresh session cost all the nodes' heaps 2000 B under primary-backup (2.0 copies of each)")
                .contains("3000 B under replicated (3.0 copies of each)")
                .contains("redis's nodes, which keep no sessions, grew 30 B per session made");

        LabResults alike = replacing(
                LabFixtures.results(),
                LabFixtures.run("replicated", "round-robin")
                        .resources(heaps(new double[] {0.7, 0.7, 0.6}, 667, 667, 666))
                        .build(),
                LabFixtures.run("primary-backup", "session-hash")
                        .resources(heaps(new double[] {0.7, 0.6, 0.7}, 667, 666, 667))
                        .build());
        assertThat(claim(alike, LESS_MEMORY).verdict()).isEqualTo(Verdict.DOES_NOT_HOLD);
    }

    @Test
    void everySessionOnEveryServer_isReadFromWhatEachReplicatedNodeHeld() {
        assertThat(claim(LabFixtures.results(), EVERYWHERE).verdict()).isEqualTo(Verdict.NOT_MEASURED);
        LabResults measured = replacing(
                LabFixtures.results(),
                LabFixtures.run("replicated", "round-robin")
                        .resources(holding(212, 212, 211))
                        .build(),
                LabFixtures.run("primary-backup", "session-hash")
                        .resources(holding(141, 139, 143))
                        .build(),
                LabFixtures.run("memory", "sticky-cookie")
                        .resources(holding(70, 71, 72))
                        .build());
        SeedClaim c = claim(measured, EVERYWHERE);
        assertThat(c.verdict()).isEqualTo(Verdict.HOLDS_WITH_A_NUMBER);
        assertThat(c.verdictWords()).isEqualTo("holds: each of 3 nodes held about 212 sessions");
        assertThat(c.evidence())
                .startsWith("replicated's nodes held 212, 212, 211 sessions; primary-backup's 141, 139, 143")
                .contains("memory's 70, 71, 72");
        LabResults uneven = replacing(
                LabFixtures.results(),
                LabFixtures.run("replicated", "round-robin")
                        .resources(holding(212, 70, 71))
                        .build());
        assertThat(claim(uneven, EVERYWHERE).verdict()).isEqualTo(Verdict.DOES_NOT_HOLD);
    }

    private static StrategyRun sized(String strategy, int nodes, double between) {
        return LabFixtures.run(strategy, "round-robin")
                .nodes(nodes)
                .resources(used(Map.of(ResourceUse.BETWEEN_NODES, between), Map.of()))
                .build();
    }

    @Test
    void broadcastStormsAreReadFromAScalingRun() {
        assertThat(claim(LabFixtures.results(), GROWS).verdict()).isEqualTo(Verdict.NOT_MEASURED);
        LabResults scaling = LabFixtures.results(
                "none",
                List.of(
                        sized("replicated", 2, 200),
                        sized("primary-backup", 2, 210),
                        sized("replicated", 6, 1_000),
                        sized("primary-backup", 6, 230)));
        SeedClaim c = claim(scaling, GROWS);
        assertThat(c.verdict()).isEqualTo(Verdict.HOLDS_WITH_A_NUMBER);
        assertThat(c.verdictWords()).isEqualTo("holds: x5.0 the bytes per request from 2 to 6 nodes");
        assertThat(c.evidence())
                .startsWith("replicated 200 B at 2 nodes, 1000 B at 6 (x5.0) between the nodes per request;"
                        + " primary-backup 210 B at 2 nodes, 230 B at 6 (x1.1)")
                .endsWith("N-1 would give x5.0.");
        LabResults flat =
                LabFixtures.results("none", List.of(sized("replicated", 2, 200), sized("replicated", 4, 220)));
        assertThat(claim(flat, GROWS).verdict()).isEqualTo(Verdict.DOES_NOT_HOLD);
    }

    @Test
    void clientSideStorageCarriesItsBytesOnEveryRequest() {
        SeedClaim c = claim(LabFixtures.results(), COOKIE);
        assertThat(c.verdict()).isEqualTo(Verdict.HOLDS_WITH_A_NUMBER);
        assertThat(c.verdictWords()).isEqualTo("holds: +1186 B of Cookie per request");
        assertThat(c.evidence())
                .isEqualTo("cookie requests carried 1234 B of Cookie header on average against memory's 48 B,"
                        + " and its responses 1301 B of Set-Cookie against memory's 10 B.");

        assertThat(claim(without(LabFixtures.results(), "cookie"), COOKIE).verdict())
                .isEqualTo(Verdict.NOT_MEASURED);
        assertThat(claim(without(LabFixtures.results(), "memory"), COOKIE).verdict())
                .isEqualTo(Verdict.NOT_MEASURED);
    }

    @Test
    void aStoreFailureIsMeasuredOnlyWhenTheStoreWasKilled() {
        SeedClaim nodeKill = claim(LabFixtures.results(), STORE_FAILS);
        assertThat(nodeKill.verdict()).isEqualTo(Verdict.NOT_MEASURED);
        assertThat(nodeKill.evidence())
                .isEqualTo("this run killed a shop node, not the store;"
                        + " ./satchel lab --strategies redis,sql --fault kill-store measures it.");
        assertThat(claim(LabFixtures.noFault(), STORE_FAILS).evidence()).startsWith("this run injected no fault");

        FaultEvent storeKill = new FaultEvent(20_000, "kill-store", "redis-server");
        LabResults lost = replacing(
                LabFixtures.results(),
                LabFixtures.run("redis", "round-robin")
                        .faults(storeKill)
                        .anomalies(AnomalyKind.LOST_SESSION, 70)
                        .build());
        assertThat(claim(lost, STORE_FAILS).verdict()).isEqualTo(Verdict.HOLDS);
        assertThat(claim(lost, STORE_FAILS).evidence())
                .isEqualTo("redis (keeping nothing on disk): 70 sessions lost, 10 of 6000 requests failed.");
        LabResults kept = replacing(
                LabFixtures.results(),
                LabFixtures.run("redis", "round-robin").faults(storeKill).build());
        assertThat(claim(kept, STORE_FAILS).verdict()).isEqualTo(Verdict.DOES_NOT_HOLD);
    }

    @Test
    void concentrationComparesStickyMemorysBusiestNodeWithRoundRobins() {
        SeedClaim even = claim(LabFixtures.results(), CONCENTRATES);
        assertThat(even.verdict()).isEqualTo(Verdict.NOT_SEEN);
        assertThat(even.evidence()).startsWith("memory (sticky-cookie): the busiest node served 33% of answered");

        LabResults lopsided = replacing(
                LabFixtures.results(),
                LabFixtures.memory()
                        .servedBy(Map.of("node-1", 1_000L, "node-2", 2_600L, "node-3", 2_390L))
                        .build());
        SeedClaim c = claim(lopsided, CONCENTRATES);
        assertThat(c.verdict()).isEqualTo(Verdict.HOLDS_WITH_A_NUMBER);
        assertThat(c.verdictWords()).isEqualTo("holds: +10 points on the busiest node");
        assertThat(c.evidence()).contains("served 43% of answered requests", "round-robin's busiest");

        assertThat(claim(without(LabFixtures.results(), "memory"), CONCENTRATES).verdict())
                .isEqualTo(Verdict.NOT_MEASURED);
    }

    @Test
    void aCostWithoutItsNumberIsRefused() {
        assertThatThrownBy(() -> new SeedClaim("c", "t", Verdict.HOLDS_WITH_A_NUMBER, " ", "e"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
