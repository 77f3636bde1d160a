package dev.satchel.lab;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Measures what sessions take in memory once a run's shoppers are gone: reads the nodes' heaps
 * (each after a full collection) and the store server's memory, makes fresh sessions through the
 * balancer, one cart item each, and reads them again.
 */
final class MemoryReading {
    /**
     * Fresh sessions per node: over a hundred copies of most of a kilobyte stand well above a heap's
     * noise (tens of kilobytes here), and stay within the burst of new sessions a node allows one
     * client address (the lab is one client: ShopNode's throttle, 200).
     */
    static final int SESSIONS_PER_NODE = 120;

    /** Made before the first reading, so the code they run has loaded its classes on every node. */
    private static final int WARM_UP_PER_NODE = 50;

    private static final int AT_ONCE = 8;
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(5);
    /** The balancer reads each node's count of sessions once a second. */
    private static final Duration COUNTS_SETTLE = Duration.ofMillis(1_500);

    private MemoryReading() {}

    /** The two readings around {@link #SESSIONS_PER_NODE} fresh sessions per node. */
    static SessionMemory measure(LabCluster cluster, HttpClient http, URI entry, List<String> skus)
            throws InterruptedException {
        int nodes = Math.max(1, cluster.nodes().size());
        makeSessions(http, entry, skus, WARM_UP_PER_NODE * nodes);
        Thread.sleep(COUNTS_SETTLE.toMillis());
        Map<String, Long> heapBefore = cluster.heapAfterFullCollection();
        Map<String, Long> heldBefore = cluster.sessionsHeld();
        StoreMemory storeBefore = cluster.storeMemory();

        int made = makeSessions(http, entry, skus, SESSIONS_PER_NODE * nodes);

        Thread.sleep(COUNTS_SETTLE.toMillis());
        Map<String, Long> heapAfter = cluster.heapAfterFullCollection();
        Map<String, Long> heldAfter = cluster.sessionsHeld();
        StoreMemory storeAfter = cluster.storeMemory();

        List<String> unmeasured = new ArrayList<>();
        if (made == 0) {
            return SessionMemory.notMeasured("memory: none of the fresh sessions was acknowledged");
        }
        Map<String, Long> growth = new TreeMap<>();
        heapAfter.forEach((node, bytes) -> {
            Long before = heapBefore.get(node);
            if (before != null) {
                growth.put(node, bytes - before);
            }
        });
        if (growth.isEmpty()) {
            unmeasured.add("the nodes' heaps: the JDK's jcmd could not read them");
        }
        Map<String, Long> gained = new TreeMap<>();
        heldAfter.forEach((node, count) -> {
            if (growth.containsKey(node)) {
                gained.put(node, count - heldBefore.getOrDefault(node, 0L));
            }
        });
        StoreMemory storeGrowth = StoreMemory.NONE;
        if (storeAfter.measured() && storeBefore.measured()) {
            storeGrowth = storeAfter.since(storeBefore);
        }
        return new SessionMemory(made, growth, gained, storeGrowth, unmeasured);
    }

    /** Makes {@code count} sessions, each by adding an item to a new cart; how many were acknowledged. */
    static int makeSessions(HttpClient http, URI entry, List<String> skus, int count) throws InterruptedException {
        Semaphore slots = new Semaphore(AT_ONCE);
        CountDownLatch done = new CountDownLatch(count);
        AtomicInteger acknowledged = new AtomicInteger();
        for (int i = 0; i < count; i++) {
            slots.acquire();
            HttpRequest request = HttpRequest.newBuilder(entry.resolve("/api/cart/items"))
                    .header("Content-Type", "application/json")
                    .timeout(REQUEST_TIMEOUT)
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"sku\":\"" + skus.get(i % skus.size()) + "\",\"qty\":1}"))
                    .build();
            http.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((response, failure) -> {
                if (response != null && response.statusCode() / 100 == 2) {
                    acknowledged.incrementAndGet();
                }
                slots.release();
                done.countDown();
            });
        }
        done.await(2L * count * REQUEST_TIMEOUT.toMillis() / AT_ONCE, TimeUnit.MILLISECONDS);
        return acknowledged.get();
    }
}
