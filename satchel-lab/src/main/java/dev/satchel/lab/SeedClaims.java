package dev.satchel.lab;

import static dev.satchel.lab.AnomalyKind.LOST_SESSION;
import static dev.satchel.lab.AnomalyKind.LOST_WRITE;
import static dev.satchel.lab.AnomalyKind.RESURRECTED;
import static dev.satchel.lab.AnomalyKind.STALE_READ;

import dev.satchel.lab.SeedClaim.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Holds the seed's claims about the strategies against a lab run. Every verdict is computed from
 * the results, so a run that shows something else says so; a claim the run cannot test says what
 * would test it instead of guessing.
 */
final class SeedClaims {
    static final String STICKY_LOSES = "Sticky sessions lose the sessions of a crashed server";
    static final String REPLICAS_LATE =
            "Replicated copies arrive late, so a request can reach a server without the session";
    static final String BACKUP_SURVIVES = "Primary-backup survives the loss of a node";
    static final String STORE_ROUND_TRIP = "A central store adds a network request per request";
    static final String CLUSTERING_BANDWIDTH = "Session clustering consumes bandwidth";
    static final String EVERY_SESSION_EVERYWHERE = "Session clustering stores every session on every server";
    static final String GROWS_WITH_SERVERS = "Session clustering is prone to broadcast storms as servers grow";
    static final String BACKUP_LESS_MEMORY = "Primary-backup uses less memory than all-to-all replication";
    static final String COOKIE_CARRIES = "Client-side storage carries the data on every request";
    static final String STORE_FAILS = "If the central store fails, every server loses its sessions";
    static final String STICKY_CONCENTRATES = "Sticky sessions concentrate traffic";

    private static final List<String> STORES = List.of("redis", "sql");

    /** How many percentage points above round-robin's busiest node count as concentrated. */
    private static final double CONCENTRATION_POINTS = 5;

    private final LabResults results;

    private SeedClaims(LabResults results) {
        this.results = results;
    }

    /** The claims in the seed's order, each with its verdict. */
    static List<SeedClaim> of(LabResults results) {
        SeedClaims c = new SeedClaims(results);
        ClusteringClaims clustering = new ClusteringClaims(results, c::run);
        return List.of(
                c.stickyLoses(),
                c.replicasLate(),
                clustering.bandwidth(),
                clustering.everySessionEverywhere(),
                clustering.growsWithServers(),
                c.backupSurvives(),
                clustering.backupUsesLessMemory(),
                c.storeRoundTrip(),
                c.cookieCarries(),
                c.storeFails(),
                c.stickyConcentrates());
    }

    private SeedClaim stickyLoses() {
        Optional<StrategyRun> memory = run("memory");
        if (memory.isEmpty()) {
            return notMeasured(STICKY_LOSES, "memory", absent("memory") + "; --strategies memory --fault kill would");
        }
        StrategyRun m = memory.get();
        Optional<FaultEvent> kill = kill(m);
        if (kill.isEmpty()) {
            return notMeasured(STICKY_LOSES, "memory", noKill());
        }
        long lost = m.count(LOST_SESSION);
        String by = testedBy(m, kill.get());
        if (lost == 0) {
            return new SeedClaim(
                    STICKY_LOSES,
                    by,
                    Verdict.DOES_NOT_HOLD,
                    "",
                    "0 sessions lost after " + when(kill.get()) + ", in " + m.requests() + " requests checked.");
        }
        return new SeedClaim(
                STICKY_LOSES,
                by,
                Verdict.HOLDS,
                "",
                lost + " sessions lost, " + m.shoppersHarmed() + " shoppers harmed after " + when(kill.get()) + ", in "
                        + m.requests() + " requests checked.");
    }

    private SeedClaim replicasLate() {
        Optional<StrategyRun> replicated = run("replicated");
        if (replicated.isEmpty()) {
            return notMeasured(REPLICAS_LATE, "replicated", absent("replicated") + "; --strategies replicated would");
        }
        StrategyRun r = replicated.get();
        long lost = r.count(LOST_SESSION);
        long stale = r.count(STALE_READ);
        long lostWrites = r.count(LOST_WRITE);
        String counts = lost + " lost sessions, " + stale + " stale reads, " + lostWrites + " lost writes in "
                + r.requests() + " requests spread " + r.routing();
        String by = kill(r).map(k -> testedBy(r, k)).orElse("replicated, " + r.routing());
        if (lost + stale + lostWrites == 0) {
            return new SeedClaim(
                    REPLICAS_LATE,
                    by,
                    Verdict.NOT_SEEN,
                    "",
                    counts + "; saves here wait until the other nodes applied them (synchronous).");
        }
        return new SeedClaim(REPLICAS_LATE, by, Verdict.HOLDS, "", counts + ".");
    }

