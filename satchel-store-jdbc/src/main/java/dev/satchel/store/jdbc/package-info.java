/**
 * Sessions in a SQL database (PostgreSQL, MariaDB/MySQL, H2): the {@code jdbc} strategy, built with
 * {@link dev.satchel.store.jdbc.JdbcSessionStore#builder}. The package holds the store and what it
 * is made of: the connection pool and Flyway migrations, the statements that differ per database,
 * the row mapping and the leased sweep of expired rows. It implements core's SPI and knows no
 * servlet API; the filter and the demo reach it only through {@link dev.satchel.core.SessionStore}.
 */
package dev.satchel.store.jdbc;
