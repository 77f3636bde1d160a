package dev.satchel.balancer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;

/** The balancer's Micrometer meters: requests by outcome, latency, rejections, per-node gauges. */
final class ProxyMetrics {
    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, Counter> responses = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> rejections = new ConcurrentHashMap<>();
    final Counter redispatches;
    final Timer latency;

    ProxyMetrics(MeterRegistry registry, NodeRegistry nodes) {
        this.registry = registry;
        this.redispatches = Counter.builder("satchel.balancer.redispatches")
                .description("requests sent to another node than the first choice")
                .register(registry);
        this.latency = Timer.builder("satchel.balancer.request.duration")
                .description("time from the request head to the end of the response")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
        Gauge.builder("satchel.balancer.nodes.up", nodes, n -> n.all().stream()
                        .filter(x -> x.state() == NodeState.UP)
                        .count())
                .description("nodes taking new clients")
                .register(registry);
    }

    void response(String node, int status) {
        String key = node + ":" + (status / 100) + "xx";
        responses
                .computeIfAbsent(key, k -> Counter.builder("satchel.balancer.responses")
                        .tag("node", node)
                        .tag("status", (status / 100) + "xx")
                        .register(registry))
                .increment();
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
