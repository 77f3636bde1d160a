package dev.satchel.store.mongodb;

import com.mongodb.client.model.Filters;
import dev.satchel.core.ChangeSet;
import dev.satchel.core.ExpectedValue;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionDataException;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.types.Binary;

/**
 * How a session is laid out as one document, and the filters and update documents that read and
 * change it. Pure functions of their arguments; {@link MongoSessionStore} runs them.
 *
 * <p>{@code {_id: ObjectId, sid, created, absolute, lastAccess, idleMs, expiresAt, principal?,
 * version, attrs: {name: BinData}}}. The public id is a field with a unique index, not {@code _id},
 * so a login's id change is one update of one document. {@code expiresAt} is always the earlier of
 * {@code lastAccess + idleMs} and {@code absolute}: every write keeps it so, which is what lets a
 * touch be a {@code $max} rather than a read and a write, and the liveness check one range test.
 */
final class SessionDocuments {

    static final String ID = "_id";
    static final String SID = "sid";
    static final String CREATED = "created";
    static final String ABSOLUTE = "absolute";
    static final String LAST_ACCESS = "lastAccess";
    static final String IDLE_MS = "idleMs";
    static final String EXPIRES_AT = "expiresAt";
    static final String PRINCIPAL = "principal";
    static final String VERSION = "version";
    static final String ATTRS = "attrs";

    private SessionDocuments() {}

    /** The live session with this public id, at {@code nowMillis}. */
    static Bson live(SessionId id, long nowMillis) {
        return Filters.and(Filters.eq(SID, id.value()), Filters.gt(EXPIRES_AT, new Date(nowMillis)));
    }

    /** The exact version of a document read before: nothing else may have written it since. */
    static Bson unchangedSince(Document read) {
        return Filters.and(Filters.eq(ID, read.get(ID)), Filters.eq(VERSION, read.get(VERSION)));
    }

    /** The change set's expectations as a filter: each attribute holds exactly the expected bytes. */
    static List<Bson> expectations(ChangeSet changes) {
        List<Bson> filters = new ArrayList<>(changes.expectations().size());
        for (Map.Entry<String, ExpectedValue> e : changes.expectations().entrySet()) {
            String field = attributeField(e.getKey());
            Optional<byte[]> bytes = e.getValue().bytes();
            filters.add(bytes.isPresent() ? Filters.eq(field, new Binary(bytes.get())) : Filters.exists(field, false));
        }
        return filters;
    }

