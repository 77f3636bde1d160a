package dev.satchel.servlet;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStore.SaveOutcome;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session side of one request: finds the session the request names, creates one on demand,
 * and saves the request's changes before the response commits. Confined to the request's thread.
 */
final class RequestSessions {
    private static final Logger LOG = LoggerFactory.getLogger(RequestSessions.class);

    /** A request naming more ids than this (duplicate cookies, say) gets only the first looked up. */
    private static final int MAX_CANDIDATES = 4;

    /** Cookies of one sealed session read at most: beyond this, a request is not ours to open. */
    private static final int MAX_CHUNKS = 10;

    private final SessionFilterRuntime runtime;
    private final SessionStore store;
    private final Optional<SealedRequestStore> sealed;
    private int chunksReceived;
    private final HttpServletRequest request;
    private final HttpServletResponse response;
    private boolean resolved;
    private RequestedId firstWellFormed;
    private RequestedId matched;
    private SatchelHttpSession session;
    private boolean tokenDirty;
    private boolean expireToken;
    private boolean beforeCommitDone;

    RequestSessions(SessionFilterRuntime runtime, HttpServletRequest request, HttpServletResponse response) {
        this.runtime = runtime;
        this.request = request;
        this.response = response;
        this.sealed = runtime.sealer()
                .map(s -> new SealedRequestStore(s, runtime.options().clock()));
        this.store = sealed.isPresent() ? sealed.get() : runtime.store();
    }

    SatchelHttpSession getSession(boolean create) {
        if (session == null && !resolved) {
            resolve();
        }
        if (session != null && !session.isInvalid()) {
            return session;
        }
        if (!create) {
            return null;
        }
        if (response.isCommitted()) {
            throw new IllegalStateException("cannot create a session after the response has been committed");
        }
        runtime.options().newSessionThrottle().ifPresent(t -> t.admit(request));
        session = SatchelHttpSession.created(
                this, runtime, runtime.options().clock().instant());
        tokenDirty = true;
        runtime.events().created(session);
        changed();
        return session;
    }

    String changeSessionId() {
        SatchelHttpSession current = getSession(false);
        if (current == null) {
            throw new IllegalStateException("there is no session whose id could change");
        }
        String oldId = current.getId();
        current.changeId(SessionId.random());
        tokenDirty = true;
        if (beforeCommitDone) {
            LOG.warn("session id changed after the response was committed; the client keeps the old id");
        }
        runtime.events().idChanged(current, oldId);
        changed();
        return current.getId();
    }

    void invalidate(SatchelHttpSession target) {
        runtime.events().destroyed(target);
        target.markInvalid();
        if (target.isStored()) {
            // Immediately, whatever the flush mode: a logout must be final before the response says so.
            store.save(target.invalidation());
        }
        expireToken = matched != null;
        tokenDirty = false;
    }

    /** Called after every change; saves at once in {@link FlushMode#IMMEDIATE}. */
    void changed() {
        if (runtime.options().flushMode() == FlushMode.IMMEDIATE && session != null && !session.isInvalid()) {
            save();
        }
    }

    Optional<String> requestedSessionId() {
        if (!resolved) {
            resolve();
        }
        return Optional.ofNullable(firstWellFormed)
                .map(r -> SessionId.parse(r.token()).orElseThrow().value());
    }

    boolean isRequestedSessionIdValid() {
        if (!resolved) {
            resolve();
        }
        return matched != null && session != null && !session.isInvalid() && session.isStored();
    }

    boolean isRequestedSessionIdFrom(IdSource source) {
        if (!resolved) {
            resolve();
        }
        return firstWellFormed != null && firstWellFormed.source() == source;
    }

    /** Appends the id to a URL when URL rewriting is on and the client did not send a cookie. */
    String encodeUrl(String url) {
        Optional<UrlSessionIdResolver> rewriting = runtime.options().urlRewriting();
        if (rewriting.isEmpty() || url == null || isRequestedSessionIdFrom(IdSource.COOKIE)) {
            return url;
        }
        SatchelHttpSession current = getSession(false);
        return current == null ? url : rewriting.get().encode(url, token(current));
    }

    /** Saves and hands out the id; runs once, just before the response commits. */
    void beforeCommit() {
        beforeCommit(false);
    }

