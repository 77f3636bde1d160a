/**
 * Satchel's benchmarks, one package per kind: {@code jmh} (in-process JMH benchmarks of the
 * session layer and sealed cookies), {@code store} (the Redis and SQL stores against Spring
 * Session), {@code cluster} (the clustering stores against Tomcat and Hazelcast, on real node
 * processes) and {@code balancer} (the open-loop load generator the balancer script drives). This
 * package holds only what those share: the SVG bar chart of their reports, the arithmetic of
 * interleaved rounds (medians, per-round ratios and their ranges) and the machine's state beside
 * the figures (load average, CPU steal). Nothing in the product depends on this module; it may
 * depend on any of it, and on the peers it measures.
 */
package dev.satchel.bench;
