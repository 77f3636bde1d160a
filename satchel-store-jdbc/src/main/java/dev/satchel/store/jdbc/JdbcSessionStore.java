package dev.satchel.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.satchel.core.ChangeSet;
import dev.satchel.core.ObservableSessionStore;
import dev.satchel.core.PrincipalIndexedStore;
import dev.satchel.core.SessionDataException;
import dev.satchel.core.SessionEvent;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionListener;
import dev.satchel.core.SessionListeners;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStoreUnavailableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientException;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 * <p><b>Expiry</b> is enforced on every read. Rows are reclaimed by a sweep that runs on one node at
 * a time: the node holding a lease row in {@code satchel_sweeper} deletes expired sessions through
 * the expiry index, in bounded batches.
 *
 * <p><b>When the database does not answer</b>, every call fails within the configured timeout
 * (waiting for a connection, then on the socket) with {@link SessionStoreUnavailableException}, and
 * the pool reconnects by itself once the database is back. Thread-safe.
 *
 * <p>One file, over 500 lines, for now: client set-up, the record mapping, the sweep and the dialect
 * branches still live together; issue 18 splits them, as Jetty and Spring Session do.
 */
public final class JdbcSessionStore implements PrincipalIndexedStore, ObservableSessionStore {

    /** Default time a call may take before the request fails. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

    /** Longest attribute name the schema holds. */
    public static final int MAX_NAME_LENGTH = 255;

    private static final Logger LOG = LoggerFactory.getLogger(JdbcSessionStore.class);

    private static final String COLUMNS = "s.pk, s.session_id, s.created_at, s.last_access, s.max_inactive,"
            + " s.absolute_deadline, s.principal, s.version, a.name, a.attr_value";
    private static final String LOAD = "SELECT " + COLUMNS + " FROM satchel_sessions s"
            + " LEFT JOIN satchel_attributes a ON a.session_pk = s.pk WHERE s.session_id = ?";
    private static final String FIND_BY_PRINCIPAL = "SELECT " + COLUMNS + " FROM satchel_sessions s"
            + " LEFT JOIN satchel_attributes a ON a.session_pk = s.pk"
            + " WHERE s.principal = ? AND s.expires_at > ? ORDER BY s.pk";
    private static final String INSERT = "INSERT INTO satchel_sessions (session_id, created_at, last_access,"
            + " max_inactive, absolute_deadline, expires_at, principal, version) VALUES (?, ?, ?, ?, ?, ?, ?, 1)";
    private static final String REMOVE_ATTRIBUTE = "DELETE FROM satchel_attributes WHERE session_pk ="
            + " (SELECT pk FROM satchel_sessions WHERE session_id = ?) AND name = ?";
    private static final String LOCK_LIVE =
            "SELECT pk FROM satchel_sessions WHERE session_id = ? AND expires_at > ? FOR UPDATE";
    private static final String DELETE_LIVE = "DELETE FROM satchel_sessions WHERE session_id = ? AND expires_at > ?";
    private static final String DELETE_EXPIRED = "DELETE FROM satchel_sessions WHERE pk = ? AND expires_at <= ?";
    private static final String DELETE_EXPIRED_BY_ID =
            "DELETE FROM satchel_sessions WHERE session_id = ? AND expires_at <= ?";
    private static final String TAKE_LEASE = "UPDATE satchel_sweeper SET holder = ?, lease_until = ?"
            + " WHERE id = 1 AND (lease_until <= ? OR holder = ?)";
    private static final String RELEASE_LEASE =
            "UPDATE satchel_sweeper SET lease_until = 0 WHERE id = 1 AND holder = ?";

    private final DataSource dataSource;
    private final Optional<HikariDataSource> ownedPool;
    private final Dialect dialect;
    private final Clock clock;
    private final String nodeId = UUID.randomUUID().toString();
    private final Duration sweepInterval;
    private final int sweepBatchSize;
    private final int maxSweepBatches;
    private final SessionListeners listeners = new SessionListeners();
    private final Optional<ScheduledExecutorService> sweeper;

