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
 * fault on schedule (the first node or the store's server killed, and started again after the down
 * time), then the
 * requests still out are waited for and the figures taken.
 */
public final class LabRunner {
    /** How long after the killed node is started again the fault window stays open. */
    private static final Duration SETTLE = Duration.ofSeconds(5);

    private LabRunner() {}

    public static StrategyRun run(LabStrategy strategy, LabCluster cluster, LabSettings settings, LabProgress progress)
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
        try {
            List<String> skus = ShopperLoad.catalog(http, cluster.entry());
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
                    settings.seed());
            load.stopAt(end);
            load.start(start, settings.shoppersPerSecond());
            if (settings.warmupSeconds() > 0) {
                progress.phase(strategy.label() + ": warming up", settings.warmupSeconds());
                sleepUntil(phaseStart);
            }
            progress.phase(strategy.label() + ": measuring", settings.seconds());
            Optional<Fault> fault = Fault.of(cluster, settings);
            Thread faults = fault.isPresent()
                    ? startFaults(fault.get(), settings, recorder, phaseStart, progress, notes)
                    : null;
            for (int s = 1; s <= settings.seconds(); s++) {
                sleepUntil(phaseStart + TimeUnit.SECONDS.toNanos(s));
                long[] t = recorder.totals();
                progress.tick(s, t[0], t[1], t[2]);
            }
            load.drain(Duration.ofSeconds(6));
            if (faults != null) {
                faults.join(TimeUnit.SECONDS.toMillis(120));
            }
            if (fault.isEmpty()) {
                notes.add(
                        settings.killsTheStore()
                                ? "no fault was injected: the lab has no store server of its own to kill here"
                                : "no fault was injected (--fault none)");
            }
            return recorder.result(strategy, cluster.store(), notes);
        } finally {
            timer.shutdownNow();
        }
    }

    /** What the fault does: kill a target and start it again, named for the report. */
    private record Fault(String target, String killAction, String startAction, Runnable kill, Runnable start) {
        static Optional<Fault> of(LabCluster cluster, LabSettings settings) {
            if (settings.killsANode() && !cluster.nodes().isEmpty()) {
                String node = cluster.nodes().get(0);
                return Optional.of(
                        new Fault(node, "kill", "start", () -> cluster.kill(node), () -> cluster.start(node)));
            }
            if (settings.killsTheStore() && cluster.killableStore().isPresent()) {
                return Optional.of(new Fault(
                        cluster.killableStore().get(),
                        "kill-store",
                        "start-store",
                        cluster::killStore,
                        cluster::startStore));
            }
            return Optional.empty();
        }
    }

    /**
     * Kills the target at the fault time and starts it again after the down time, on a thread of
     * its own so the load never waits for a process to die or start.
     */
    private static Thread startFaults(
            Fault fault,
            LabSettings settings,
            RunRecorder recorder,
            long phaseStart,
            LabProgress progress,
            List<String> notes) {
        Thread t = new Thread(
                () -> {
                    try {
                        long killAt = phaseStart + TimeUnit.SECONDS.toNanos(settings.faultAtSeconds());
                        sleepUntil(killAt);
                        long window = TimeUnit.SECONDS.toNanos(settings.downSeconds()) + SETTLE.toNanos();
                        recorder.fault(System.nanoTime(), fault.killAction(), fault.target(), window);
                        fault.kill().run();
                        progress.note("killed " + fault.target() + " (SIGKILL)");
                        sleepUntil(killAt + TimeUnit.SECONDS.toNanos(settings.downSeconds()));
                        recorder.fault(System.nanoTime(), fault.startAction(), fault.target(), window);
                        fault.start().run();
                        recorder.fault(System.nanoTime(), "serving", fault.target(), window);
                        progress.note("started " + fault.target() + " again");
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
