package dev.satchel.store.jdbc;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ConditionalSaveStore;
import dev.satchel.core.ObservableSessionStore;
import dev.satchel.core.PrincipalIndexedStore;
import dev.satchel.core.ReportingStore;
import dev.satchel.core.SessionEvent;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionListener;
import dev.satchel.core.SessionListeners;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.support.Durations;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;
import javax.sql.DataSource;

/**
 * Sessions in a SQL database (PostgreSQL, MariaDB/MySQL or H2): the {@code jdbc} strategy.
 *
 * <p><b>Schema.</b> {@code satchel_sessions} holds one row per session under an internal key that
 * is not the public id, so changing the id is one {@code UPDATE}; {@code satchel_attributes} holds
 * one row per attribute. Indexes on the expiry time and on the principal. The schema is created and
 * migrated by Flyway, in its own history table ({@code satchel_schema_history}), so it can share a
 * database with the application's own migrations.
 *
 * <p><b>Round trips.</b> A load is one query (the session joined to its attributes). A save is one
 * statement when it only moves the access time or the idle timeout, and otherwise one transaction:
 * the session row, then every attribute upsert in one batch, then every removal in one batch. On
 * PostgreSQL a save is one statement with data-modifying CTEs, except one that removes attributes:
 * it locks the session row first, in a transaction of two statements. Two first saves of one
 * session racing each other do not fail on the duplicate key: the later merges in.
 *
 * <p><b>Over an application's {@code DataSource}</b>, every connection goes back in the autocommit
 * mode it was lent in, with no transaction of the store's left open, whether the call succeeded or
 * failed.
 *
 * <p><b>Expiry</b> is enforced on every read. Rows are reclaimed by a sweep ({@link #expireDue})
 * that runs on one node at a time: the node holding a lease row in {@code satchel_sweeper} deletes
 * expired sessions through the expiry index, in bounded batches.
 *
 * <p><b>When the database does not answer</b>, every call fails within the configured timeout
 * (waiting for a connection, then on the socket) with {@link SessionStoreUnavailableException}, and
 * the pool reconnects by itself once the database is back. Thread-safe.
 *
 * <p><b>Counters</b> ({@link #counters}), each counted since the store started: {@code loads}
 * (calls), {@code saves} (calls that write a change set, failed ones included; an invalidation
 * counts as deletes), {@code deletes} (sessions this store deleted on a logout or invalidation), {@code
 * expired} (expired sessions this store reclaimed, by a read or a sweep), {@code sweep_lease_busy}
 * (sweeps that found another node holding the lease), {@code deadlock_retries} (units of work run
 * again after the database rolled them back as a deadlock) and {@code failures} (calls that failed
 * as unavailable).
 *
 * <p>The pieces, all in this package: {@link SessionDatabase} (pool, migration, retries), {@link
 * Dialect} (what differs between databases), {@link SessionStatements} and {@link SessionRows}
 * (portable SQL and row mapping), {@link ExpirySweep} and {@link SweepLease}, {@link
 * ConditionalWrites} (saves that apply only if attributes hold what the caller read).
 */
