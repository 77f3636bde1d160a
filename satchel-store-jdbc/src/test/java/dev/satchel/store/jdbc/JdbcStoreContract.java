package dev.satchel.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStore.SaveOutcome;
import dev.satchel.core.SessionStoreContract;
import dev.satchel.core.SessionStoreUnavailableException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The store contract plus what is particular to SQL, run against one real database per subclass. */
abstract class JdbcStoreContract extends SessionStoreContract {

    /** JDBC URL of a database (or schema) this test class owns. */
    protected abstract String jdbcUrl();

    /** How this database tells which connection waits for whose lock. */
    protected abstract RowLockHolder.LockQueries lockQueries();

    private final ExecutorService racers = Executors.newFixedThreadPool(2);

    @AfterEach
    void stopRacers() {
        racers.shutdownNow();
    }

    @Override
    protected SessionStore createStore(Clock clock) {
        return newStore(clock, b -> b);
    }

    protected JdbcSessionStore newStore(Clock clock, UnaryOperator<JdbcSessionStore.Builder> custom) {
        return custom.apply(JdbcSessionStore.builder(jdbcUrl()).clock(clock).sweepInBackground(false))
                .build();
    }

    @Override
    protected void reclaimExpired(SessionStore store) {
        ((JdbcSessionStore) store).expireDue();
    }

    @Override
    protected boolean expectsConditionalSaves() {
        return true;
    }

    private JdbcSessionStore peer;

    /** A second store on the same database, with its own pool, as another node has. */
    @Override
    protected SessionStore peerStore() {
        if (peer == null) {
            peer = newStore(clock, b -> b);
        }
        return peer;
    }

    @AfterEach
    void closePeer() {
        if (peer != null) {
            peer.close();
            peer = null;
        }
    }

    private static final String REPLACE_CART = "UPDATE satchel_attributes SET attr_value = ? WHERE name = ? AND"
            + " session_pk = (SELECT pk FROM satchel_sessions WHERE session_id = ?)";

    /**
     * A conditional save that waits for the row lock of a save changing the very attribute it
     * expects must see that change once the lock is granted, and refuse: read before the lock, it
     * would apply over the other save's cart.
     */
    @Test
    void conditionalSave_waitingForASaveOfTheSameAttribute_conflicts() throws Exception {
        SessionRecord r = create(Map.of("cart", "a"));
        SaveOutcome outcome = saveWaitingBehindAnEarlierSave(
                r,
                REPLACE_CART,
                bytes("a+c"),
                change(r).set("cart", bytes("a+b")).expect("cart", dev.satchel.core.ExpectedValue.of(bytes("a"))));
        assertThat(outcome).isEqualTo(SaveOutcome.CONFLICT);
        assertThat(text(store.load(r.id()).orElseThrow().attributes().get("cart")))
                .isEqualTo("a+c");
    }

    /**
     * An update expecting no cart that waits for a save inserting one must refuse once the lock is
     * granted: PostgreSQL's one-statement form relies on the unique index here, since the
     * statement's snapshot predates the other save's commit.
     */
    @Test
    void conditionalSave_expectingNoValue_waitingForASaveThatAddsIt_conflicts() throws Exception {
        SessionRecord r = create(Map.of("other", "1"));
        SaveOutcome outcome = saveWaitingBehindAnEarlierSave(
                r,
                "INSERT INTO satchel_attributes (session_pk, attr_value, name) SELECT pk, ?, ?"
                        + " FROM satchel_sessions WHERE session_id = ?",
                bytes("c"),
                change(r).set("cart", bytes("b")).expect("cart", dev.satchel.core.ExpectedValue.absent()));
        assertThat(outcome).isEqualTo(SaveOutcome.CONFLICT);
        assertThat(text(store.load(r.id()).orElseThrow().attributes().get("cart")))
                .isEqualTo("c");
    }

