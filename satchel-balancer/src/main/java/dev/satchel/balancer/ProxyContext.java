package dev.satchel.balancer;

import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoop;
import java.util.concurrent.ConcurrentHashMap;

/** What every connection of one balancer shares. Thread-safe. */
final class ProxyContext {
    final BalancerConfig config;
    final NodeRegistry nodes;
    final Router router;
    final AffinityCookie affinity;
    final ProxyMetrics metrics;
    final ClientConnections clients;
    private final ConcurrentHashMap<EventLoop, UpstreamPool> pools = new ConcurrentHashMap<>();

    ProxyContext(BalancerConfig config, NodeRegistry nodes, AffinityCookie affinity, MeterRegistry meters) {
        this.config = config;
        this.nodes = nodes;
        this.affinity = affinity;
        this.router = new Router(config, nodes, affinity);
        this.metrics = new ProxyMetrics(meters, nodes);
        this.clients = new ClientConnections(config.maxConnectionsPerClient);
    }

    UpstreamPool pool(EventLoop loop) {
        return pools.computeIfAbsent(
                loop, l -> new UpstreamPool(l, (int) config.connectTimeout.toMillis(), config.maxResponseHeaderBytes));
    }
}
