package dev.satchel.lab;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Reads a soak as it runs: every {@link Soak#sampleSeconds} the nodes' heaps after a full
 * collection, the copies they hold and the store server's memory. On a thread of its own, since a
 * heap reading waits for a collection on each node and must never hold up a shopper's request.
 */
final class SoakReadings {
    private final LabCluster cluster;
    private final long phaseStart;
    private final LabSettings settings;
    private final List<SoakSample> samples = new ArrayList<>();
    private final ScheduledExecutorService reader = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "lab-soak");
        t.setDaemon(true);
        return t;
    });

    private SoakReadings(LabCluster cluster, long phaseStart, LabSettings settings) {
        this.cluster = cluster;
        this.phaseStart = phaseStart;
        this.settings = settings;
    }

    /** Starts reading at the measured phase's start ({@code phaseStart}, in {@link System#nanoTime}). */
    static SoakReadings start(LabCluster cluster, long phaseStart, LabSettings settings) {
        SoakReadings readings = new SoakReadings(cluster, phaseStart, settings);
        long every = TimeUnit.SECONDS.toNanos(Soak.sampleSeconds(settings.seconds()));
        long first = Math.max(0, phaseStart - System.nanoTime());
        readings.reader.scheduleAtFixedRate(readings::read, first, every, TimeUnit.NANOSECONDS);
        return readings;
    }

    private void read() {
        int second = (int) TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - phaseStart);
        try {
            Map<String, Long> heaps = cluster.heapAfterFullCollection();
            long held = cluster.sessionsHeld().values().stream()
                    .mapToLong(Long::longValue)
                    .sum();
            StoreMemory store = cluster.storeMemory();
            long heap = heaps.values().stream().mapToLong(Long::longValue).sum();
            synchronized (samples) {
                samples.add(new SoakSample(second, heap, heaps.size(), held, store));
            }
        } catch (RuntimeException e) {
            // a reading that fails (a node busy past the timeout) is a gap, not the end of the soak
        }
    }

    /** Stops reading, without waiting for a reading under way. */
    void stop() {
        reader.shutdownNow();
    }

    /** Stops reading and returns the soak. */
    Soak finish() throws InterruptedException {
        reader.shutdown();
        reader.awaitTermination(60, TimeUnit.SECONDS);
        synchronized (samples) {
            return new Soak(
                    settings.soakMinutes(), settings.idleTimeoutSeconds(), Soak.steadyFromSecond(settings), samples);
        }
    }
}
