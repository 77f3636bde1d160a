/**
 * What Satchel's tests share, used in test scope only: launchers of real servers of the test's own
 * ({@link dev.satchel.testkit.LocalRedisServer}, {@link dev.satchel.testkit.RedisSentinelGroup},
 * {@link dev.satchel.testkit.RedisClusterNodes}, {@link dev.satchel.testkit.LocalPostgresServer}),
 * {@link dev.satchel.testkit.Await} for waiting on what another thread or process does, and
 * {@link dev.satchel.testkit.MutableClock} for expiry without sleeping. Depends on the JDK only, so
 * that it serves every module without crossing a module boundary.
 */
package dev.satchel.testkit;