    /** Whether a document read back holds what the change set expects. */
    static boolean meetsExpectations(Document read, ChangeSet changes) {
        Document attrs = read.get(ATTRS, Document.class);
        for (Map.Entry<String, ExpectedValue> e : changes.expectations().entrySet()) {
            Object stored = attrs == null ? null : attrs.get(escape(e.getKey()));
            Optional<byte[]> bytes = stored instanceof Binary b ? Optional.of(b.getData()) : Optional.empty();
            if (!e.getValue().matches(bytes)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The update of a session's first save, applied with upsert to the live session of its id: it
     * inserts the whole document, and changes nothing when a live one is there (two first saves
     * racing), so the caller can merge into that one as into any session, by its version.
     */
    static Document creation(ChangeSet changes) {
        long idle = changes.maxInactiveInterval().orElseThrow().toMillis();
        long accessed = changes.accessedAt().orElse(changes.createdAt()).toEpochMilli();
        long absolute = changes.absoluteDeadline().toEpochMilli();
        Document attrs = new Document();
        changes.setAttributes().forEach((name, bytes) -> attrs.append(escape(name), new Binary(bytes)));
        Document inserted = new Document(CREATED, new Date(changes.createdAt().toEpochMilli()))
                .append(ABSOLUTE, new Date(absolute))
                .append(LAST_ACCESS, new Date(accessed))
                .append(IDLE_MS, idle)
                .append(EXPIRES_AT, new Date(expiry(accessed, idle, absolute)))
                .append(VERSION, 1L)
                .append(ATTRS, attrs);
        changes.principal().flatMap(PrincipalChange::name).ifPresent(name -> inserted.append(PRINCIPAL, name));
        return new Document("$setOnInsert", inserted);
    }

    /**
     * The update of a later save, sent blind: a touch moves last access and expiry forward with
     * {@code $max}, which is right only while the stored idle timeout is {@code idleMs} and the
     * stored absolute deadline the change set's, so the caller adds both to the filter ({@link
     * #touchAssumes}). Empty when the change set needs the stored state first (it
     * changes the idle timeout).
     */
    static Optional<Document> blindUpdate(ChangeSet changes, long idleMs) {
        if (changes.maxInactiveInterval().isPresent()) {
            return Optional.empty();
        }
        Document set = attributeSets(changes);
        changes.previousId().ifPresent(old -> set.append(SID, changes.id().value()));
        principalSet(changes, set);
        Document update = new Document();
        if (!set.isEmpty()) {
            update.append("$set", set);
        }
        changes.accessedAt().ifPresent(at -> {
            long accessed = at.toEpochMilli();
            long absolute = changes.absoluteDeadline().toEpochMilli();
            update.append(
                    "$max",
                    new Document(LAST_ACCESS, new Date(accessed))
                            .append(EXPIRES_AT, new Date(expiry(accessed, idleMs, absolute))));
        });
        update.append("$inc", new Document(VERSION, 1L));
        appendUnsets(changes, update);
        return Optional.of(update);
    }

    /** Whether a blind update needs to know the stored idle timeout (its filter must say it). */
    static boolean dependsOnIdle(ChangeSet changes) {
        return changes.accessedAt().isPresent();
    }

    /** What a blind touch computed its expiry from, as a filter: the idle timeout and deadline. */
    static List<Bson> touchAssumes(ChangeSet changes, long idleMs) {
        return List.of(
                Filters.eq(IDLE_MS, idleMs),
                Filters.eq(ABSOLUTE, new Date(changes.absoluteDeadline().toEpochMilli())));
    }

    /**
     * The update of a later save computed from the document as read: every time field set outright.
     * The caller guards it with {@link #unchangedSince}.
     */
    static Document updateFrom(SessionRecord read, ChangeSet changes) {
        SessionRecord next = read.apply(changes);
        Document set = attributeSets(changes)
                .append(SID, next.id().value())
                .append(LAST_ACCESS, new Date(next.lastAccessedAt().toEpochMilli()))
                .append(IDLE_MS, next.maxInactiveInterval().toMillis())
                .append(EXPIRES_AT, new Date(next.expiresAt().toEpochMilli()));
        principalSet(changes, set);
        Document update = new Document("$set", set).append("$inc", new Document(VERSION, 1L));
        appendUnsets(changes, update);
        return update;
    }

    /** The session a document holds. */
    static SessionRecord toRecord(Document d) {
        String sid = d.getString(SID);
        SessionId id = SessionId.parse(sid == null ? "" : sid)
                .orElseThrow(() -> new SessionDataException("malformed session id in MongoDB", null));
        try {
            Map<String, byte[]> attributes = new HashMap<>();
            Document attrs = d.get(ATTRS, Document.class);
            if (attrs != null) {
                for (Map.Entry<String, Object> e : attrs.entrySet()) {
                    attributes.put(unescape(e.getKey()), ((Binary) e.getValue()).getData());
                }
            }
            return new SessionRecord(
                    id,
                    d.getDate(CREATED).toInstant(),
                    d.getDate(LAST_ACCESS).toInstant(),
                    Duration.ofMillis(((Number) d.get(IDLE_MS)).longValue()),
                    d.getDate(ABSOLUTE).toInstant(),
                    attributes,
                    Optional.ofNullable(d.getString(PRINCIPAL)),
                    ((Number) d.get(VERSION)).longValue());
        } catch (RuntimeException e) {
            throw new SessionDataException(id, "unreadable session document", e);
        }
    }

    /** The earlier of idle and absolute expiry; no idle expiry when {@code idleMs} is not positive. */
    static long expiry(long lastAccessMillis, long idleMs, long absoluteMillis) {
        return idleMs > 0 ? Math.min(lastAccessMillis + idleMs, absoluteMillis) : absoluteMillis;
    }

    static long expiry(Instant lastAccess, Duration idle, Instant absolute) {
        return expiry(lastAccess.toEpochMilli(), idle.toMillis(), absolute.toEpochMilli());
    }

    /** The field path of an attribute. */
    static String attributeField(String name) {
        return ATTRS + "." + escape(name);
    }

    /**
     * A field name for any attribute name: {@code .} would make a path and {@code $} an operator,
     * so they and {@code %} itself are written as {@code %2E}, {@code %24}, {@code %25} (and NUL
     * as {@code %00}); the empty name as a lone {@code %}, which no escaped name can be.
     */
    static String escape(String name) {
        if (name.isEmpty()) {
            return "%";
        }
        StringBuilder out = null;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            String replacement =
                    switch (c) {
                        case '.' -> "%2E";
                        case '$' -> "%24";
                        case '%' -> "%25";
                        case '\0' -> "%00";
                        default -> null;
                    };
            if (replacement != null && out == null) {
                out = new StringBuilder(name.length() + 8).append(name, 0, i);
            }
            if (out != null) {
                if (replacement != null) {
                    out.append(replacement);
                } else {
                    out.append(c);
                }
            }
        }
        return out == null ? name : out.toString();
    }

    static String unescape(String field) {
        if (field.equals("%")) {
            return "";
        }
        if (field.indexOf('%') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '%' && i + 2 < field.length()) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static Document attributeSets(ChangeSet changes) {
        Document set = new Document();
        changes.setAttributes().forEach((name, bytes) -> set.append(attributeField(name), new Binary(bytes)));
        return set;
    }

    private static void principalSet(ChangeSet changes, Document set) {
        changes.principal().flatMap(PrincipalChange::name).ifPresent(name -> set.append(PRINCIPAL, name));
    }

    private static void appendUnsets(ChangeSet changes, Document update) {
        Document unset = new Document();
        changes.removedAttributes().forEach(name -> unset.append(attributeField(name), ""));
        if (changes.principal().isPresent() && changes.principal().get().name().isEmpty()) {
            unset.append(PRINCIPAL, "");
        }
        if (!unset.isEmpty()) {
            update.append("$unset", unset);
        }
    }
}