    private SeedClaim backupSurvives() {
        Optional<StrategyRun> backup = run("primary-backup");
        if (backup.isEmpty()) {
            return notMeasured(
                    BACKUP_SURVIVES,
                    "primary-backup",
                    absent("primary-backup") + "; --strategies primary-backup --fault kill would");
        }
        StrategyRun b = backup.get();
        Optional<FaultEvent> kill = kill(b);
        if (kill.isEmpty()) {
            return notMeasured(BACKUP_SURVIVES, "primary-backup", noKill());
        }
        long data = b.count(LOST_SESSION) + b.count(LOST_WRITE) + b.count(STALE_READ) + b.count(RESURRECTED);
        String failed = b.failed() + " of " + b.requests() + " requests failed";
        String recovery = b.recovery().measured()
                ? "service back after " + Figures.seconds(b.recovery().millis()) + " s"
                : "service did not come back before the end";
        String by = testedBy(b, kill.get());
        if (data == 0) {
            return new SeedClaim(
                    BACKUP_SURVIVES,
                    by,
                    Verdict.HOLDS,
                    "",
                    "0 data anomalies after " + when(kill.get()) + "; " + failed + "; " + recovery + ".");
        }
        return new SeedClaim(
                BACKUP_SURVIVES,
                by,
                Verdict.DOES_NOT_HOLD,
                "",
                b.count(LOST_SESSION) + " lost sessions, " + b.count(LOST_WRITE) + " lost writes, "
                        + b.count(STALE_READ) + " stale reads, " + b.count(RESURRECTED) + " resurrected after "
                        + when(kill.get()) + "; " + failed + "; " + recovery + ".");
    }

    private SeedClaim storeRoundTrip() {
        Optional<StrategyRun> memory = run("memory").filter(m -> m.steady().count() > 0);
        if (memory.isEmpty()) {
            return notMeasured(
                    STORE_ROUND_TRIP,
                    "redis, sql vs memory",
                    "memory has no steady latency here to compare with; --strategies memory,redis,sql would measure it.");
        }
        long base = memory.get().steady().p50Micros();
        List<String> parts = new ArrayList<>();
        List<String> costs = new ArrayList<>();
        List<String> ran = new ArrayList<>();
        for (String store : STORES) {
            Optional<StrategyRun> s = run(store).filter(r -> r.steady().count() > 0);
            if (s.isPresent()) {
                long delta = s.get().steady().p50Micros() - base;
                String diff = Figures.signedMs(delta / 1000.0) + " ms";
                parts.add(store + " p50 " + diff);
                if (delta > 0) {
                    costs.add(store + " " + diff);
                }
                ran.add(store);
            }
        }
        if (ran.isEmpty()) {
            return notMeasured(
                    STORE_ROUND_TRIP,
                    "redis, sql vs memory",
                    "neither redis nor sql has steady latency here; --strategies memory,redis,sql would measure it.");
        }
        String evidence = String.join(", ", parts) + " over memory's " + Figures.ms(base)
                + " ms (steady phase, before any fault)";
        // Counting settles what latency on a busy machine cannot: how many requests the store got.
        // The nodes' sends are round trips (one TCP segment per request or pipelined batch on
        // loopback); the server's own count adds what it did for each (a script's own commands).
        List<String> trips = new ArrayList<>();
        List<String> counted = new ArrayList<>();
        boolean atLeastOne = false;
        for (String store : ran) {
            StrategyRun r = run(store).orElseThrow();
            Double sends = r.resources().sends().get(ResourceUse.NODES_STORE);
            if (sends != null) {
                trips.add(store + " " + Figures.fixed(sends, 2));
                atLeastOne |= sends >= 1;
            }
            r.resources()
                    .storeOperations()
                    .forEach((unit, n) -> counted.add(store + " " + Figures.fixed(n, 2) + " " + unit));
        }
        if (!trips.isEmpty()) {
            String perRequest = String.join(", ", trips) + " round trips to the store per request";
            String server = counted.isEmpty()
                    ? ""
                    : "; the servers counted " + String.join(", ", counted) + " per request (scripts' own commands"
                            + " included)";
            return new SeedClaim(
                    STORE_ROUND_TRIP,
                    String.join(", ", ran) + " vs memory",
                    atLeastOne ? Verdict.HOLDS_WITH_A_NUMBER : Verdict.DOES_NOT_HOLD,
                    atLeastOne ? perRequest : "",
                    perRequest + " (TCP segments the nodes sent it, before the fault)" + server + "; " + evidence
                            + fartherAway(ran) + ".");
        }
        if (costs.isEmpty()) {
            // a loopback round trip is a fraction of a millisecond: on a busy machine it hides in the noise
            return new SeedClaim(
                    STORE_ROUND_TRIP,
                    String.join(", ", ran) + " vs memory",
                    Verdict.NOT_SEEN,
                    "",
                    evidence + "; the store's round trip is smaller than this run's noise.");
        }
        return new SeedClaim(
                STORE_ROUND_TRIP,
                String.join(", ", ran) + " vs memory",
                Verdict.HOLDS_WITH_A_NUMBER,
                String.join(", ", costs) + " at p50",
                evidence + ".");
    }

