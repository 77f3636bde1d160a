package dev.satchel.lab;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs the workload against one strategy's cluster: a warm-up, then the measured phase with its
 * fault on schedule (the first node killed or cut off the network, the store's server killed, or
 * every node restarted in turn; each put back after the down time), then the requests still out
 * are waited for and the figures taken.
 */
public final class LabRunner {
    /** How long after the fault's last step (a node started again, a link healed) its window stays open. */
    private static final Duration SETTLE = Duration.ofSeconds(5);

    private LabRunner() {}

    public static StrategyRun run(LabStrategy strategy, LabCluster cluster, LabSettings settings, LabProgress progress)
            throws Exception {
        return run(strategy, cluster, settings, progress, RequestTrace.none());
    }

    /** As above, every request also written to {@code trace}. */
    public static StrategyRun run(
            LabStrategy strategy, LabCluster cluster, LabSettings settings, LabProgress progress, RequestTrace trace)
            throws Exception {
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2))
                .build();
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "lab-timer");
            t.setDaemon(true);
            return t;
        });
        List<String> notes = new ArrayList<>();
        SoakReadings soak = null;
        try {
            List<String> skus = ShopperLoad.catalog(http, cluster.entry());
            ShopperAccounts accounts = settings.loginPercent() > 0
                            && cluster.shopperPassword().isPresent()
                    ? ShopperAccounts.ensure(
                            http, cluster.entry(), cluster.shopperPassword().get())
                    : ShopperAccounts.NONE;
            if (settings.loginPercent() > 0 && accounts.isEmpty()) {
                notes.add("shoppers stayed anonymous: this cluster keeps no accounts for the lab");
            }
            long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
            long phaseStart = start + TimeUnit.SECONDS.toNanos(settings.warmupSeconds());
            long end = phaseStart + TimeUnit.SECONDS.toNanos(settings.seconds());
            RunRecorder recorder = new RunRecorder(phaseStart, settings.seconds());
            ShopperLoad load = new ShopperLoad(
                    http,
                    cluster.entry(),
                    skus,
                    Duration.ofMillis(settings.thinkMillis()),
                    Duration.ofSeconds(settings.returnAfterSeconds()),
                    timer,
                    recorder,
                    settings.seed(),
                    strategy.label()
                            + (settings.scales() ? "@" + cluster.nodes().size() : ""),
                    trace,
                    accounts,
                    settings.loginPercent());
            load.stopAt(end);
            load.start(start, settings.shoppersPerSecond());
            if (settings.warmupSeconds() > 0) {
                progress.phase(strategy.label() + ": warming up", settings.warmupSeconds());
                sleepUntil(phaseStart);
            }
            progress.phase(strategy.label() + ": measuring", settings.seconds());
            List<Step> script = script(cluster, settings);
            // Costs are measured in the steady phase, before the first fault, as the steady latency
            // is: a kill's restart and catch-up are a cost of the fault, not of a request.
            int steadyUntil =
                    script.isEmpty() ? settings.seconds() : Math.min(settings.faultAtSeconds(), settings.seconds());
            ResourceSampler resources = new ResourceSampler(cluster::footprint, cluster::storeOperations);
            ResourceUse used = ResourceUse.notMeasured("the fault struck as the measured phase began: no steady phase");
            java.util.concurrent.ScheduledFuture<?> sampling = null;
            if (steadyUntil > 0) {
                resources.start();
                sampling = timer.scheduleAtFixedRate(resources::sample, 1, 1, TimeUnit.SECONDS);
            }
            Thread faults =
                    script.isEmpty() ? null : startFaults(script, settings, recorder, phaseStart, progress, notes);
            soak = settings.soaks() ? SoakReadings.start(cluster, phaseStart, settings) : null;
            for (int s = 1; s <= settings.seconds(); s++) {
                if (s == steadyUntil && sampling != null) {
                    // a quarter second before the fault, so the figures never see it
                    sleepUntil(phaseStart + TimeUnit.SECONDS.toNanos(s) - TimeUnit.MILLISECONDS.toNanos(250));
                    sampling.cancel(false);
                    used = resources.finish(recorder.totals()[0], cluster.sessionsHeld());
                }
                sleepUntil(phaseStart + TimeUnit.SECONDS.toNanos(s));
                long[] t = recorder.totals();
                progress.tick(s, t[0], t[1], t[2]);
            }
            Soak readings = soak == null ? Soak.NONE : soak.finish();
            load.drain(Duration.ofSeconds(6));
            if (faults != null) {
                faults.join(TimeUnit.SECONDS.toMillis(120));
            }
            progress.phase(strategy.label() + ": memory per session", 0);
            used = used.withMemory(MemoryReading.measure(cluster, http, cluster.entry(), skus));
            if (script.isEmpty()) {
                notes.add(
                        settings.faultsTheStore()
                                ? "no fault was injected: the lab has no store server of its own to kill here"
                                : settings.partitionsANode()
                                        ? "no fault was injected: the nodes share this machine's loopback, so"
                                                + " there is no link of a node's own to cut"
                                        : "no fault was injected (--fault none)");
            }
            if (settings.soaks()) {
                notes.add("a soak: the nodes' heaps were read after a full collection every "
                        + Soak.sampleSeconds(settings.seconds()) + " s, which the latency figures include");
            }
            return recorder.result(strategy, cluster.store(), cluster.nodes().size(), used, notes)
                    .withSoak(readings);
        } finally {
            timer.shutdownNow();
            if (soak != null) {
                soak.stop(); // stopped already after a whole run; on a failure, no more full collections
            }
        }
    }

    /**
     * One step of a fault's script: the event recorded before it acts, the one recorded once it
     * has returned (e.g. {@code serving} after a start), and the pause before the next step.
     */
    record Step(String action, String target, Runnable act, Optional<String> done, Duration pause, String told) {}

    /** What the fault setting does to this cluster, step by step; empty when it does nothing here. */
    static List<Step> script(LabCluster cluster, LabSettings settings) {
        Duration down = Duration.ofSeconds(settings.downSeconds());
        List<Step> steps = new ArrayList<>();
        if (settings.killsANode() && !cluster.nodes().isEmpty()) {
            String node = cluster.nodes().get(0);
            steps.add(new Step(
                    "kill", node, () -> cluster.kill(node), Optional.empty(), down, "killed " + node + " (SIGKILL)"));
            steps.add(new Step(
                    "start",
                    node,
                    () -> cluster.start(node),
                    Optional.of("serving"),
                    Duration.ZERO,
                    "started " + node + " again"));
        } else if (settings.partitionsANode()
                && cluster.canPartition()
                && !cluster.nodes().isEmpty()) {
            String node = cluster.nodes().get(0);
            steps.add(new Step(
                    "cut", node, () -> cluster.cut(node), Optional.empty(), down, "cut " + node + " off the network"));
            steps.add(new Step(
                    "heal", node, () -> cluster.heal(node), Optional.empty(), Duration.ZERO, "healed " + node));
        } else if (settings.promotesTheStore() && cluster.killableStore().isPresent()) {
            String master = cluster.killableStore().get();
            steps.add(new Step(
                    "kill-master",
                    master,
                    cluster::killStore,
                    Optional.of("promoted"),
                    down,
                    "killed " + master + " (SIGKILL); Sentinel promoted its replica"));
            steps.add(new Step(
                    "start-store",
                    master,
                    cluster::startStore,
                    Optional.of("serving"),
                    Duration.ZERO,
                    "started the old master again, as a replica of the new one"));
        } else if (settings.killsTheStore() && cluster.killableStore().isPresent()) {
            String store = cluster.killableStore().get();
            steps.add(new Step(
                    "kill-store", store, cluster::killStore, Optional.empty(), down, "killed " + store + " (SIGKILL)"));
            steps.add(new Step(
                    "start-store",
                    store,
                    cluster::startStore,
                    Optional.of("serving"),
                    Duration.ZERO,
                    "started " + store + " again"));
        } else if (settings.rollsTheNodes()) {
            for (String node : cluster.nodes()) {
                steps.add(
                        new Step("drain", node, () -> cluster.drain(node), Optional.empty(), down, "drained " + node));
                steps.add(new Step(
                        "stop",
                        node,
                        () -> cluster.stop(node),
                        Optional.of("stopped"),
                        Duration.ZERO,
                        "stopped " + node + " (SIGTERM)"));
                steps.add(new Step(
                        "start",
                        node,
                        () -> cluster.start(node),
                        Optional.of("serving"),
                        Duration.ZERO,
                        "started " + node + " again"));
                steps.add(new Step(
                        "enable",
                        node,
                        () -> cluster.enable(node),
                        Optional.empty(),
                        SETTLE,
                        "enabled " + node + " at the balancer"));
            }
        }
        return steps;
    }

    /**
     * Plays the fault's script from the fault time, on a thread of its own so the load never waits
     * for a process to die or start.
     */
    private static Thread startFaults(
            List<Step> script,
            LabSettings settings,
            RunRecorder recorder,
            long phaseStart,
            LabProgress progress,
            List<String> notes) {
        Thread t = new Thread(
                () -> {
                    try {
                        sleepUntil(phaseStart + TimeUnit.SECONDS.toNanos(settings.faultAtSeconds()));
                        for (Step step : script) {
                            recorder.fault(System.nanoTime(), step.action(), step.target());
                            step.act().run();
                            step.done().ifPresent(d -> recorder.fault(System.nanoTime(), d, step.target()));
                            progress.note(step.told());
                            long next = System.nanoTime() + step.pause().toNanos();
                            sleepUntil(next);
                        }
                        recorder.faultsOver(System.nanoTime() + SETTLE.toNanos());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (RuntimeException e) {
                        synchronized (notes) {
                            notes.add("the fault could not be injected: " + e.getMessage());
                        }
                        progress.note("fault failed: " + e.getMessage());
                    }
                },
                "lab-faults");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        long wait;
        while ((wait = nanos - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(wait);
        }
    }
}
