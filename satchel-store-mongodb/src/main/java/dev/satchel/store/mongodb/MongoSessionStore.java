package dev.satchel.store.mongodb;

import static dev.satchel.store.mongodb.SessionDocuments.ABSOLUTE;
import static dev.satchel.store.mongodb.SessionDocuments.EXPIRES_AT;
import static dev.satchel.store.mongodb.SessionDocuments.IDLE_MS;
import static dev.satchel.store.mongodb.SessionDocuments.PRINCIPAL;
import static dev.satchel.store.mongodb.SessionDocuments.SID;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoException;
import com.mongodb.MongoServerException;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.result.UpdateResult;
import dev.satchel.core.ChangeSet;
import dev.satchel.core.ConditionalSaveStore;
import dev.satchel.core.ObservableSessionStore;
import dev.satchel.core.PrincipalIndexedStore;
import dev.satchel.core.ReportingStore;
import dev.satchel.core.SessionDataException;
import dev.satchel.core.SessionEvent;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionListener;
import dev.satchel.core.SessionListeners;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.SessionTooLargeException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.bson.BSONException;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * Sessions in MongoDB, one document per session (see {@link SessionDocuments} for its layout),
 * on the official sync driver.
 *
 * <p>A load is one {@code find} by the session id's unique index. A save is one {@code updateOne}
 * whose filter carries everything the save depends on: that the session is live, that expected
 * attributes hold their values (an atomic update), and that the stored idle timeout and absolute
 * deadline are the ones the touch assumes. When the filter does not match, one {@code find} tells
 * why (gone, a conflict, or another idle timeout), and the save is sent again with what it read. A
 * save never upserts a session that is gone; only a session's first save inserts, and a first save
 * that meets a live session of its id (two racing) merges into it like any later save. The principal has its own
 * index. Expired documents are deleted by {@link #expireDue} (a background sweep on every node;
 * each deletion is guarded by the version read, so exactly one node reports each expiry), and a
 * TTL index reclaims what no sweep did after a grace period, as a safety net.
 *
 * <p>Events are this store's own: a node hears the sessions it created, deleted or found expired,
 * as with the SQL store. Change streams are not used: their delete events name only {@code _id},
 * so telling which session ended, and how, would need pre-images (a second copy written with every
 * save) or a marking write before each delete (docs/strategies.md).
 *
 * <p>Counters: {@code loads}, {@code saves}, {@code deletes}, {@code expired}, {@code
 * saves_read_first} (saves whose first update did not match and that read the document), {@code
 * failures} (calls MongoDB did not answer).
 */