    private JdbcSessionStore(Builder b, DataSource dataSource, Optional<HikariDataSource> ownedPool) {
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.clock = b.clock;
        this.sweepInterval = b.sweepInterval;
        this.sweepBatchSize = b.sweepBatchSize;
        this.maxSweepBatches = b.maxSweepBatches;
        this.dialect = detectDialect(dataSource);
        if (b.migrate) {
            migrate(dataSource, dialect);
        }
        this.sweeper = b.sweepInBackground ? Optional.of(startSweeper()) : Optional.empty();
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
        Optional<Loaded> loaded = withConnection(c -> {
            try (PreparedStatement s = c.prepareStatement(LOAD)) {
                s.setString(1, id.value());
                try (ResultSet rs = s.executeQuery()) {
                    List<Loaded> all = readSessions(rs);
                    return all.isEmpty() ? Optional.<Loaded>empty() : Optional.of(all.get(0));
                }
            }
        });
        if (loaded.isEmpty()) {
            return Optional.empty();
        }
        SessionRecord record = loaded.get().record();
        Instant now = clock.instant();
        if (record.isExpired(now)) {
            int deleted = withConnection(c -> {
                try (PreparedStatement s = c.prepareStatement(DELETE_EXPIRED)) {
                    s.setLong(1, loaded.get().pk());
                    s.setLong(2, now.toEpochMilli());
                    return s.executeUpdate();
                }
            });
            if (deleted == 1) {
                publish(SessionEvent.Type.EXPIRED, id, Optional.of(record));
            }
            return Optional.empty();
        }
        return Optional.of(record);
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
        if (!changes.created()) {
            return withConnection(c -> update(c, changes));
        }
        // A create that meets the session already there merges in as an update; if the one there
        // had expired, it is cleared and the create tried again.
        for (int attempt = 0; attempt < 3; attempt++) {
            Optional<SaveOutcome> created = withConnection(c -> insert(c, changes));
            if (created.isPresent()) {
                publish(SessionEvent.Type.CREATED, changes.id(), Optional.empty());
                return created.get();
            }
            SaveOutcome merged = withConnection(c -> update(c, changes));
            if (merged != SaveOutcome.GONE) {
                return merged;
            }
            withConnection(c -> {
                try (PreparedStatement s = c.prepareStatement(DELETE_EXPIRED_BY_ID)) {
                    s.setString(1, changes.id().value());
                    s.setLong(2, clock.millis());
                    return s.executeUpdate();
                }
            });
        }
        throw new SessionStoreUnavailableException(
                "session " + changes.id().redacted() + " could not be created: it kept colliding", null);
    }

    /** Inserts a new session; empty if its id is already taken. */
    private Optional<SaveOutcome> insert(Connection c, ChangeSet changes) throws SQLException {
        SessionRecord record = SessionRecord.create(changes);
        if (dialect == Dialect.POSTGRESQL && !changes.setAttributes().isEmpty()) {
            return insertInOneStatement(c, record, changes);
        }
        if (changes.setAttributes().isEmpty()) {
            return insertRow(c, record) ? Optional.of(SaveOutcome.CREATED) : Optional.empty();
        }
        return Transactions.inTransaction(c, tx -> {
            if (!insertRow(tx, record)) {
                return Transactions.Outcome.rollback(Optional.<SaveOutcome>empty());
            }
            upsertAttributes(tx, changes.id(), changes.setAttributes());
            return Transactions.Outcome.commit(Optional.of(SaveOutcome.CREATED));
        });
    }

