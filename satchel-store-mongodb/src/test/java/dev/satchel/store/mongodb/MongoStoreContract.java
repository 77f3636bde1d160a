package dev.satchel.store.mongodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;
import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStore.SaveOutcome;
import dev.satchel.core.SessionStoreContract;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.SessionTooLargeException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The store contract plus what is particular to MongoDB, against one server per subclass. Each
 * test gets a collection of its own, shared by its store and the peer store (another node).
 */
abstract class MongoStoreContract extends SessionStoreContract {

    private static final AtomicInteger COLLECTIONS = new AtomicInteger();

    /** A connection string of a server this test class may write to. */
    protected abstract String connectionString();

    private String collection;
    private MongoSessionStore peer;
    private final List<AutoCloseable> opened = new ArrayList<>();

    @Override
    protected SessionStore createStore(Clock clock) {
        collection = "contract_" + getClass().getSimpleName() + "_" + COLLECTIONS.incrementAndGet();
        return newStore(clock);
    }

    MongoSessionStore newStore(Clock clock) {
        return MongoSessionStore.builder(connectionString())
                .database("satchel_test")
                .collection(collection)
                .clock(clock)
                .sweepInBackground(false)
                // The fake clock is months from the server's; a TTL monitor would follow the server's.
                .withoutTtlIndex()
                .build();
    }

    @Override
    protected void reclaimExpired(SessionStore store) {
        ((MongoSessionStore) store).expireDue();
    }

    @Override
    protected boolean expectsConditionalSaves() {
        return true;
    }

    @Override
    protected SessionStore peerStore() {
        if (peer == null) {
            peer = newStore(clock);
        }
        return peer;
    }

    @AfterEach
    void closeOthers() throws Exception {
        if (peer != null) {
            peer.close();
            peer = null;
        }
        for (AutoCloseable c : opened) {
            c.close();
        }
        opened.clear();
    }

    @Test
    void attributeNamesThatMongoReadsAsPathsOrOperators_roundTrip() {
        Map<String, String> awkward = Map.of(
                "a.b",
                "dot",
                "$where",
                "dollar",
                "100%",
                "percent",
                "%2E",
                "escaped-looking",
                "",
                "empty",
                "x\0y",
                "nul");
        SessionRecord r = create(awkward);
        awkward.forEach((name, value) ->
                assertThat(text(r.attributes().get(name))).as(name).isEqualTo(value));
        assertThat(r.attributes()).hasSize(awkward.size());
        store.save(change(r).remove("a.b").set("$where", bytes("changed")).build());
        SessionRecord after = store.load(r.id()).orElseThrow();
        assertThat(after.attributes()).doesNotContainKey("a.b");
        assertThat(text(after.attributes().get("$where"))).isEqualTo("changed");
    }

    @Test
    void aLoadIsOneFind_andATouchingSaveIsOneUpdate_onceTheIdleTimeoutIsKnown() {
        List<String> commands = Collections.synchronizedList(new ArrayList<>());
        MongoSessionStore counted = storeOnOwnClient(commands::add);
        SessionId id = SessionId.random();
        counted.save(newSession(id).set("cart", bytes("1")).build());
        commands.clear();

        SessionRecord loaded = counted.load(id).orElseThrow();
        assertThat(commands).containsExactly("find");
        commands.clear();

        clock.advance(Duration.ofMinutes(1));
        SaveOutcome outcome = counted.save(change(loaded)
                .accessedAt(clock.instant())
                .set("cart", bytes("2"))
                .build());
        assertThat(outcome).isEqualTo(SaveOutcome.UPDATED);
        assertThat(commands).containsExactly("update");
        assertThat(counted.counters()).containsEntry("saves_read_first", 0L);
    }

    @Test
    void aTouchFromANodeThatAssumesAnOldIdleTimeout_readsFirst_andKeepsTheShorterTimeout() {
        SessionRecord r = create(Map.of("a", "1"));
        MongoSessionStore other = (MongoSessionStore) peerStore();
        other.load(r.id()).orElseThrow(); // the other node now assumes the 30-minute timeout

        store.save(change(r).maxInactiveInterval(Duration.ofMinutes(1)).build());
        clock.advance(Duration.ofSeconds(30));
        assertThat(other.save(change(r).accessedAt(clock.instant()).build())).isEqualTo(SaveOutcome.UPDATED);
        assertThat(other.counters().get("saves_read_first")).isEqualTo(1L);

        clock.advance(Duration.ofSeconds(61));
        assertThat(store.load(r.id())).isEmpty();
    }

