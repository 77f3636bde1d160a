package dev.satchel.balancer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** The balancer's Micrometer meters: requests by outcome, latency, rejections, per-node gauges. */
final class ProxyMetrics {
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Counter> rejections = new ConcurrentHashMap<>();
    final Counter redispatches;
    final Timer latency;
    private final Counter tunnels;
    private final AtomicInteger tunnelsOpen = new AtomicInteger();

    ProxyMetrics(MeterRegistry registry, NodeRegistry nodes) {
        this.registry = registry;
        this.redispatches = Counter.builder("satchel.balancer.redispatches")
                .description("requests sent to another node than the first choice")
                .register(registry);
        this.latency = Timer.builder("satchel.balancer.request.duration")
                .description("time from the request head to the end of the response")
                .publishPercentileHistogram() // buckets; Prometheus derives percentiles
                .register(registry);
        Gauge.builder("satchel.balancer.nodes.up", nodes, n -> n.all().stream()
                        .filter(x -> x.state() == NodeState.UP)
                        .count())
                .description("nodes taking new clients")
                .register(registry);
        this.tunnels = Counter.builder("satchel.balancer.tunnels")
                .description("WebSocket tunnels opened")
                .register(registry);
        Gauge.builder("satchel.balancer.tunnels.open", tunnelsOpen, AtomicInteger::get)
                .description("WebSocket tunnels open now")
                .register(registry);
    }

    void tunnelOpened() {
        tunnels.increment();
        tunnelsOpen.incrementAndGet();
    }

    void tunnelClosed() {
        tunnelsOpen.decrementAndGet();
    }

    /** Counts a response; each node keeps its counters, so this is a lookup-free increment. */
    void response(Node node, int status) {
        int statusClass = Math.min(Math.max(status / 100, 1), 5);
        Counter c = node.responseCounters[statusClass - 1];
        if (c == null) {
            c = Counter.builder("satchel.balancer.responses")
                    .tag("node", node.name())
                    .tag("status", statusClass + "xx")
                    .register(registry); // idempotent: a racing thread gets the same counter
            node.responseCounters[statusClass - 1] = c;
        }
        c.increment();
    }

    void rejected(String reason) {
        rejections
                .computeIfAbsent(reason, r -> Counter.builder("satchel.balancer.rejections")
                        .tag("reason", r)
                        .description("requests the balancer refused itself")
                        .register(registry))
                .increment();
    }
}