public final class JdbcSessionStore
        implements PrincipalIndexedStore, ObservableSessionStore, ReportingStore, ConditionalSaveStore {

    /** Default time a call may take before the request fails. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

    /** Default number of connections the store's own pool may open. */
    public static final int DEFAULT_MAX_POOL_SIZE = 10;

    /** Default time between two sweeps, somewhere in the cluster. */
    public static final Duration DEFAULT_SWEEP_INTERVAL = Duration.ofMinutes(1);

    /** Default number of rows one sweep statement deletes at most. */
    public static final int DEFAULT_SWEEP_BATCH_SIZE = 500;

    /** Default number of sweep statements one sweep makes at most. */
    public static final int DEFAULT_SWEEP_MAX_BATCHES = 20;

    /** Longest attribute name the schema holds. */
    public static final int MAX_NAME_LENGTH = 255;

    private final SessionDatabase database;
    private final Dialect dialect;
    private final Clock clock;
    private final ExpirySweep sweep;
    private final SessionListeners listeners = new SessionListeners();
    private final LongAdder loads = new LongAdder();
    private final LongAdder saves = new LongAdder();
    private final LongAdder deletes = new LongAdder();
    private final LongAdder expired = new LongAdder();

    private JdbcSessionStore(Builder b, SessionDatabase database) {
        this.database = database;
        this.dialect = database.dialect();
        this.clock = b.clock;
        if (b.migrate) {
            database.migrate();
        }
        // The lease outlives two intervals, so its holder keeps it while it lives and sweeps.
        SweepLease lease = new SweepLease(UUID.randomUUID().toString(), b.sweepInterval.multipliedBy(2));
        this.sweep = new ExpirySweep(database, clock, lease, b.sweepBatchSize, b.sweepMaxBatches, id -> {
            expired.increment();
            publish(SessionEvent.Type.EXPIRED, id, Optional.empty());
        });
        if (b.sweepInBackground) {
            sweep.startInBackground(b.sweepInterval);
        }
    }

    /**
     * Starts a configuration for the database at {@code jdbcUrl}, such as {@code
     * jdbc:postgresql://127.0.0.1:5432/app}. The store then owns a HikariCP pool.
     */
    public static Builder builder(String jdbcUrl) {
        return new Builder(Objects.requireNonNull(jdbcUrl, "jdbcUrl"), null);
    }

    /** Starts a configuration over the application's own pool, which the store never closes. */
    public static Builder builder(DataSource dataSource) {
        return new Builder(null, Objects.requireNonNull(dataSource, "dataSource"));
    }

    @Override
    public Optional<SessionRecord> load(SessionId id) {
        loads.increment();
        Optional<SessionRows.Stored> stored = database.withConnection(c -> {
            try (PreparedStatement s = c.prepareStatement(SessionStatements.LOAD)) {
                s.setString(1, id.value());
                try (ResultSet rs = s.executeQuery()) {
                    return SessionRows.read(rs).stream().findFirst();
                }
            }
        });
        if (stored.isEmpty()) {
            return Optional.empty();
        }
        SessionRecord record = stored.get().record();
        Instant now = clock.instant();
        if (!record.isExpired(now)) {
            return Optional.of(record);
        }
        int deleted = database.withConnection(c -> {
            try (PreparedStatement s = c.prepareStatement(SessionStatements.DELETE_EXPIRED)) {
                s.setLong(1, stored.get().pk());
                s.setLong(2, now.toEpochMilli());
                return s.executeUpdate();
            }
        });
        if (deleted == 1) {
            expired.increment();
            publish(SessionEvent.Type.EXPIRED, id, Optional.of(record));
        }
        return Optional.empty();
    }

    @Override
    public SaveOutcome save(ChangeSet changes) {
        Objects.requireNonNull(changes, "changes");
        if (changes.invalidated()) {
            boolean deleted = changes.previousId().map(this::delete).orElse(false);
            deleted |= delete(changes.id());
            return deleted ? SaveOutcome.INVALIDATED : SaveOutcome.GONE;
        }
        for (String name : changes.setAttributes().keySet()) {
            if (name.length() > MAX_NAME_LENGTH) {
                throw new IllegalArgumentException("attribute name longer than " + MAX_NAME_LENGTH
                        + " characters cannot be stored in SQL: " + name.substring(0, 40) + "...");
            }
        }
        saves.increment();
        if (!changes.expectations().isEmpty()) {
            long now = clock.millis();
            return database.withConnection(c -> dialect.conditionalUpdate(c, changes, now));
        }
        if (!changes.created()) {
            return database.withConnection(c -> dialect.update(c, changes, clock.millis()));
        }
        // A create that meets the session already there merges in as an update; if the one there
        // had expired, it is cleared and the create tried again.
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<SaveOutcome> created = database.withConnection(c -> dialect.insert(c, changes));
            if (created.isPresent()) {
                publish(SessionEvent.Type.CREATED, changes.id(), Optional.empty());
                return created.get();
            }
            SaveOutcome merged = database.withConnection(c -> dialect.update(c, changes, clock.millis()));
            if (merged != SaveOutcome.GONE) {
                return merged;
            }
            database.withConnection(c -> {
                try (PreparedStatement s = c.prepareStatement(SessionStatements.DELETE_EXPIRED_BY_ID)) {
                    s.setString(1, changes.id().value());
                    s.setLong(2, clock.millis());
                    return s.executeUpdate();
                }
            });
        }
        throw new SessionStoreUnavailableException(
                "session " + changes.id().redacted() + " could not be created: it kept colliding", null);
    }

    @Override
    public boolean delete(SessionId id) {
        int deleted = database.withConnection(c -> {
            try (PreparedStatement s = c.prepareStatement(SessionStatements.DELETE_LIVE)) {
                s.setString(1, id.value());
                s.setLong(2, clock.millis());
                return s.executeUpdate();
            }
        });
        if (deleted == 1) {
            deletes.increment();
            publish(SessionEvent.Type.DELETED, id, Optional.empty());
        }
        return deleted == 1;
    }

    @Override
    public List<SessionRecord> findByPrincipal(String principal) {
        Objects.requireNonNull(principal, "principal");
        Instant now = clock.instant();
        List<SessionRows.Stored> stored = database.withConnection(c -> {
            try (PreparedStatement s = c.prepareStatement(SessionStatements.FIND_BY_PRINCIPAL)) {
                s.setString(1, principal);
                s.setLong(2, now.toEpochMilli());
                try (ResultSet rs = s.executeQuery()) {
                    return SessionRows.read(rs);
                }
            }
        });
        List<SessionRecord> found = new ArrayList<>(stored.size());
        for (SessionRows.Stored s : stored) {
            if (!s.record().isExpired(now)) {
                found.add(s.record());
            }
        }
        return found;
    }

    /**
     * Deletes expired sessions in bounded batches if this node holds the sweep lease, taking it if
     * it is free. The background sweeper calls it; tests with a fake clock call it directly.
     *
     * @return the sessions this call deleted; 0 if another node holds the lease (counted as {@code
     *     sweep_lease_busy})
     */
    public int expireDue() {
        return sweep.run();
    }

    @Override
    public AutoCloseable subscribe(SessionListener listener) {
        return listeners.add(listener);
    }

    /** The counters named in the class comment, in that order. */
    @Override
    public Map<String, Long> counters() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("loads", loads.sum());
        counters.put("saves", saves.sum());
        counters.put("deletes", deletes.sum());
        counters.put("expired", expired.sum());
        counters.put("sweep_lease_busy", sweep.leaseBusy());
        counters.put("deadlock_retries", database.conflictRetries());
        counters.put("failures", database.failures());
        return Collections.unmodifiableMap(counters);
    }

    @Override
    public void close() {
        sweep.close();
        database.close();
    }

    private void publish(SessionEvent.Type type, SessionId id, Optional<SessionRecord> last) {
        if (!listeners.isEmpty()) {
            listeners.publish(new SessionEvent(type, id, last));
        }
    }

    /** Configures a {@link JdbcSessionStore}. Not thread-safe. */
    public static final class Builder {
        private final String jdbcUrl;
        private final DataSource dataSource;
        private String user = "";
        private String password = "";
        private int maxPoolSize = DEFAULT_MAX_POOL_SIZE;
        private Clock clock = Clock.systemUTC();
        private Duration timeout = DEFAULT_TIMEOUT;
        private Duration sweepInterval = DEFAULT_SWEEP_INTERVAL;
        private int sweepBatchSize = DEFAULT_SWEEP_BATCH_SIZE;
        private int sweepMaxBatches = DEFAULT_SWEEP_MAX_BATCHES;
        private boolean sweepInBackground = true;
        private boolean migrate = true;

        private Builder(String jdbcUrl, DataSource dataSource) {
            if (jdbcUrl != null && Dialect.ofUrl(jdbcUrl).isEmpty()) {
                throw new IllegalArgumentException("unsupported JDBC URL " + SessionDatabase.redacted(jdbcUrl)
                        + ": use jdbc:postgresql:, jdbc:mariadb:, jdbc:mysql: or jdbc:h2:");
            }
            this.jdbcUrl = jdbcUrl;
            this.dataSource = dataSource;
        }

        /** The database user, when the URL does not carry it. */
        public Builder user(String user) {
            this.user = Objects.requireNonNull(user, "user");
            return this;
        }

        /** The database password, when the URL does not carry it. */
        public Builder password(String password) {
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /** Connections the store's own pool may open (default {@link #DEFAULT_MAX_POOL_SIZE}). */
        public Builder maxPoolSize(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("pool size must be at least 1: " + size);
            }
            this.maxPoolSize = size;
            return this;
        }

        /** The clock that decides expiry; tests pass a fake one. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * How long a request waits for a connection, and for the database on the socket, before it
         * fails with 503 (default {@link #DEFAULT_TIMEOUT}, at least 250 ms). Applies to the store's
         * own pool only.
         */
        public Builder timeout(Duration timeout) {
            Durations.requirePositive(timeout, "timeout");
            if (timeout.toMillis() < 250) {
                throw new IllegalArgumentException("timeout must be at least 250 ms: " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * How often the sweep runs somewhere in the cluster (default {@link #DEFAULT_SWEEP_INTERVAL},
         * at least 100 ms).
         */
        public Builder sweepInterval(Duration interval) {
            Durations.requirePositive(interval, "sweep interval");
            if (interval.toMillis() < 100) {
                throw new IllegalArgumentException("sweep interval must be at least 100 ms: " + interval);
            }
            this.sweepInterval = interval;
            return this;
        }

        /** Rows one sweep statement deletes at most (default {@link #DEFAULT_SWEEP_BATCH_SIZE}). */
        public Builder sweepBatchSize(int rows) {
            if (rows < 1) {
                throw new IllegalArgumentException("sweep batch size must be at least 1: " + rows);
            }
            this.sweepBatchSize = rows;
            return this;
        }

        /**
         * Sweep statements one sweep makes at most, so that a backlog is worked off over several
         * sweeps (default {@link #DEFAULT_SWEEP_MAX_BATCHES}).
         */
        public Builder sweepMaxBatches(int batches) {
            if (batches < 1) {
                throw new IllegalArgumentException("sweep max batches must be at least 1: " + batches);
            }
            this.sweepMaxBatches = batches;
            return this;
        }

        /** Whether this store sweeps on its own timer (default true); tests sweep by hand. */
        public Builder sweepInBackground(boolean enabled) {
            this.sweepInBackground = enabled;
            return this;
        }

        /** Whether to create or migrate the tables at start (default true). */
        public Builder migrate(boolean enabled) {
            this.migrate = enabled;
            return this;
        }

        /**
         * Connects, migrates the schema and starts the sweeper.
         *
         * @throws SessionStoreUnavailableException if the database cannot be reached or migrated
         */
        public JdbcSessionStore build() {
            SessionDatabase database = dataSource != null
                    ? SessionDatabase.over(dataSource)
                    : SessionDatabase.open(jdbcUrl, user, password, maxPoolSize, timeout);
            try {
                return new JdbcSessionStore(this, database);
            } catch (RuntimeException e) {
                database.close();
                throw e;
            }
        }
    }
}
