/**
 * The balancer benchmark's load generator: {@link dev.satchel.bench.balancer.OpenLoop} sends
 * requests on a fixed schedule and measures latency from when each was due, so a stalling
 * balancer is charged for every request it delayed. {@code satchel-bench/scripts/balancer-bench.sh}
 * runs it against Satchel's balancer, HAProxy and nginx; it needs nothing else of this module.
 */
package dev.satchel.bench.balancer;
