/**
 * The store benchmark: Satchel's Redis and SQL stores against Spring Session's repositories on a
 * redis-server and a PostgreSQL it starts itself. {@link dev.satchel.bench.store.StoreBench} is the
 * main; each {@link dev.satchel.bench.store.Contender} does one web request's work through one
 * store, the probes count what the servers did, and the report writes Markdown and SVG.
 */
package dev.satchel.bench.store;