    private SeedClaim cookieCarries() {
        Optional<StrategyRun> cookie = run("cookie");
        Optional<StrategyRun> memory = run("memory");
        if (cookie.isEmpty() || memory.isEmpty()) {
            String missing = cookie.isEmpty() ? absent("cookie") : absent("memory");
            return notMeasured(COOKIE_CARRIES, "cookie vs memory", missing + "; --strategies memory,cookie would");
        }
        StrategyRun c = cookie.get();
        StrategyRun m = memory.get();
        String extra = signed(Math.round(c.cookieBytesPerRequest() - m.cookieBytesPerRequest()));
        return new SeedClaim(
                COOKIE_CARRIES,
                "cookie vs memory",
                Verdict.HOLDS_WITH_A_NUMBER,
                extra + " B of Cookie per request",
                "cookie requests carried " + Figures.bytes(c.cookieBytesPerRequest())
                        + " B of Cookie header on average against memory's " + Figures.bytes(m.cookieBytesPerRequest())
                        + " B, and its responses " + Figures.bytes(c.setCookieBytesPerResponse())
                        + " B of Set-Cookie against memory's " + Figures.bytes(m.setCookieBytesPerResponse()) + " B.");
    }

    /**
     * Measured only when a store run took a store fault: {@code --fault kill-store}, or {@code
     * promote-store}, the seed's "unless the store is replicated".
     */
    private SeedClaim storeFails() {
        List<String> seen = new ArrayList<>();
        List<String> by = new ArrayList<>();
        long lost = 0;
        for (String store : STORES) {
            Optional<StrategyRun> s = run(store);
            Optional<FaultEvent> storeKill = s.flatMap(r -> r.faults().stream()
                    .filter(f -> f.action().equals("kill-store") || f.action().equals("kill-master"))
                    .findFirst());
            if (storeKill.isPresent()) {
                StrategyRun r = s.get();
                lost += r.count(LOST_SESSION);
                by.add(testedBy(r, storeKill.get()));
                seen.add(store + keeping(store) + ": " + r.count(LOST_SESSION) + " sessions lost, " + r.failed()
                        + " of " + r.requests() + " requests failed");
            }
        }
        if (seen.isEmpty()) {
            String fault = results.settings().killsANode()
                    ? "this run killed a shop node, not the store"
                    : "this run injected no fault";
            return notMeasured(
                    STORE_FAILS,
                    "redis, sql",
                    fault + "; ./satchel lab --strategies redis,sql --fault kill-store measures it.");
        }
        return new SeedClaim(
                STORE_FAILS,
                String.join("; ", by),
                lost > 0 ? Verdict.HOLDS : Verdict.DOES_NOT_HOLD,
                "",
                String.join("; ", seen) + ".");
    }

    /** How the store kept its data, when the lab knows: it started redis-server itself. */
    private String keeping(String store) {
        if (store.equals("sql")) {
            return " (PostgreSQL, committing with fsync)";
        }
        if (!store.equals("redis")) {
            return "";
        }
        if (results.settings().promotesTheStore()) {
            return " (replicated: Sentinel promoted the replica of the killed master)";
        }
        return switch (results.settings().redisPersistence()) {
            case "no" -> " (keeping nothing on disk)";
            case "everysec" -> " (append-only file, fsync every second)";
            case "always" -> " (append-only file, fsync on every write)";
            default -> "";
        };
    }

