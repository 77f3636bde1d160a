/**
 * Sessions in Redis (standalone, Sentinel or Cluster, chosen by the URI's scheme): the {@code
 * redis} strategy, built with {@link dev.satchel.store.redis.RedisSessionStore#builder}, on
 * Lettuce. The package holds the store and what it is made of: connections and topology, one hash
 * per session written by atomic scripts, the expiry feed, and the optional near-cache. It
 * implements core's SPI and knows no servlet API; the filter and the demo reach it only through
 * {@link dev.satchel.core.SessionStore}.
 */
package dev.satchel.store.redis;