    /** Inserts the session row; false if its id is already taken. */
    private static boolean insertRow(Connection c, SessionRecord record) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(INSERT)) {
            bindInsert(s, record);
            s.executeUpdate();
            return true;
        } catch (SQLException e) {
            if (isDuplicateKey(e)) {
                return false;
            }
            throw e;
        }
    }

    private static int bindInsert(PreparedStatement s, SessionRecord record) throws SQLException {
        s.setString(1, record.id().value());
        s.setLong(2, record.createdAt().toEpochMilli());
        s.setLong(3, record.lastAccessedAt().toEpochMilli());
        s.setLong(4, record.maxInactiveInterval().toMillis());
        s.setLong(5, record.absoluteDeadline().toEpochMilli());
        s.setLong(6, record.expiresAt().toEpochMilli());
        setNullableString(s, 7, record.principal());
        return 8;
    }

    /**
     * PostgreSQL: the session row and its attributes in one statement (data-modifying CTEs), so a
     * create is one round trip, and one atomic statement needs no explicit transaction.
     */
    private Optional<SaveOutcome> insertInOneStatement(Connection c, SessionRecord record, ChangeSet changes)
            throws SQLException {
        String sql = "WITH s AS (" + INSERT + " RETURNING pk) INSERT INTO satchel_attributes"
                + " (session_pk, name, attr_value) SELECT s.pk, v.name, v.val FROM s, (VALUES "
                + valueRows(changes.setAttributes().size()) + ") AS v(name, val)";
        try (PreparedStatement s = c.prepareStatement(sql)) {
            bindAttributes(s, bindInsert(s, record), changes.setAttributes());
            s.executeUpdate();
            return Optional.of(SaveOutcome.CREATED);
        } catch (SQLException e) {
            if (isDuplicateKey(e)) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * PostgreSQL: the session-row update, the attribute upserts and the removals in one statement,
     * one round trip. Answers 1 if the session was live and updated, 0 if it is gone.
     */
    private SaveOutcome updateInOneStatement(Connection c, ChangeSet changes) throws SQLException {
        StringBuilder sql = new StringBuilder("WITH s AS (")
                .append(updateStatement(changes))
                .append(" RETURNING pk)");
        if (!changes.setAttributes().isEmpty()) {
            sql.append(", u AS (INSERT INTO satchel_attributes (session_pk, name, attr_value)")
                    .append(" SELECT s.pk, v.name, v.val FROM s, (VALUES ")
                    .append(valueRows(changes.setAttributes().size()))
                    .append(") AS v(name, val) ON CONFLICT (session_pk, name)")
                    .append(" DO UPDATE SET attr_value = EXCLUDED.attr_value RETURNING 1)");
        }
        if (!changes.removedAttributes().isEmpty()) {
            sql.append(", d AS (DELETE FROM satchel_attributes a USING s WHERE a.session_pk = s.pk AND a.name IN (")
                    .append("?, ".repeat(changes.removedAttributes().size() - 1))
                    .append("?) RETURNING 1)");
        }
        sql.append(" SELECT count(*) FROM s");
        try (PreparedStatement s = c.prepareStatement(sql.toString())) {
            int next = bindAttributes(s, bindUpdate(s, changes, clock.millis()), changes.setAttributes());
            for (String name : changes.removedAttributes()) {
                s.setString(next++, name);
            }
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() && rs.getLong(1) == 1 ? SaveOutcome.UPDATED : SaveOutcome.GONE;
            }
        }
    }

    private static String valueRows(int count) {
        return "(?, ?), ".repeat(count - 1) + "(?, ?)";
    }

    private static int bindAttributes(PreparedStatement s, int first, Map<String, byte[]> attributes)
            throws SQLException {
        int i = first;
        for (Map.Entry<String, byte[]> e : attributes.entrySet()) {
            s.setString(i++, e.getKey());
            s.setBytes(i++, e.getValue());
        }
        return i;
    }

    /** Applies a change set to an existing live session, renaming it first if asked. */
    private SaveOutcome update(Connection c, ChangeSet changes) throws SQLException {
        boolean attributes = !changes.setAttributes().isEmpty()
                || !changes.removedAttributes().isEmpty();
        if (!attributes) {
            return updateRow(c, changes) ? SaveOutcome.UPDATED : SaveOutcome.GONE;
        }
        if (dialect == Dialect.POSTGRESQL && changes.removedAttributes().isEmpty()) {
            return updateInOneStatement(c, changes);
        }
        if (dialect == Dialect.POSTGRESQL) {
            // A statement that waited for the row lock still reads with the snapshot it started
            // with, so its removal would miss an attribute the save it waited for inserted. Taking
            // the lock first gives the statement that removes a snapshot taken after that save.
            return Transactions.inTransaction(
                    c,
                    tx -> lockLive(tx, changes)
                            ? Transactions.Outcome.commit(updateInOneStatement(tx, changes))
                            : Transactions.Outcome.rollback(SaveOutcome.GONE));
        }
        return Transactions.inTransaction(c, tx -> {
            if (!updateRow(tx, changes)) {
                return Transactions.Outcome.rollback(SaveOutcome.GONE);
            }
            upsertAttributes(tx, changes.id(), changes.setAttributes());
            removeAttributes(tx, changes);
            return Transactions.Outcome.commit(SaveOutcome.UPDATED);
        });
    }

    /** Updates the session row (renaming it if asked); false if the session is gone. */
    private boolean updateRow(Connection c, ChangeSet changes) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(updateStatement(changes))) {
            bindUpdate(s, changes, clock.millis());
            return s.executeUpdate() > 0;
        }
    }

    /** Locks the live session's row until the transaction ends; false if the session is gone. */
    private boolean lockLive(Connection c, ChangeSet changes) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(LOCK_LIVE)) {
            s.setString(1, changes.previousId().orElse(changes.id()).value());
            s.setLong(2, clock.millis());
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static void removeAttributes(Connection c, ChangeSet changes) throws SQLException {
        if (changes.removedAttributes().isEmpty()) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement(REMOVE_ATTRIBUTE)) {
            for (String name : changes.removedAttributes()) {
                s.setString(1, changes.id().value());
                s.setString(2, name);
                s.addBatch();
            }
            s.executeBatch();
        }
    }

    /**
     * The session-row update for one shape of change set. {@code expires_at} comes first because
     * MariaDB evaluates assignments left to right with the new values, while PostgreSQL and H2 use
     * the old ones; first, it reads the old values everywhere and computes the new expiry itself.
     */
    private static String updateStatement(ChangeSet changes) {
        String access = changes.accessedAt().isPresent()
                ? "CASE WHEN last_access < ? THEN ? ELSE last_access END"
                : "last_access";
        String idle = changes.maxInactiveInterval().isPresent() ? "?" : "max_inactive";
        StringBuilder sql = new StringBuilder(320)
                .append("UPDATE satchel_sessions SET expires_at = CASE WHEN ")
                .append(idle)
                .append(" > 0 AND ")
                .append(access)
                .append(" + ")
                .append(idle)
                .append(" < absolute_deadline THEN ")
                .append(access)
                .append(" + ")
                .append(idle)
                .append(" ELSE absolute_deadline END");
        if (changes.previousId().isPresent()) {
            sql.append(", session_id = ?");
        }
        if (changes.accessedAt().isPresent()) {
            sql.append(", last_access = ").append(access);
        }
        if (changes.maxInactiveInterval().isPresent()) {
            sql.append(", max_inactive = ?");
        }
        if (changes.principal().isPresent()) {
            sql.append(", principal = ?");
        }
        return sql.append(", version = version + 1 WHERE session_id = ? AND expires_at > ?")
                .toString();
    }

    /**
     * Binds the parameters of {@link #updateStatement}, in the order it placed them.
     *
     * @return the index of the next parameter
     */
    private static int bindUpdate(PreparedStatement s, ChangeSet changes, long now) throws SQLException {
        int i = 1;
        Optional<Long> access = changes.accessedAt().map(Instant::toEpochMilli);
        Optional<Long> idle = changes.maxInactiveInterval().map(Duration::toMillis);
        // expires_at: idle, access, idle, access, idle, each as the expression above placed them
        for (int part = 0; part < 5; part++) {
            boolean isIdle = part % 2 == 0;
            if (isIdle && idle.isPresent()) {
                s.setLong(i++, idle.get());
            } else if (!isIdle && access.isPresent()) {
                s.setLong(i++, access.get());
                s.setLong(i++, access.get());
            }
        }
        if (changes.previousId().isPresent()) {
            s.setString(i++, changes.id().value());
        }
        if (access.isPresent()) {
            s.setLong(i++, access.get());
            s.setLong(i++, access.get());
        }
        if (idle.isPresent()) {
            s.setLong(i++, idle.get());
        }
        if (changes.principal().isPresent()) {
            setNullableString(s, i++, changes.principal().get().name());
        }
        s.setString(i++, changes.previousId().orElse(changes.id()).value());
        s.setLong(i++, now);
        return i;
    }

    private void upsertAttributes(Connection c, SessionId id, Map<String, byte[]> attributes) throws SQLException {
        if (attributes.isEmpty()) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement(dialect.upsertAttribute)) {
            for (Map.Entry<String, byte[]> e : attributes.entrySet()) {
                s.setString(1, e.getKey());
                s.setBytes(2, e.getValue());
                s.setString(3, id.value());
                s.addBatch();
            }
            s.executeBatch();
        }
    }

    @Override
    public boolean delete(SessionId id) {
        int deleted = withConnection(c -> {
            try (PreparedStatement s = c.prepareStatement(DELETE_LIVE)) {
                s.setString(1, id.value());
                s.setLong(2, clock.millis());
                return s.executeUpdate();
            }
        });
        if (deleted == 1) {
            publish(SessionEvent.Type.DELETED, id, Optional.empty());
        }
        return deleted == 1;
    }

    @Override
    public List<SessionRecord> findByPrincipal(String principal) {
        Objects.requireNonNull(principal, "principal");
        Instant now = clock.instant();
        List<Loaded> loaded = withConnection(c -> {
            try (PreparedStatement s = c.prepareStatement(FIND_BY_PRINCIPAL)) {
                s.setString(1, principal);
                s.setLong(2, now.toEpochMilli());
                try (ResultSet rs = s.executeQuery()) {
                    return readSessions(rs);
                }
            }
        });
        List<SessionRecord> found = new ArrayList<>(loaded.size());
        for (Loaded l : loaded) {
            if (!l.record().isExpired(now)) {
                found.add(l.record());
            }
        }
        return found;
    }

    /**
     * Deletes expired sessions in bounded batches if this node holds the sweep lease, taking it if
     * it is free. Runs on the background sweeper; tests with a fake clock call it directly.
     *
     * @return the number of sessions deleted, or -1 if another node holds the lease
     */
    public int sweep() {
        long now = clock.millis();
        int leased = withConnection(c -> {
            try (PreparedStatement s = c.prepareStatement(TAKE_LEASE)) {
                s.setString(1, nodeId);
                s.setLong(2, now + 2 * sweepInterval.toMillis());
                s.setLong(3, now);
                s.setString(4, nodeId);
                return s.executeUpdate();
            }
        });
        if (leased == 0) {
            return -1;
        }
        int total = 0;
        for (int batch = 0; batch < maxSweepBatches; batch++) {
            List<SessionId> expired = withConnection(c -> {
                try (PreparedStatement s = c.prepareStatement(dialect.sweepBatch)) {
                    dialect.bindSweep(s, now, sweepBatchSize);
                    List<SessionId> ids = new ArrayList<>();
                    try (ResultSet rs = s.executeQuery()) { // DELETE ... RETURNING answers with rows
                        while (rs.next()) {
                            SessionId.parse(rs.getString(1)).ifPresent(ids::add);
                        }
                    }
                    return ids;
                }
            });
            expired.forEach(id -> publish(SessionEvent.Type.EXPIRED, id, Optional.empty()));
            total += expired.size();
            if (expired.size() < sweepBatchSize) {
                break;
            }
        }
        return total;
    }

    @Override
    public AutoCloseable subscribe(SessionListener listener) {
        return listeners.add(listener);
    }

    @Override
    public void close() {
        sweeper.ifPresent(ScheduledExecutorService::shutdownNow);
        try {
            withConnection(c -> {
                try (PreparedStatement s = c.prepareStatement(RELEASE_LEASE)) {
                    s.setString(1, nodeId);
                    return s.executeUpdate(); // hand the sweep to another node now, not at lease end
                }
            });
        } catch (SessionStoreUnavailableException e) {
            LOG.debug("could not release the sweep lease: {}", e.getMessage());
        }
        ownedPool.ifPresent(HikariDataSource::close);
    }

    private ScheduledExecutorService startSweeper() {
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "satchel-jdbc-sweeper");
            t.setDaemon(true);
            return t;
        });
        long period = sweepInterval.toMillis();
        long firstDelay = period / 2 + ThreadLocalRandom.current().nextLong(Math.max(1, period / 2));
        executor.scheduleWithFixedDelay(
                () -> {
                    try {
                        int swept = sweep();
                        if (swept > 0) {
                            LOG.debug("swept {} expired sessions", swept);
                        }
                    } catch (RuntimeException e) {
                        LOG.warn("session sweep failed, will retry: {}", e.getMessage());
                    }
                },
                firstDelay,
                period,
                TimeUnit.MILLISECONDS);
        return executor;
    }

    /** Rows of the session-joined-to-attributes query, grouped into records in row order. */
    private static List<Loaded> readSessions(ResultSet rs) throws SQLException {
        Map<Long, Row> rows = new LinkedHashMap<>();
        while (rs.next()) {
            long pk = rs.getLong(1);
            Row row = rows.get(pk);
            if (row == null) {
                row = new Row(
                        pk,
                        rs.getString(2),
                        rs.getLong(3),
                        rs.getLong(4),
                        rs.getLong(5),
                        rs.getLong(6),
                        rs.getString(7),
                        rs.getLong(8),
                        new HashMap<>());
                rows.put(pk, row);
            }
            String name = rs.getString(9);
            if (name != null) {
                row.attributes().put(name, rs.getBytes(10));
            }
        }
        List<Loaded> loaded = new ArrayList<>(rows.size());
        for (Row row : rows.values()) {
            SessionId id = SessionId.parse(row.id())
                    .orElseThrow(() -> new SessionDataException("malformed session id in the database", null));
            try {
                loaded.add(new Loaded(
                        row.pk(),
                        new SessionRecord(
                                id,
                                Instant.ofEpochMilli(row.created()),
                                Instant.ofEpochMilli(row.accessed()),
                                Duration.ofMillis(row.idle()),
                                Instant.ofEpochMilli(row.deadline()),
                                row.attributes(),
                                Optional.ofNullable(row.principal()),
                                row.version())));
            } catch (RuntimeException e) {
                throw new SessionDataException(id, "unreadable session row", e);
            }
        }
        return loaded;
    }

    private void publish(SessionEvent.Type type, SessionId id, Optional<SessionRecord> last) {
        if (!listeners.isEmpty()) {
            listeners.publish(new SessionEvent(type, id, last));
        }
    }

    /**
     * Runs {@code work} on a pooled connection. A deadlock victim (InnoDB picks one whenever two
     * renames of one row cross on its unique index, e.g. a double-submitted login) or a
     * serialization failure had its whole transaction rolled back by the database, so running the
     * work again is safe; a few times, after a short random pause, then it is the store failing.
     */
    private <T> T withConnection(Transactions.Work<T> work) {
        for (int attempt = 1; ; attempt++) {
            try (Connection c = dataSource.getConnection()) {
                return Transactions.autoCommitted(c, work);
            } catch (SQLException e) {
                if (attempt >= CONFLICT_ATTEMPTS || !isRolledBackConflict(e)) {
                    throw unavailable(e);
                }
            }
            try {
                Thread.sleep(ThreadLocalRandom.current().nextLong(1, 5L * attempt + 1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SessionStoreUnavailableException("interrupted while retrying after a deadlock", e);
            }
        }
    }

    /** 40001: serialization failure or deadlock (MariaDB 1213, PostgreSQL, H2); 40P01: PostgreSQL deadlock. */
    private static boolean isRolledBackConflict(SQLException e) {
        String state = Optional.ofNullable(e.getSQLState()).orElse("");
        return state.equals("40001") || state.equals("40P01") || e.getErrorCode() == 1213;
    }

    /** Attempts of one unit of work that keeps losing to deadlocks before the save fails. */
    private static final int CONFLICT_ATTEMPTS = 4;

    private static SessionStoreUnavailableException unavailable(SQLException e) {
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

    private static boolean isDuplicateKey(SQLException e) {
        String state = e.getSQLState();
        // 23505: unique violation (PostgreSQL, H2); 23000: integrity constraint (MariaDB, code 1062)
        return "23505".equals(state) || ("23000".equals(state) && e.getErrorCode() == 1062);
    }

    private static void setNullableString(PreparedStatement s, int index, Optional<String> value) throws SQLException {
        if (value.isPresent()) {
            s.setString(index, value.get());
        } else {
            s.setNull(index, Types.VARCHAR);
        }
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

    private static void migrate(DataSource dataSource, Dialect dialect) {
        try {
            Flyway.configure(JdbcSessionStore.class.getClassLoader())
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

    private record Row(
            long pk,
            String id,
            long created,
            long accessed,
            long idle,
            long deadline,
            String principal,
            long version,
            Map<String, byte[]> attributes) {}

    private record Loaded(long pk, SessionRecord record) {}

    /** Configures a {@link JdbcSessionStore}. Not thread-safe. */
    public static final class Builder {
        private final String jdbcUrl;
        private final DataSource dataSource;
        private String user = "";
        private String password = "";
        private int maxPoolSize = 10;
        private Clock clock = Clock.systemUTC();
        private Duration timeout = DEFAULT_TIMEOUT;
        private Duration sweepInterval = Duration.ofMinutes(1);
        private int sweepBatchSize = 500;
        private int maxSweepBatches = 20;
        private boolean sweepInBackground = true;
        private boolean migrate = true;

        private Builder(String jdbcUrl, DataSource dataSource) {
            if (jdbcUrl != null && Dialect.ofUrl(jdbcUrl).isEmpty()) {
                throw new IllegalArgumentException("unsupported JDBC URL " + redacted(jdbcUrl)
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

        /** Connections the store's own pool may open (default 10). */
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
         * fails with 503 (default 2 s). Applies to the store's own pool only.
         */
        public Builder timeout(Duration timeout) {
            if (timeout == null || timeout.toMillis() < 250) {
                throw new IllegalArgumentException("timeout must be at least 250 ms: " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /** How often the sweep runs somewhere in the cluster (default 1 min). */
        public Builder sweepInterval(Duration interval) {
            if (interval == null || interval.toMillis() < 100) {
                throw new IllegalArgumentException("sweep interval must be at least 100 ms: " + interval);
            }
            this.sweepInterval = interval;
            return this;
        }

        /** Rows one sweep statement deletes, and how many such batches one run may take. */
        public Builder sweepBatches(int batchSize, int maxBatches) {
            if (batchSize < 1 || maxBatches < 1) {
                throw new IllegalArgumentException("sweep batch size and count must be positive");
            }
            this.sweepBatchSize = batchSize;
            this.maxSweepBatches = maxBatches;
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
            if (dataSource != null) {
                return new JdbcSessionStore(this, dataSource, Optional.empty());
            }
            HikariDataSource pool = newPool();
            try {
                return new JdbcSessionStore(this, pool, Optional.of(pool));
            } catch (RuntimeException e) {
                pool.close();
                throw e;
            }
        }

        private HikariDataSource newPool() {
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
            long seconds = Math.max(1, (timeout.toMillis() + 999) / 1000);
            switch (Dialect.ofUrl(jdbcUrl).orElseThrow()) {
                case POSTGRESQL -> {
                    config.addDataSourceProperty("socketTimeout", Long.toString(seconds));
                    config.addDataSourceProperty("connectTimeout", Long.toString(seconds));
                    config.addDataSourceProperty("reWriteBatchedInserts", "false");
                }
                case MARIADB -> {
                    config.addDataSourceProperty("socketTimeout", Long.toString(timeout.toMillis()));
                    config.addDataSourceProperty("connectTimeout", Long.toString(timeout.toMillis()));
                }
                case H2 -> {}
            }
            try {
                return new HikariDataSource(config);
            } catch (RuntimeException e) {
                throw new SessionStoreUnavailableException(
                        "cannot connect to the session database at " + redacted(jdbcUrl) + ": " + e.getMessage(), e);
            }
        }

        private static String redacted(String url) {
            return url.replaceAll("(?i)(password=)[^&;]*", "$1***").replaceAll("//[^@/]*@", "//***@");
        }
    }
}