    @Test
    void theIndexes_areAUniqueId_thePrincipal_andATtlOnExpiry() {
        try (MongoClient client = MongoClients.create(connectionString());
                MongoSessionStore withTtl = MongoSessionStore.builder(client, "satchel_test")
                        .collection(collection + "_ttl")
                        .sweepInBackground(false)
                        .build()) {
            List<Document> indexes = client.getDatabase("satchel_test")
                    .getCollection(collection + "_ttl")
                    .listIndexes()
                    .into(new ArrayList<>());
            Document sid = byName(indexes, "satchel_sid");
            assertThat(sid.getBoolean("unique")).isTrue();
            byName(indexes, "satchel_principal");
            Document expiry = byName(indexes, "satchel_expiry");
            assertThat(((Number) expiry.get("expireAfterSeconds")).longValue())
                    .isEqualTo(MongoStoreBuilder.DEFAULT_TTL_GRACE.toSeconds());
            assertThat(withTtl.load(SessionId.random())).isEmpty();
        }
    }

    @Test
    void aSaveToASessionThatIsGone_insertsNothing() {
        SessionRecord r = create(Map.of("a", "1"));
        store.delete(r.id());
        ChangeSet late =
                change(r).accessedAt(clock.instant()).set("a", bytes("2")).build();
        assertThat(store.save(late)).isEqualTo(SaveOutcome.GONE);
        try (MongoClient client = MongoClients.create(connectionString())) {
            long documents = client.getDatabase("satchel_test")
                    .getCollection(collection)
                    .countDocuments(new Document(SessionDocuments.SID, r.id().value()));
            assertThat(documents).isZero();
        }
    }