public final class MongoSessionStore
        implements PrincipalIndexedStore, ObservableSessionStore, ReportingStore, ConditionalSaveStore {

    /** MongoDB's codes for a document over 16 MiB: BSONObjectTooLarge, and the same after an update. */
    private static final Set<Integer> DOCUMENT_TOO_LARGE = Set.of(10334, 17419);

    /** A save sent again this many times under concurrent changes gives up with a 503. */
    private static final int MAX_SAVE_ATTEMPTS = 6;

    private static final long UNKNOWN_IDLE = Long.MIN_VALUE;

    private final MongoCollection<Document> sessions;
    private final Optional<MongoClient> ownClient;
    private final Clock clock;
    private final MongoSweep sweep;
    private final SessionListeners listeners = new SessionListeners();
    private final LongAdder loads = new LongAdder();
    private final LongAdder saves = new LongAdder();
    private final LongAdder deletes = new LongAdder();
    private final LongAdder expired = new LongAdder();
    private final LongAdder savesReadFirst = new LongAdder();
    private final LongAdder failures = new LongAdder();

    /**
     * The idle timeout this store last saw on a session: nearly every session of an application
     * has the same, so a touch assumes it (and its filter checks it) instead of reading first.
     */
    private volatile long usualIdleMs = UNKNOWN_IDLE;

    MongoSessionStore(MongoSettings settings) {
        this.sessions = settings.collection();
        this.ownClient = settings.ownClient();
        this.clock = settings.clock();
        this.sweep = new MongoSweep(this, settings);
    }

    /**
     * A store on its own client, from a connection string such as {@code
     * mongodb://user:password@host:27017/app?tls=true}. The database is the URI's, else {@code
     * satchel}.
     */
    public static MongoStoreBuilder builder(String connectionString) {
        return new MongoStoreBuilder(connectionString);
    }

    /**
     * A store on a client the application already has, sharing its pool, TLS settings and
     * monitoring. The store never closes it.
     */
    public static MongoStoreBuilder builder(MongoClient client, String database) {
        return new MongoStoreBuilder(client, database);
    }

    @Override
    public Optional<SessionRecord> load(SessionId id) {
        Objects.requireNonNull(id, "id");
        loads.increment();
        Document read =
                call("a load", () -> sessions.find(Filters.eq(SID, id.value())).first());
        if (read == null) {
            return Optional.empty();
        }
        SessionRecord record = SessionDocuments.toRecord(read);
        if (record.isExpired(clock.instant())) {
            reclaim(read, Optional.of(record));
            return Optional.empty();
        }
        usualIdleMs = record.maxInactiveInterval().toMillis();
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
        saves.increment();
        return changes.created() ? create(changes) : update(changes);
    }

    private SaveOutcome create(ChangeSet changes) {
        usualIdleMs = changes.maxInactiveInterval().orElseThrow().toMillis();
        for (int attempt = 0; attempt < 3; attempt++) {
            long now = clock.millis();
            Optional<UpdateResult> result = write(changes, () -> {
                try {
                    return Optional.of(sessions.updateOne(
                            SessionDocuments.live(changes.id(), now),
                            SessionDocuments.creation(changes),
                            new UpdateOptions().upsert(true)));
                } catch (MongoWriteException e) {
                    if (ErrorCategory.fromErrorCode(e.getCode()) == ErrorCategory.DUPLICATE_KEY) {
                        return Optional.empty(); // an expired document holds the id: clear it, try again
                    }
                    throw e;
                }
            });
            if (result.isPresent() && result.get().getUpsertedId() != null) {
                publish(SessionEvent.Type.CREATED, changes.id(), Optional.empty());
                return SaveOutcome.CREATED;
            }
            if (result.isPresent()) {
                // Another first save of this id won the race: merge into it as into any session. If
                // it ended meanwhile (a logout on the other request), it stays ended: no second CREATED.
                return update(changes);
            }
            Document stale = call("a save", () -> sessions.find(
                            Filters.and(Filters.eq(SID, changes.id().value()), Filters.lte(EXPIRES_AT, new Date(now))))
                    .first());
            if (stale != null) {
                reclaim(stale, readable(stale));
            }
        }
        throw new SessionStoreUnavailableException(
                "session " + changes.id().redacted() + " could not be created: it kept colliding", null);
    }

    private SaveOutcome update(ChangeSet changes) {
        SessionId target = changes.previousId().orElse(changes.id());
        Optional<Document> read = Optional.empty();
        for (int attempt = 0; attempt < MAX_SAVE_ATTEMPTS; attempt++) {
            long now = clock.millis();
            Bson filter;
            Document update;
            // Blind while what a touch assumes is known: this store's usual idle timeout at first,
            // then the one just read, so concurrent touches of one session do not fight over its
            // version. A change set that sets the idle timeout, or a deadline other than the stored
            // one, is written from the document as read, guarded by its version.
            long idle = read.map(d -> ((Number) d.get(IDLE_MS)).longValue()).orElse(usualIdleMs);
            boolean deadlineAsStored = read.map(d -> d.getDate(ABSOLUTE).getTime()
                            == changes.absoluteDeadline().toEpochMilli())
                    .orElse(true);
            Optional<Document> blind =
                    deadlineAsStored && (idle != UNKNOWN_IDLE || !SessionDocuments.dependsOnIdle(changes))
                            ? SessionDocuments.blindUpdate(changes, idle)
                            : Optional.empty();
            if (blind.isPresent()) {
                List<Bson> conditions = new ArrayList<>(SessionDocuments.expectations(changes));
                conditions.add(SessionDocuments.live(target, now));
                if (SessionDocuments.dependsOnIdle(changes)) {
                    conditions.addAll(SessionDocuments.touchAssumes(changes, idle));
                }
                filter = Filters.and(conditions);
                update = blind.get();
            } else if (read.isPresent()) {
                // Live by its times when read; by its expiry field too unless that field is stale
                // (left by an older version), which this write then repairs.
                filter = read.get().getDate(EXPIRES_AT).getTime() > now
                        ? Filters.and(
                                SessionDocuments.unchangedSince(read.get()), Filters.gt(EXPIRES_AT, new Date(now)))
                        : SessionDocuments.unchangedSince(read.get());
                update = SessionDocuments.updateFrom(SessionDocuments.toRecord(read.get()), changes);
            } else {
                filter = null;
                update = null;
            }
            if (filter != null && updateOne(filter, update, changes) == 1) {
                return SaveOutcome.UPDATED;
            }
            // The update did not match, or could not be sent blind: read the document to see why.
            savesReadFirst.increment();
            Document current = call("a save", () -> sessions.find(Filters.eq(SID, target.value()))
                    .first());
            if (current == null) {
                return SaveOutcome.GONE;
            }
            SessionRecord record = SessionDocuments.toRecord(current);
            if (record.isExpired(Instant.ofEpochMilli(now))) {
                reclaim(current, Optional.of(record));
                return SaveOutcome.GONE;
            }
            if (!SessionDocuments.meetsExpectations(current, changes)) {
                return SaveOutcome.CONFLICT;
            }
            usualIdleMs = record.maxInactiveInterval().toMillis();
            read = Optional.of(current);
        }
        throw new SessionStoreUnavailableException(
                "session " + target.redacted() + " kept changing under concurrent saves; nothing was written", null);
    }

    private long updateOne(Bson filter, Document update, ChangeSet changes) {
        return write(changes, () -> {
            try {
                return sessions.updateOne(filter, update).getMatchedCount();
            } catch (MongoWriteException e) {
                if (ErrorCategory.fromErrorCode(e.getCode()) == ErrorCategory.DUPLICATE_KEY) {
                    throw new SessionStoreUnavailableException(
                            "session " + changes.id().redacted() + " could not take its new id: it is taken", e);
                }
                throw e;
            }
        });
    }

    /**
     * Runs one write of a save, naming a session grown past MongoDB's 16 MiB document limit as
     * too large (whether the driver refused to send it or the server to apply it) rather than as
     * an unavailable store.
     */
    private <T> T write(ChangeSet changes, Supplier<T> operation) {
        try {
            return call("a save", operation);
        } catch (SessionStoreUnavailableException e) {
            if (e.getCause() instanceof MongoServerException w && DOCUMENT_TOO_LARGE.contains(w.getCode())) {
                throw tooLarge(changes, w);
            }
            throw e;
        } catch (BSONException e) {
            throw tooLarge(changes, e);
        }
    }

    private static SessionTooLargeException tooLarge(ChangeSet changes, RuntimeException cause) {
        Map<String, Integer> sizes = new LinkedHashMap<>();
        changes.setAttributes().forEach((name, bytes) -> sizes.put(name, bytes.length));
        return new SessionTooLargeException(
                changes.id(),
                "session does not fit in one MongoDB document (16 MiB) with this save; written now",
                sizes,
                cause);
    }

    @Override
    public boolean delete(SessionId id) {
        Objects.requireNonNull(id, "id");
        long deleted = call("a delete", () -> sessions.deleteOne(SessionDocuments.live(id, clock.millis()))
                .getDeletedCount());
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
        List<Document> read = call("a principal lookup", () -> sessions.find(
                        Filters.and(Filters.eq(PRINCIPAL, principal), Filters.gt(EXPIRES_AT, Date.from(now))))
                .into(new ArrayList<>()));
        List<SessionRecord> found = new ArrayList<>(read.size());
        for (Document d : read) {
            SessionRecord record = SessionDocuments.toRecord(d);
            if (!record.isExpired(now)) {
                found.add(record);
            }
        }
        return found;
    }

    /**
     * Deletes the sessions expired now, in bounded batches, reporting each as expired. The
     * background sweep calls it; tests with a fake clock call it directly. Safe on every node at
     * once: each document is deleted only as it was read, so one node reports each expiry.
     *
     * @return the sessions this call deleted
     */
    public int expireDue() {
        return sweep.run();
    }

    /**
     * Sets a document's expiry field to what its times say, exactly as read: a document an older
     * version left with a stale field would otherwise be found by every sweep and deleted by none.
     */
    void repairExpiry(Document read, SessionRecord record) {
        call(
                "an expiry repair",
                () -> sessions.updateOne(
                        SessionDocuments.unchangedSince(read),
                        new Document("$set", new Document(EXPIRES_AT, Date.from(record.expiresAt())))));
    }

    /** Deletes one expired document exactly as read; reports it if this call deleted it. */
    boolean reclaim(Document read, Optional<SessionRecord> record) {
        long deleted = call("an expiry", () -> sessions.deleteOne(SessionDocuments.unchangedSince(read))
                .getDeletedCount());
        if (deleted == 1 && record.isPresent()) {
            expired.increment();
            publish(SessionEvent.Type.EXPIRED, record.get().id(), record);
        }
        return deleted == 1;
    }

    /** The session in a document, or empty for one too damaged to read (deleted all the same). */
    static Optional<SessionRecord> readable(Document read) {
        try {
            return Optional.of(SessionDocuments.toRecord(read));
        } catch (SessionDataException e) {
            return Optional.empty();
        }
    }

    MongoCollection<Document> collection() {
        return sessions;
    }

    Clock clock() {
        return clock;
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
        counters.put("saves_read_first", savesReadFirst.sum());
        counters.put("failures", failures.sum());
        return Collections.unmodifiableMap(counters);
    }

    @Override
    public void close() {
        sweep.close();
        ownClient.ifPresent(MongoClient::close);
    }

    /** Runs one call to MongoDB, turning "it did not answer" into the store's 503 exception. */
    <T> T call(String what, Supplier<T> operation) {
        try {
            return operation.get();
        } catch (MongoException e) {
            failures.increment();
            throw new SessionStoreUnavailableException("MongoDB did not complete " + what + ": " + e.getMessage(), e);
        } catch (IllegalStateException e) {
            // The driver's answer once the client is closed ("state should be: open").
            throw new SessionStoreUnavailableException("the MongoDB store is closed; " + what + " was not run", e);
        }
    }

    private void publish(SessionEvent.Type type, SessionId id, Optional<SessionRecord> last) {
        if (!listeners.isEmpty()) {
            listeners.publish(new SessionEvent(type, id, last));
        }
    }
}