    private void beforeCommit(boolean last) {
        if (beforeCommitDone) {
            return;
        }
        beforeCommitDone = true;
        save(last);
        if (sealed.isPresent()) {
            writeSealed();
            return;
        }
        boolean live = session != null && !session.isInvalid();
        if (live && tokenDirty) {
            runtime.options().idResolver().write(request, response, token(session));
        } else if (expireToken) {
            runtime.options().idResolver().expire(request, response);
        }
    }

    /** At the end of the request: everything not yet saved is saved now. */
    void finish() {
        if (!beforeCommitDone) {
            beforeCommit(true);
        } else {
            save(true);
            if (sealed.isPresent() && sealed.get().toSeal().isPresent()) {
                LOG.warn("session changed after the response was committed; its sealed cookie cannot carry the change");
            }
        }
    }

    /** Seals the session back into the response's cookies, or clears them when it ended. */
    private void writeSealed() {
        SealedRequestStore s = sealed.orElseThrow();
        CookieSessionIdResolver cookies =
                (CookieSessionIdResolver) runtime.options().idResolver();
        int written = 0;
        Optional<SessionRecord> record = s.toSeal();
        if (record.isPresent()) {
            List<String> values = runtime.sealer().orElseThrow().seal(record.get());
            for (String value : values) {
                cookies.chunk(written++).write(request, response, value);
            }
            s.sealed();
        } else if (!s.ended()) {
            return; // unchanged: the client's cookies stay as they are
        }
        for (int i = written; i < chunksReceived; i++) {
            cookies.chunk(i).expire(request, response); // chunks the session no longer needs
        }
    }

    private void resolveSealed() {
        CookieSessionIdResolver cookies =
                (CookieSessionIdResolver) runtime.options().idResolver();
        List<String> values = new ArrayList<>();
        for (int i = 0; i < MAX_CHUNKS; i++) {
            List<RequestedId> chunk = cookies.chunk(i).resolve(request);
            if (chunk.isEmpty()) {
                break;
            }
            values.add(chunk.get(0).token());
        }
        chunksReceived = values.size();
        if (values.isEmpty()) {
            return;
        }
        Optional<SessionRecord> record = runtime.sealer().orElseThrow().open(values);
        Instant now = runtime.options().clock().instant();
        if (record.isPresent() && !record.get().isExpired(now)) {
            sealed.orElseThrow().opened(record.get());
            matched = new RequestedId(record.get().id().value(), IdSource.COOKIE);
            firstWellFormed = matched;
            session = SatchelHttpSession.loaded(this, runtime, record.get(), now);
        }
    }

    private void save() {
        save(false);
    }

    private void save(boolean last) {
        if (session == null || session.isInvalid()) {
            return;
        }
        ChangeSet changes = session.changes(runtime.options().clock().instant());
        if (changes.isEmpty()) {
            return;
        }
        SaveOutcome outcome = store.save(changes);
        if (outcome == SaveOutcome.GONE) {
            LOG.debug("{} ended in another request before this one saved; changes dropped", session.id());
        }
        session.saved(changes, last);
    }

    private void resolve() {
        resolved = true;
        if (sealed.isPresent()) {
            resolveSealed();
            return;
        }
        List<RequestedId> candidates = runtime.options().idResolver().resolve(request);
        if (runtime.options().urlRewriting().isPresent()) {
            List<RequestedId> all = new ArrayList<>(candidates);
            all.addAll(runtime.options().urlRewriting().get().resolve(request));
            candidates = all;
        }
        int lookedUp = 0;
        for (RequestedId candidate : candidates) {
            Optional<SessionId> id = SessionId.parse(candidate.token());
            if (id.isEmpty()) {
                continue;
            }
            if (firstWellFormed == null) {
                firstWellFormed = candidate;
            }
            if (++lookedUp > MAX_CANDIDATES) {
                break;
            }
            Optional<SessionRecord> record = store.load(id.get());
            if (record.isPresent()) {
                Instant now = runtime.options().clock().instant();
                matched = candidate;
                session = SatchelHttpSession.loaded(this, runtime, record.get(), now);
                // A request that reached another node than the id names re-pins the client here.
                Optional<String> route = runtime.options().route();
                tokenDirty = route.isPresent() && !route.equals(SessionId.routeOf(candidate.token()));
                return;
            }
        }
        // Strict: an id we do not hold is never adopted; getSession(true) issues a fresh one.
    }

    private String token(SatchelHttpSession s) {
        return runtime.options().route().map(s.id()::withRoute).orElse(s.id().value());
    }
}