    /** As above for a removal that expects the value a waited-for save replaces. */
    @Test
    void conditionalRemoval_waitingForASaveOfTheSameAttribute_conflicts() throws Exception {
        SessionRecord r = create(Map.of("cart", "a"));
        SaveOutcome outcome = saveWaitingBehindAnEarlierSave(
                r,
                REPLACE_CART,
                bytes("a+c"),
                change(r).remove("cart").expect("cart", dev.satchel.core.ExpectedValue.of(bytes("a"))));
        assertThat(outcome).isEqualTo(SaveOutcome.CONFLICT);
        assertThat(text(store.load(r.id()).orElseThrow().attributes().get("cart")))
                .isEqualTo("a+c");
    }

    /**
     * Runs {@code changes} while an earlier save of the cart holds its locks uncommitted, as a save
     * does (session row first, then the attribute by {@code cartWrite}, whose parameters are the
     * value, the name "cart" and the session id); commits that save once the change waits on it, and
     * answers the change's outcome.
     */
    private SaveOutcome saveWaitingBehindAnEarlierSave(
            SessionRecord r, String cartWrite, byte[] earlierCart, ChangeSet.Builder changes) throws Exception {
        try (JdbcSessionStore updater = patientStore();
                RowLockHolder earlier = new RowLockHolder(jdbcUrl(), lockQueries())) {
            earlier.execute("UPDATE satchel_sessions SET version = version + 1 WHERE session_id = ?", r.id().value());
            earlier.execute(cartWrite, earlierCart, "cart", r.id().value());
            Future<SaveOutcome> waiting = racers.submit(() -> updater.save(changes.build()));
            earlier.awaitWaiters(1, List.of(waiting));
            earlier.commit();
            return waiting.get(60, TimeUnit.SECONDS);
        }
    }

