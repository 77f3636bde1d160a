package dev.satchel.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.satchel.core.SessionStoreUnavailableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;

/**
 * The store's way to its database: the connection pool (its own, or the application's), the schema
 * migration, and every unit of work run on a borrowed connection, retried when the database rolled
 * it back as a deadlock, and failing as {@link SessionStoreUnavailableException} otherwise.
 */
final class SessionDatabase implements AutoCloseable {

    /** Attempts of one unit of work that keeps losing to deadlocks before the call fails. */
    static final int CONFLICT_ATTEMPTS = 4;

    private final DataSource dataSource;
    private final Optional<HikariDataSource> ownedPool;
    private final Dialect dialect;
    private final LongAdder conflictRetries = new LongAdder();
    private final LongAdder failures = new LongAdder();

    private SessionDatabase(DataSource dataSource, Optional<HikariDataSource> ownedPool) {
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.dialect = detectDialect(dataSource);
    }

    /** Over the application's own pool, which {@link #close} leaves open. */
    static SessionDatabase over(DataSource dataSource) {
        return new SessionDatabase(dataSource, Optional.empty());
    }

    /**
     * Opens a pool of its own on {@code jdbcUrl}, which {@link #close} closes.
     *
     * @param timeout how long a call waits for a connection, and for the database on the socket
     */
    static SessionDatabase open(String jdbcUrl, String user, String password, int maxPoolSize, Duration timeout) {
        HikariDataSource pool = newPool(jdbcUrl, user, password, maxPoolSize, timeout);
        try {
            return new SessionDatabase(pool, Optional.of(pool));
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    private static HikariDataSource newPool(
            String jdbcUrl, String user, String password, int maxPoolSize, Duration timeout) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        if (!user.isEmpty()) {
            config.setUsername(user);
        }
        if (!password.isEmpty()) {
            config.setPassword(password);
        }
        config.setPoolName("satchel-jdbc");
        config.setMaximumPoolSize(maxPoolSize);
        config.setMinimumIdle(Math.min(2, maxPoolSize));
        config.setConnectionTimeout(timeout.toMillis());
        config.setValidationTimeout(Math.max(250, timeout.toMillis() / 2));
        config.setInitializationFailTimeout(timeout.toMillis());
        // Without a socket timeout a database that stops answering holds the request forever.
        Dialect.ofUrl(jdbcUrl).orElseThrow().driverProperties(timeout).forEach(config::addDataSourceProperty);
        try {
            return new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new SessionStoreUnavailableException(
                    "cannot connect to the session database at " + redacted(jdbcUrl) + ": " + e.getMessage(), e);
        }
    }

    /** The database this is, as its driver names it. */
    Dialect dialect() {
        return dialect;
    }

    /**
     * Creates or migrates the tables, in a history table of their own ({@code
     * satchel_schema_history}) so they can share a database with the application's migrations.
     */
    void migrate() {
        try {
            Flyway.configure(SessionDatabase.class.getClassLoader())
                    .dataSource(dataSource)
                    .locations("classpath:dev/satchel/store/jdbc/migration/" + dialect.migrations)
                    .table("satchel_schema_history")
                    .baselineOnMigrate(true)
                    .baselineVersion("0")
                    .load()
                    .migrate();
        } catch (FlywayException e) {
            throw new SessionStoreUnavailableException(
                    "could not create or migrate the session tables: " + e.getMessage(), e);
        }
    }

    /**
     * Runs {@code work} on a pooled connection, in autocommit (see {@link Transactions}). A deadlock
     * victim (InnoDB picks one whenever two renames of one row cross on its unique index, e.g. a
     * double-submitted login) or a serialization failure had its whole transaction rolled back by
     * the database, so running the work again is safe; a few times, after a short random pause, then
     * it is the store failing.
     *
     * @throws SessionStoreUnavailableException if the database did not answer or refused the work
     */
    <T> T withConnection(Transactions.Work<T> work) {
        for (int attempt = 1; ; attempt++) {
            try (Connection c = dataSource.getConnection()) {
                return Transactions.autoCommitted(c, work);
            } catch (SQLException e) {
                if (attempt >= CONFLICT_ATTEMPTS || !isRolledBackConflict(e)) {
                    failures.increment();
                    throw unavailable(e);
                }
            }
            conflictRetries.increment();
            try {
                Thread.sleep(ThreadLocalRandom.current().nextLong(1, 5L * attempt + 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failures.increment();
                throw new SessionStoreUnavailableException("interrupted while retrying after a deadlock", e);
            }
        }
    }

    /** Units of work run again because the database rolled them back as a deadlock or conflict. */
    long conflictRetries() {
        return conflictRetries.sum();
    }

    /** Units of work that failed as {@link SessionStoreUnavailableException}. */
    long failures() {
        return failures.sum();
    }

    /** Closes the store's own pool; an application's is the application's to close. */
    @Override
    public void close() {
        ownedPool.ifPresent(HikariDataSource::close);
    }

    /** 40001: serialization failure or deadlock (MariaDB 1213, PostgreSQL, H2); 40P01: PostgreSQL deadlock. */
    static boolean isRolledBackConflict(SQLException e) {
        String state = Optional.ofNullable(e.getSQLState()).orElse("");
        return state.equals("40001") || state.equals("40P01") || e.getErrorCode() == 1213;
    }

    /** The failure a caller sees, saying whether the database was unreachable or refused. */
    static SessionStoreUnavailableException unavailable(SQLException e) {
        String state = Optional.ofNullable(e.getSQLState()).orElse("");
        if (isRolledBackConflict(e)) {
            return new SessionStoreUnavailableException(
                    "the session database rolled this save back " + CONFLICT_ATTEMPTS + " times as a deadlock"
                            + " or serialization conflict (" + state + "): " + e.getMessage(),
                    e);
        }
        // 08: connection exceptions; 57: the operator stopped the server (57P01..57P03)
        boolean unreachable = state.startsWith("08")
                || state.startsWith("57")
                || e instanceof SQLTransientException
                || e instanceof SQLRecoverableException
                || e instanceof SQLTimeoutException;
        String what = unreachable
                ? "the session database did not answer: "
                : "the session database refused a statement (" + state + "): ";
        return new SessionStoreUnavailableException(what + e.getMessage(), e);
    }

    /** A JDBC URL fit for an error message: no password, no user info. */
    static String redacted(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1***").replaceAll("//[^@/]*@", "//***@");
    }

    private static Dialect detectDialect(DataSource dataSource) {
        try (Connection c = dataSource.getConnection()) {
            String product = c.getMetaData().getDatabaseProductName();
            return Dialect.ofProduct(product)
                    .orElseThrow(() -> new IllegalArgumentException("unsupported database '" + product
                            + "': Satchel's SQL store supports PostgreSQL, MariaDB/MySQL and H2"));
        } catch (SQLException e) {
            throw unavailable(e);
        }
    }
}
