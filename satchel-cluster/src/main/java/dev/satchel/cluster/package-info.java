/**
 * Sessions kept among the app nodes themselves, over JGroups: {@link
 * dev.satchel.cluster.ReplicatedSessionStore} (every node holds every session) and {@link
 * dev.satchel.cluster.PrimaryBackupSessionStore} (an owner and backups ranked by core's {@link
 * dev.satchel.core.placement.Rendezvous}, as the balancer's {@code session-hash} policy routes).
 * Besides the two stores it holds what they share: the builder, the wire forms of saves and copies,
 * the stamps and tombstones that let copies merge, the joiner's paged pull and the per-session
 * locks. Each node's copies live in core's memory store; the package knows no servlet API.
 */
package dev.satchel.cluster;
