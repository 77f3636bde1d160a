/**
 * The SQL session store (PostgreSQL, MariaDB/MySQL, H2). {@link dev.satchel.store.jdbc.JdbcSessionStore}
 * is the only public class; the package-private pieces behind it are the connection pool and
 * migration, each database's dialect, the portable statements and row mapping, and the
 * lease-guarded expiry sweep.
 */
package dev.satchel.store.jdbc;
