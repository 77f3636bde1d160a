/**
 * Sessions in a SQL database (PostgreSQL, MariaDB/MySQL, H2): the {@code jdbc} strategy, built with
 * {@link dev.satchel.store.jdbc.JdbcSessionStore#builder}, the only public class. The
 * package-private pieces behind it are the connection pool and Flyway migrations, each database's
 * dialect, the portable statements and row mapping, and the lease-guarded expiry sweep. It
 * implements core's SPI and knows no servlet API; the filter and the demo reach it only through
 * {@link dev.satchel.core.SessionStore}.
 */
package dev.satchel.store.jdbc;
