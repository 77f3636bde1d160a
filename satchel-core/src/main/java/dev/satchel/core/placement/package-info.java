/**
 * The one placement function of Satchel: {@link dev.satchel.core.placement.Rendezvous}, a
 * rendezvous (highest random weight) ranking of nodes for a key. The balancer's {@code
 * session-hash} and {@code ip-hash} policies and the primary-backup store both call it, so a request
 * routed by session id lands on the node that owns the session; it is in core so that the balancer
 * and the store share it without knowing each other.
 */
package dev.satchel.core.placement;