    /** Every test starts from empty tables: the fake clock restarts, so old rows would look expired. */
    @BeforeEach
    void emptyTables() throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl())) {
            c.createStatement().executeUpdate("DELETE FROM satchel_sessions");
        }
    }

    @Test
    void sweep_runsOnOneNodeAtATime_inBoundedBatches() {
        for (int i = 0; i < 7; i++) {
            create(Map.of("n", Integer.toString(i)));
        }
        clock.advance(IDLE.plusSeconds(1));
        try (JdbcSessionStore a = newStore(clock, b -> b.sweepBatchSize(3).sweepMaxBatches(2));
                JdbcSessionStore b = newStore(clock, x -> x)) {
            assertThat(a.expireDue()).as("two batches of three").isEqualTo(6);
            assertThat(b.expireDue()).as("a holds the lease").isZero();
            assertThat(b.counters()).containsEntry("sweep_lease_busy", 1L);
            assertThat(a.expireDue()).as("the holder goes on").isEqualTo(1);
            assertThat(a.counters()).containsEntry("expired", 7L).containsEntry("sweep_lease_busy", 0L);
            a.close(); // hands the lease over
            assertThat(b.expireDue()).isZero();
            assertThat(b.counters())
                    .as("b took the lease and found nothing due")
                    .containsEntry("sweep_lease_busy", 1L);
        }
    }

    @Test
    void counters_countLoadsSavesDeletesAndExpiredReads() {
        JdbcSessionStore s = (JdbcSessionStore) store;
        SessionRecord kept = create(Map.of("a", "1")); // one save, one load
        SessionRecord deleted = create(Map.of("b", "2"));
        assertThat(s.delete(deleted.id())).isTrue();
        clock.advance(IDLE.plusSeconds(1));
        assertThat(s.load(kept.id())).as("expired on read").isEmpty();
        assertThat(s.counters())
                .containsEntry("saves", 2L)
                .containsEntry("loads", 3L)
                .containsEntry("deletes", 1L)
                .containsEntry("expired", 1L)
                .containsEntry("failures", 0L)
                .containsOnlyKeys(
                        "loads", "saves", "deletes", "expired", "sweep_lease_busy", "deadlock_retries", "failures");
    }

    @Test
    void changeId_isOneUpdate_thatKeepsTheInternalKey() throws SQLException {
        SessionRecord r = create(Map.of("cart", "[1]"));
        long pk = internalKey(r.id());
        SessionId renamed = SessionId.random();
        assertThat(store.save(change(r).changeId(renamed).build())).isEqualTo(SessionStore.SaveOutcome.UPDATED);
        assertThat(internalKey(renamed)).isEqualTo(pk);
        assertThat(store.load(renamed).orElseThrow().attributes()).containsKey("cart");
        assertThat(store.load(r.id())).isEmpty();
    }

    @Test
    void idsThatDifferOnlyInCase_areDifferentSessions() {
        SessionRecord r = create(Map.of("who", "first"));
        char[] chars = r.id().value().toCharArray();
        int at = 0;
        while (!Character.isLetter(chars[at])) {
            at++;
        }
        chars[at] =
                Character.isUpperCase(chars[at]) ? Character.toLowerCase(chars[at]) : Character.toUpperCase(chars[at]);
        SessionId twin = SessionId.parse(new String(chars)).orElseThrow();
        assertThat(store.load(twin)).isEmpty();
        assertThat(store.save(newSession(twin).set("who", bytes("second")).build()))
                .isEqualTo(SessionStore.SaveOutcome.CREATED);
        assertThat(text(store.load(r.id()).orElseThrow().attributes().get("who")))
                .isEqualTo("first");
    }

    @Test
    void largeValues_unicodeNames_andPrincipals_roundTrip() {
        byte[] big = new byte[1 << 20];
        Arrays.fill(big, (byte) 7);
        SessionId id = SessionId.random();
        store.save(newSession(id)
                .set("panier-ü-🛒", big)
                .principal(PrincipalChange.to("zoë@example.org"))
                .build());
        SessionRecord r = store.load(id).orElseThrow();
        assertThat(r.attributes().get("panier-ü-🛒")).isEqualTo(big);
        assertThat(r.principal()).contains("zoë@example.org");
        assertThat(((JdbcSessionStore) store).findByPrincipal("zoë@example.org"))
                .hasSize(1);
        assertThat(((JdbcSessionStore) store).findByPrincipal("ZOË@example.org"))
                .isEmpty();
    }

    @Test
    void attributeNameLongerThanTheColumn_isRefusedWithItsReason() {
        SessionId id = SessionId.random();
        ChangeSet tooLong = newSession(id).set("x".repeat(300), bytes("1")).build();
        assertThatThrownBy(() -> store.save(tooLong))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("longer than 255");
        assertThat(store.load(id)).isEmpty();
    }

    // ---- races, made to happen with a row lock held by a second connection ----------------------

    @Test
    void sweep_waitingForATouchThatExtendsTheSession_leavesItAlive() throws Exception {
        SessionRecord r = create(Map.of("cart", "[1]"));
        clock.advance(IDLE.plusSeconds(1));
        long now = clock.millis();
        try (JdbcSessionStore sweeper = patientStore();
                RowLockHolder touch = new RowLockHolder(jdbcUrl(), lockQueries())) {
            // What a touch does, not committed yet: last access now, expiry one idle timeout later.
            assertThat(touch.execute(
                            "UPDATE satchel_sessions SET last_access = ?, expires_at = ? WHERE session_id = ?",
                            now,
                            now + IDLE.toMillis(),
                            r.id().value()))
                    .isEqualTo(1);
            Future<Integer> swept = racers.submit(sweeper::expireDue);
            touch.awaitWaiters(1, List.of(swept));
            assertThat(touch.waiters())
                    .as("the sweep waits for the touch's row lock")
                    .isEqualTo(1);
            touch.commit();
            assertThat(swept.get(60, TimeUnit.SECONDS)).as("sessions swept").isZero();
        }
        assertThat(store.load(r.id())).as("the session the touch extended").isPresent();
    }

    @Test
    void removal_waitingForTheSaveThatAddedTheAttribute_stillRemovesIt() throws Exception {
        SessionRecord r = create(Map.of("seed", "0"));
        try (JdbcSessionStore remover = patientStore();
                RowLockHolder earlier = new RowLockHolder(jdbcUrl(), lockQueries())) {
            // What an earlier save that sets "coupon" does, not committed yet: row, then attribute.
            earlier.execute("UPDATE satchel_sessions SET version = version + 1 WHERE session_id = ?", r.id().value());
            earlier.execute(
                    "INSERT INTO satchel_attributes (session_pk, name, attr_value)"
                            + " SELECT pk, ?, ? FROM satchel_sessions WHERE session_id = ?",
                    "coupon",
                    bytes("SAVE10"),
                    r.id().value());
            Future<SaveOutcome> removed =
                    racers.submit(() -> remover.save(change(r).remove("coupon").build()));
            earlier.awaitWaiters(1, List.of(removed));
            assertThat(earlier.waiters())
                    .as("the removal waits for the earlier save")
                    .isEqualTo(1);
            earlier.commit();
            assertThat(removed.get(60, TimeUnit.SECONDS)).isEqualTo(SaveOutcome.UPDATED);
        }
        SessionRecord after = store.load(r.id()).orElseThrow();
        assertThat(after.version()).as("both saves applied").isEqualTo(r.version() + 2);
        assertThat(after.attributes()).as("the later save removed coupon").containsOnlyKeys("seed");
    }

    @Test
    void twoIdChanges_waitingOnTheSessionsLock_leaveExactlyOneLiveId() throws Exception {
        SessionRecord r = create(Map.of("cart", "[1]"));
        SessionId a = SessionId.random();
        SessionId b = SessionId.random();
        try (JdbcSessionStore other = patientStore();
                RowLockHolder lock = new RowLockHolder(jdbcUrl(), lockQueries())) {
            lock.execute("SELECT pk FROM satchel_sessions WHERE session_id = ? FOR UPDATE", r.id().value());
            // One with attributes (PostgreSQL's one-statement path), one without.
            Future<SaveOutcome> toA = racers.submit(() -> other.save(change(r)
                    .changeId(a)
                    .principal(PrincipalChange.to("alice"))
                    .set("login", bytes("a"))
                    .build()));
            Future<SaveOutcome> toB = racers.submit(() -> other.save(
                    change(r).changeId(b).principal(PrincipalChange.to("alice")).build()));
            lock.awaitWaiters(2, List.of(toA, toB));
            assertThat(lock.waiters()).as("both id changes wait").isEqualTo(2);
            lock.commit();
            assertThat(List.of(toA.get(60, TimeUnit.SECONDS), toB.get(60, TimeUnit.SECONDS)))
                    .containsExactlyInAnyOrder(SaveOutcome.UPDATED, SaveOutcome.GONE);
        }
        assertThat(liveIds(r.id(), a, b)).hasSize(1);
        assertThat(((JdbcSessionStore) store).findByPrincipal("alice")).hasSize(1);
    }

    @Test
    void idChangeAndDelete_waitingOnTheSessionsLock_exactlyOneWins() throws Exception {
        SessionRecord r = create(Map.of("cart", "[1]"));
        SessionId renamed = SessionId.random();
        try (JdbcSessionStore other = patientStore();
                RowLockHolder lock = new RowLockHolder(jdbcUrl(), lockQueries())) {
            lock.execute("SELECT pk FROM satchel_sessions WHERE session_id = ? FOR UPDATE", r.id().value());
            Future<SaveOutcome> rename = racers.submit(() -> other.save(
                    change(r).changeId(renamed).set("login", bytes("a")).build()));
            Future<Boolean> delete = racers.submit(() -> other.delete(r.id()));
            lock.awaitWaiters(2, List.of(rename, delete));
            assertThat(lock.waiters()).as("both wait").isEqualTo(2);
            lock.commit();
            boolean renameWon = rename.get(60, TimeUnit.SECONDS) == SaveOutcome.UPDATED;
            boolean deleteWon = delete.get(60, TimeUnit.SECONDS);
            assertThat(renameWon).as("exactly one of rename and delete wins").isNotEqualTo(deleteWon);
            assertThat(liveIds(r.id(), renamed)).hasSize(renameWon ? 1 : 0);
        }
    }

    @Test
    void doubleSubmittedLogin_200Times_leavesOneLiveIdEachTime() throws Exception {
        int wrong = 0;
        for (int i = 0; i < 200; i++) {
            SessionRecord r = create(Map.of("cart", "[1]"));
            SessionId a = SessionId.random();
            SessionId b = SessionId.random();
            String user = "user-" + i;
            ChangeSet toA =
                    change(r).changeId(a).principal(PrincipalChange.to(user)).build();
            ChangeSet toB = change(r)
                    .changeId(b)
                    .principal(PrincipalChange.to(user))
                    .set("login", bytes("b"))
                    .build();
            List<SaveOutcome> outcomes = race(() -> store.save(toA), () -> store.save(toB));
            boolean oneWinner = outcomes.contains(SaveOutcome.UPDATED) && outcomes.contains(SaveOutcome.GONE);
            if (!oneWinner
                    || liveIds(r.id(), a, b).size() != 1
                    || ((JdbcSessionStore) store).findByPrincipal(user).size() != 1) {
                wrong++;
            }
        }
        assertThat(wrong).as("logins not leaving exactly one live, indexed id").isZero();
    }

    // ---- an application's own DataSource -----------------------------------------------------

    @ParameterizedTest(name = "lent with autocommit {0}")
    @ValueSource(booleans = {true, false})
    void applicationDataSource_getsEveryConnectionBackAsLent_withItsWritesCommitted(boolean autoCommit) {
        CheckedDataSource app = new CheckedDataSource(jdbcUrl(), autoCommit);
        SessionId id = SessionId.random();
        SessionId renamed = SessionId.random();
        SessionId doomed = SessionId.random();
        try (JdbcSessionStore s = overApplicationPool(app)) {
            assertThat(s.save(newSession(id)
                            .set("a", bytes("1"))
                            .set("b", bytes("2"))
                            .principal(PrincipalChange.to("carol"))
                            .build()))
                    .isEqualTo(SaveOutcome.CREATED);
            // A second first save meets the duplicate key, rolls back and merges in.
            assertThat(s.save(newSession(id).set("c", bytes("3")).build())).isEqualTo(SaveOutcome.UPDATED);
            assertThat(s.save(change(id).set("a", bytes("10")).remove("b").build()))
                    .isEqualTo(SaveOutcome.UPDATED);
            assertThat(s.save(change(id).accessedAt(clock.instant()).build())).isEqualTo(SaveOutcome.UPDATED);
            assertThat(s.save(change(id).changeId(renamed).build())).isEqualTo(SaveOutcome.UPDATED);
            assertThat(s.save(newSession(doomed).build())).isEqualTo(SaveOutcome.CREATED);
            assertThat(s.delete(doomed)).isTrue();
            assertThat(s.findByPrincipal("carol")).hasSize(1);

            // Read through the store's own pool: only committed writes are there.
            SessionRecord saved = store.load(renamed).orElseThrow();
            assertThat(saved.attributes()).containsOnlyKeys("a", "c");
            assertThat(text(saved.attributes().get("a"))).isEqualTo("10");
            assertThat(store.load(id)).isEmpty();
            assertThat(store.load(doomed)).isEmpty();

            clock.advance(IDLE.plusSeconds(1));
            assertThat(s.expireDue()).isEqualTo(1);
        }
        assertThat(rows()).as("rows left after the sweep").isZero();
        assertThat(app.lent()).isPositive();
        assertThat(app.misreturned()).isEmpty();
    }

    @ParameterizedTest(name = "lent with autocommit {0}")
    @ValueSource(booleans = {true, false})
    void applicationDataSource_afterFailedSaves_getsItsConnectionsBackAsLent_andNothingOfThem(boolean autoCommit) {
        CheckedDataSource app = new CheckedDataSource(jdbcUrl(), autoCommit);
        SessionRecord r = create(Map.of("a", "1", "b", "2"));
        SessionId fresh = SessionId.random();
        try (JdbcSessionStore s = overApplicationPool(app)) {
            app.failStatementsContaining("DELETE FROM satchel_attributes");
            assertThatThrownBy(() ->
                            s.save(change(r).set("a", bytes("10")).remove("b").build()))
                    .isInstanceOf(SessionStoreUnavailableException.class);
            app.failStatementsContaining("satchel_attributes");
            assertThatThrownBy(
                            () -> s.save(newSession(fresh).set("x", bytes("1")).build()))
                    .isInstanceOf(SessionStoreUnavailableException.class);
            app.stopFailing();
        }
        assertThat(app.misreturned()).isEmpty();
        SessionRecord after = store.load(r.id()).orElseThrow();
        assertThat(after.version()).as("the failed save changed nothing").isEqualTo(r.version());
        assertThat(text(after.attributes().get("a"))).isEqualTo("1");
        assertThat(after.attributes()).containsOnlyKeys("a", "b");
        assertThat(store.load(fresh)).as("the failed create left no row").isEmpty();
    }

    @Test
    void aSaveChosenAsADeadlockVictim_isRunAgain_andAppliesOnce() {
        CheckedDataSource app = new CheckedDataSource(jdbcUrl(), true);
        SessionRecord r = create(Map.of("a", "1", "b", "2", "n", "0"));
        try (JdbcSessionStore s = overApplicationPool(app)) {
            // Two deadlocks in a row, inside the save's transaction and on its row update.
            app.deadlockNext("satchel_", 2);
            assertThat(s.save(change(r).set("a", bytes("10")).remove("b").build()))
                    .isEqualTo(SaveOutcome.UPDATED);
            assertThat(app.deadlocksInjected()).isEqualTo(2);

            // A conflict that never clears is reported, bounded, as the store being unavailable.
            app.deadlockNext("satchel_", Integer.MAX_VALUE);
            assertThatThrownBy(() -> s.save(change(r).set("n", bytes("1")).build()))
                    .isInstanceOf(SessionStoreUnavailableException.class)
                    .hasMessageContaining("40001");
            assertThat(app.deadlocksInjected())
                    .as("tried 4 times, then gave up")
                    .isEqualTo(2 + 4);
            assertThat(s.counters())
                    .as("two retries that won, three that lost; the one failure")
                    .containsEntry("deadlock_retries", 2L + 3L)
                    .containsEntry("failures", 1L);
            app.stopFailing();
            app.deadlockNext("satchel_", 0);
        }
        assertThat(app.misreturned()).isEmpty();
        SessionRecord after = store.load(r.id()).orElseThrow();
        assertThat(text(after.attributes().get("a"))).isEqualTo("10");
        assertThat(text(after.attributes().get("n")))
                .as("the save that always lost changed nothing")
                .isEqualTo("0");
        assertThat(after.attributes()).containsOnlyKeys("a", "n");
    }

    private JdbcSessionStore overApplicationPool(CheckedDataSource app) {
        return JdbcSessionStore.builder(app)
                .clock(clock)
                .sweepInBackground(false)
                .migrate(false)
                .build();
    }

    private ChangeSet.Builder change(SessionId id) {
        return ChangeSet.builder(id, clock.instant(), clock.instant().plus(ABSOLUTE));
    }

    /** A second store on the same tables whose calls may wait on a lock longer than the default. */
    private JdbcSessionStore patientStore() {
        return newStore(clock, b -> b.timeout(Duration.ofSeconds(60)));
    }

    private List<SessionId> liveIds(SessionId... ids) {
        return Stream.of(ids).filter(id -> store.load(id).isPresent()).toList();
    }

    private <T> List<T> race(Callable<T> first, Callable<T> second) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<T>> both = Stream.of(first, second)
                .map(work -> racers.submit(() -> {
                    start.await();
                    return work.call();
                }))
                .toList();
        start.countDown();
        return List.of(both.get(0).get(60, TimeUnit.SECONDS), both.get(1).get(60, TimeUnit.SECONDS));
    }

    private int rows() {
        try (Connection c = DriverManager.getConnection(jdbcUrl());
                ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM satchel_sessions")) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
    }

    private long internalKey(SessionId id) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl());
                PreparedStatement s = c.prepareStatement("SELECT pk FROM satchel_sessions WHERE session_id = ?")) {
            s.setString(1, id.value());
            try (ResultSet rs = s.executeQuery()) {
                assertThat(rs.next()).as("row for %s", id.redacted()).isTrue();
                return rs.getLong(1);
            }
        }
    }
}
