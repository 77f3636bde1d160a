/**
 * The session model and the store SPI every other module builds on: {@link
 * dev.satchel.core.SessionId}, {@link dev.satchel.core.SessionRecord}, the {@link
 * dev.satchel.core.ChangeSet} one request makes, {@link dev.satchel.core.SessionStore} with its
 * optional capabilities (principal index, events, counters), {@link dev.satchel.core.SessionSealer}
 * for sessions the client keeps, and the exceptions they throw. Core knows no store, no servlet
 * API and no network library: the stores, the filter and the balancer depend on it, never the
 * other way round.
 */
package dev.satchel.core;
