/**
 * The session-aware reverse proxy on Netty: {@link dev.satchel.balancer.Balancer} with its
 * {@link dev.satchel.balancer.BalancerConfig}, the routing policies, active and passive health
 * checks, the strict HTTP/1.1 framing on both sides, the bearer-token admin API and metrics, and
 * the export of the same set-up as HAProxy or nginx configuration. It uses core only for the
 * session id's format and the rendezvous ranking, and knows no store: it routes by what a request
 * carries, never by what a store holds.
 */
package dev.satchel.balancer;