    /**
     * Memory's busiest node against the busiest node of the runs spread round-robin in the same
     * run, which took the same shoppers and the same fault: sticky routing cannot move a pinned
     * shopper, so a node that comes back after a crash stays light while the others carry its load.
     */
    private SeedClaim stickyConcentrates() {
        Optional<StrategyRun> memory = run("memory").filter(r -> !r.servedBy().isEmpty());
        if (memory.isEmpty()) {
            return notMeasured(
                    STICKY_CONCENTRATES, "memory", absent("memory") + "; --strategies memory,redis would measure it.");
        }
        StrategyRun m = memory.get();
        double even = 100.0 / Math.max(1, results.settings().nodes());
        double sticky = 100 * m.busiestNodeShare();
        Optional<StrategyRun> spread = results.runs().stream()
                .filter(r -> r.routing().equals("round-robin") && !r.servedBy().isEmpty())
                .max(java.util.Comparator.comparingDouble(StrategyRun::busiestNodeShare));
        double baseline = spread.map(r -> 100 * r.busiestNodeShare()).orElse(even);
        String against = spread.map(
                        r -> "round-robin's busiest (" + r.strategy() + ") " + Figures.fixed(baseline, 0) + "%")
                .orElse("an even share " + Figures.fixed(even, 0) + "%");
        String evidence = "memory (sticky-cookie): the busiest node served " + Figures.fixed(sticky, 0)
                + "% of answered requests, against " + against + ".";
        double excess = sticky - baseline;
        if (excess < CONCENTRATION_POINTS) {
            return new SeedClaim(STICKY_CONCENTRATES, "memory", Verdict.NOT_SEEN, "", evidence);
        }
        return new SeedClaim(
                STICKY_CONCENTRATES,
                "memory",
                Verdict.HOLDS_WITH_A_NUMBER,
                "+" + Figures.fixed(excess, 0) + " points on the busiest node",
                evidence);
    }

    /** The strategy's run, if it ran and had requests to judge by. */
    private Optional<StrategyRun> run(String strategy) {
        return anyRun(strategy).filter(r -> r.requests() > 0);
    }

    /**
     * From a delay run: how much each store's steady p50 rose with the store farthest away, beside
     * its round trips per request; empty without a delay run.
     */
    private String fartherAway(List<String> stores) {
        List<String> parts = new ArrayList<>();
        for (String store : stores) {
            List<StrategyRun> byDelay = results.runs().stream()
                    .filter(r -> r.strategy().equals(store)
                            && r.nodes() == results.settings().nodes()
                            && r.steady().count() > 0)
                    .sorted(java.util.Comparator.comparingInt(StrategyRun::delayMillis))
                    .toList();
            if (byDelay.size() < 2 || byDelay.get(0).delayMillis() != 0) {
                continue;
            }
            StrategyRun near = byDelay.get(0);
            StrategyRun far = byDelay.get(byDelay.size() - 1);
            double rose = (far.steady().p50Micros() - near.steady().p50Micros()) / 1000.0;
            Double trips = far.resources().sends().get(ResourceUse.NODES_STORE);
            parts.add(store + " " + Figures.signedMs(rose) + " ms at " + far.delayMillis() + " ms each way"
                    + (trips == null ? "" : " (" + Figures.fixed(trips, 2) + " round trips per request)"));
        }
        return parts.isEmpty()
                ? ""
                : "; with the store farther away, steady p50 rose by " + String.join(", ", parts)
                        + ": one round trip costs twice the delay, and the median request makes one";
    }

    /**
     * The strategy's run at the first cluster size (a scaling run has one per size) and the least
     * added delay (a delay run has one per delay).
     */
    private Optional<StrategyRun> anyRun(String strategy) {
        int size = results.settings().nodes();
        List<StrategyRun> of = results.runs().stream()
                .filter(r -> r.strategy().equals(strategy))
                .sorted(java.util.Comparator.comparingInt(StrategyRun::delayMillis))
                .toList();
        return of.stream().filter(r -> r.nodes() == size).findFirst().or(() -> of.stream()
                .findFirst());
    }

    /** The run's first kill, if the settings asked for one and it happened. */
    private Optional<FaultEvent> kill(StrategyRun run) {
        if (!results.settings().killsANode()) {
            return Optional.empty();
        }
        return run.faults().stream().filter(f -> f.action().equals("kill")).findFirst();
    }

    private String noKill() {
        return results.settings().killsANode()
                ? "the kill did not happen in this run (see its notes); a run where it does would measure it."
                : "no node was killed in this run (fault: " + results.settings().fault()
                        + "); --fault kill would measure it.";
    }

    private String absent(String strategy) {
        return anyRun(strategy).isPresent()
                ? strategy + " had no requests in the measured phase"
                : strategy + " did not run here";
    }

    static SeedClaim notMeasured(String claim, String testedBy, String why) {
        String evidence = why.endsWith(".") ? why : why + " measure it.";
        return new SeedClaim(claim, testedBy, Verdict.NOT_MEASURED, "", evidence);
    }

    private static String testedBy(StrategyRun run, FaultEvent fault) {
        return run.strategy() + ", " + fault.action() + " " + fault.target() + " at "
                + Figures.seconds(fault.atMillis()) + " s";
    }

    private static String when(FaultEvent fault) {
        return fault.target() + " was killed at " + Figures.seconds(fault.atMillis()) + " s";
    }

    private static String signed(long v) {
        return v < 0 ? Long.toString(v) : "+" + v;
    }
}