    @Test
    void aFirstSaveThatMeetsALiveSessionOfItsId_mergesIn_andTheStoredExpiryFollowsItsIdleTimeout() {
        SessionId id = SessionId.random();
        assertThat(store.save(newSession(id).set("a", bytes("1")).build())).isEqualTo(SaveOutcome.CREATED);
        ChangeSet second = newSession(id)
                .maxInactiveInterval(Duration.ofMinutes(1))
                .set("b", bytes("2"))
                .build();
        assertThat(peerStore().save(second)).isEqualTo(SaveOutcome.UPDATED);

        SessionRecord merged = store.load(id).orElseThrow();
        assertThat(merged.attributes()).containsOnlyKeys("a", "b");
        assertThat(merged.maxInactiveInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(storedExpiry(id)).isEqualTo(merged.expiresAt().toEpochMilli());

        clock.advance(Duration.ofSeconds(61));
        assertThat(((MongoSessionStore) store).expireDue()).isEqualTo(1);
        assertThat(store.load(id)).isEmpty();
    }

    @Test
    void aShorterIdleTimeout_movesTheStoredExpiry_soTheSweepFindsTheSession() {
        SessionRecord r = create(Map.of("a", "1"));
        store.save(change(r).maxInactiveInterval(Duration.ofMinutes(1)).build());
        SessionRecord shorter = store.load(r.id()).orElseThrow();
        assertThat(storedExpiry(r.id())).isEqualTo(shorter.expiresAt().toEpochMilli());

        clock.advance(Duration.ofSeconds(61));
        assertThat(((MongoSessionStore) store).expireDue()).isEqualTo(1);
    }

    @Test
    void aTouchThatAssumesAnotherAbsoluteDeadline_keepsTheStoredOne() {
        SessionRecord r = create(Map.of("a", "1"));
        clock.advance(Duration.ofMinutes(1));
        ChangeSet later = ChangeSet.builder(
                        r.id(), r.createdAt(), r.absoluteDeadline().plus(Duration.ofDays(30)))
                .accessedAt(clock.instant())
                .build();
        assertThat(store.save(later)).isEqualTo(SaveOutcome.UPDATED);

        SessionRecord touched = store.load(r.id()).orElseThrow();
        assertThat(touched.absoluteDeadline()).isEqualTo(r.absoluteDeadline());
        assertThat(touched.lastAccessedAt()).isEqualTo(clock.instant());
        assertThat(storedExpiry(r.id())).isEqualTo(touched.expiresAt().toEpochMilli());
    }

    @Test
    void manyNodesTouchingOneSessionAtOnce_allSucceed() throws Exception {
        SessionRecord r = create(Map.of("a", "1"));
        List<MongoSessionStore> nodes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            MongoSessionStore node = newStore(clock);
            opened.add(0, node);
            node.load(r.id()).orElseThrow();
            nodes.add(node);
        }
        store.save(change(r).maxInactiveInterval(Duration.ofMinutes(20)).build()); // all now assume 30
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<SaveOutcome>> outcomes = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                MongoSessionStore node = nodes.get(i % nodes.size());
                String name = "n" + i;
                outcomes.add(pool.submit(() -> node.save(change(r)
                        .accessedAt(clock.instant())
                        .set(name, bytes("x"))
                        .build())));
            }
            for (Future<SaveOutcome> f : outcomes) {
                assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo(SaveOutcome.UPDATED);
            }
        } finally {
            pool.shutdownNow();
        }
        SessionRecord after = store.load(r.id()).orElseThrow();
        assertThat(after.attributes()).hasSize(201);
        assertThat(after.maxInactiveInterval()).isEqualTo(Duration.ofMinutes(20));
        assertThat(storedExpiry(r.id())).isEqualTo(after.expiresAt().toEpochMilli());
    }

    @Test
    void aSessionPastSixteenMebibytes_isTooLarge_namingTheAttribute_andTheStoreGoesOn() {
        SessionRecord r = create(Map.of("a", "1"));
        ChangeSet huge = change(r).set("photo", new byte[17 * 1024 * 1024]).build();
        assertThatThrownBy(() -> store.save(huge))
                .isInstanceOf(SessionTooLargeException.class)
                .hasMessageContaining("16 MiB")
                .hasMessageContaining("photo=17825792 B");
        assertThat(store.load(r.id()).orElseThrow().attributes()).containsOnlyKeys("a");
    }

    @Test
    void aClosedStore_saysItIsClosed() {
        MongoSessionStore closed = newStore(clock);
        closed.close();
        assertThatThrownBy(() -> closed.load(SessionId.random()))
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("closed");
    }

    @Test
    void aStoreStartedWithAnotherTtlGrace_replacesTheExpiryIndex() {
        String name = collection + "_regrace";
        try (MongoClient client = MongoClients.create(connectionString())) {
            for (Optional<Duration> grace : List.of(
                    Optional.of(Duration.ofHours(1)), Optional.of(Duration.ofHours(2)), Optional.<Duration>empty())) {
                MongoStoreBuilder builder = MongoSessionStore.builder(client, "satchel_test")
                        .collection(name)
                        .sweepInBackground(false);
                grace.ifPresentOrElse(builder::ttlGrace, builder::withoutTtlIndex);
                try (MongoSessionStore started = builder.build()) {
                    Document expiry = byName(
                            client.getDatabase("satchel_test")
                                    .getCollection(name)
                                    .listIndexes()
                                    .into(new ArrayList<>()),
                            "satchel_expiry");
                    Object seconds = expiry.get("expireAfterSeconds");
                    assertThat(Optional.ofNullable(seconds).map(s -> ((Number) s).longValue()))
                            .isEqualTo(grace.map(Duration::toSeconds));
                }
            }
        }
    }

    @Test
    void aDocumentWithAStaleExpiryField_isRepairedBySweepAndSave_neverStuck() {
        SessionRecord r = create(Map.of("a", "1"));
        try (MongoClient client = MongoClients.create(connectionString())) {
            // As an older version could leave it: the field before now, the times still live.
            client.getDatabase("satchel_test")
                    .getCollection(collection)
                    .updateOne(
                            new Document(SessionDocuments.SID, r.id().value()),
                            new Document(
                                    "$set",
                                    new Document(
                                            SessionDocuments.EXPIRES_AT,
                                            java.util.Date.from(clock.instant().minusSeconds(1)))));
        }
        assertThat(((MongoSessionStore) store).expireDue()).isZero();
        assertThat(storedExpiry(r.id())).isEqualTo(r.expiresAt().toEpochMilli());
        assertThat(store.load(r.id())).isPresent();
        assertThat(store.save(change(r).set("a", bytes("2")).build())).isEqualTo(SaveOutcome.UPDATED);
    }

    /** The expiry field as stored, which the sweep and the TTL index go by. */
    private long storedExpiry(SessionId id) {
        try (MongoClient client = MongoClients.create(connectionString())) {
            Document d = client.getDatabase("satchel_test")
                    .getCollection(collection)
                    .find(new Document(SessionDocuments.SID, id.value()))
                    .first();
            assertThat(d).as("document of " + id.redacted()).isNotNull();
            return d.getDate(SessionDocuments.EXPIRES_AT).getTime();
        }
    }

    private MongoSessionStore storeOnOwnClient(java.util.function.Consumer<String> onCommand) {
        MongoClient client = MongoClients.create(MongoClientSettings.builder()
                .applyConnectionString(new ConnectionString(connectionString()))
                .addCommandListener(new CommandListener() {
                    @Override
                    public void commandStarted(CommandStartedEvent event) {
                        onCommand.accept(event.getCommandName());
                    }
                })
                .build());
        opened.add(client);
        MongoSessionStore s = MongoSessionStore.builder(client, "satchel_test")
                .collection(collection)
                .clock(clock)
                .sweepInBackground(false)
                .withoutTtlIndex()
                .build();
        opened.add(0, s);
        return s;
    }

    private static Document byName(List<Document> indexes, String name) {
        return indexes.stream()
                .filter(i -> name.equals(i.getString("name")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no index " + name + " in " + indexes));
    }
}
