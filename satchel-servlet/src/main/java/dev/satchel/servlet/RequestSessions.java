package dev.satchel.servlet;

import dev.satchel.core.AttributeEncodingException;
import dev.satchel.core.ChangeSet;
import dev.satchel.core.ConditionalSaveStore;
import dev.satchel.core.ExpectedValue;
import dev.satchel.core.SessionDataException;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStore.SaveOutcome;
import dev.satchel.core.codec.AttributeCodec;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session side of one request: finds the session the request names, creates one on demand,
 * and saves the request's changes before the response commits. Used by one thread at a time: the
 * request's, then, for an asynchronous request, whichever thread carries it on; the container and
 * the application's hand-over of the work order those.
 *
 * <p>One file, over 500 lines: finding, creating, renaming, updating and saving a request's session
 * share one state (the session, its token, what was saved), and splitting it would pass that
 * state between classes on every step.
 *
 * <p>One instance serves the request's whole life, including an error page the container runs
 * after the filter returned, and the passes of an asynchronous request, so each sees the same
 * session.
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
    /** The container's response; an error dispatch may bring another object for the same exchange. */
    private HttpServletResponse response;

    private boolean resolved;
    private RequestedId firstWellFormed;
    private RequestedId matched;
    private SatchelHttpSession session;
    private boolean tokenDirty;
    private boolean expireToken;
    /** Something may need saving or handing out since the last checkpoint. */
    private boolean pending = true;
    /** Inside a forward or include, where the container may finish the response behind our back. */
    private int dispatchDepth;

    private volatile boolean inFilter;
    /** An asynchronous dispatch was asked for and no pass through the filter has begun since. */
    private volatile boolean dispatchedPastTheFilter;
    /** A change was saved only after an asynchronous request completed, which is said once. */
    private static final java.util.concurrent.atomic.AtomicBoolean LATE_SAVE_TOLD =
            new java.util.concurrent.atomic.AtomicBoolean();
    /** Inside an update's function: a nested update would be stored once per outer attempt. */
    private boolean updating;

    private boolean errorSent;

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
        runtime.options().metrics().created();
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
        if (response.isCommitted()) {
            LOG.warn("session id changed after the response was committed; the client keeps the old id");
        }
        runtime.events().idChanged(current, oldId);
        changed();
        return current.getId();
    }

    void invalidate(SatchelHttpSession target) {
        if (target.isStored()) {
            runtime.options().metrics().invalidated(); // one never stored ended nowhere
        }
        runtime.events().destroyed(target);
        target.unbindAll();
        target.markInvalid();
        if (target.isStored()) {
            // Immediately, whatever the flush mode: a logout must be final before the response says so.
            timedSave(target.invalidation());
        }
        expireToken = matched != null;
        tokenDirty = false;
        pending = true;
        if (dispatchDepth > 0) {
            handOut();
        }
    }

    /**
     * Called after every change; saves at once in {@link FlushMode#IMMEDIATE}, and inside a forward
     * or include, where Tomcat may finish the response without passing through the filter's wrapper.
     */
    void changed() {
        pending = true;
        boolean eager = runtime.options().flushMode() == FlushMode.IMMEDIATE || dispatchDepth > 0;
        if (eager && session != null && !session.isInvalid()) {
            save();
        }
        if (dispatchDepth > 0) {
            handOut();
        }
    }

    /** Entering a forward or include: everything so far is saved and its id handed out first. */
    void enterDispatch() {
        checkpoint();
        dispatchDepth++;
    }

    void leaveDispatch() {
        dispatchDepth--;
    }

    /** The filter runs the chain; between two runs (before an error page) the instance is idle. */
    void enterFilter(HttpServletResponse current) {
        response = current;
        inFilter = true;
        dispatchedPastTheFilter = false;
    }

    void leaveFilter() {
        inFilter = false;
    }

    boolean inFilter() {
        return inFilter;
    }

    /** The application called sendError: an error page may follow, so the request is not over. */
    void errorSent() {
        errorSent = true;
    }

    /** The id the request names: the one that matched a session, else the first well-formed one. */
    Optional<String> requestedSessionId() {
        return requested().map(r -> SessionId.parse(r.token()).orElseThrow().value());
    }

    /** True while the session the request named is still this request's session, under that id. */
    boolean isRequestedSessionIdValid() {
        if (!resolved) {
            resolve();
        }
        return matched != null
                && session != null
                && !session.isInvalid()
                && session.isStored()
                && session.getId()
                        .equals(SessionId.parse(matched.token()).orElseThrow().value());
    }

    boolean isRequestedSessionIdFrom(IdSource source) {
        return requested().filter(r -> r.source() == source).isPresent();
    }

    private Optional<RequestedId> requested() {
        if (!resolved) {
            resolve();
        }
        return Optional.ofNullable(matched != null ? matched : firstWellFormed);
    }

    /** Appends the id to a URL when URL rewriting is on and the client did not send a cookie. */
    String encodeUrl(String url) {
        Optional<UrlSessionIdResolver> rewriting = runtime.options().urlRewriting();
        if (rewriting.isEmpty()
                || url == null
                || isRequestedSessionIdFrom(IdSource.COOKIE)
                || !rewriting.get().isInContext(request, url)) {
            return url;
        }
        SatchelHttpSession current = getSession(false);
        return current == null ? url : rewriting.get().encode(url, token(current));
    }

    /** Saves and hands out the id, just before the response commits; a no-op when nothing changed since. */
    void beforeCommit() {
        if (pending) {
            checkpoint();
        }
    }

    /** Saves what changed so far and hands out the id while the response can still carry it. */
    void checkpoint() {
        pending = false;
        save(false);
        handOut();
    }

    /** At the end of a pass through the filter: everything not yet saved is saved now. */
    void finish() {
        // After sendError an error page may still use the session, so the base must stay current.
        end(!errorSent);
    }

    /** The application completes an asynchronous request: its changes are saved while the response can carry the id. */
    void beforeAsyncComplete() {
        end(true);
    }

    /**
     * An asynchronous request completed: what no pass through the filter saved (it was not mapped
     * for {@code ASYNC} dispatches) is saved now, late, after the response: the next request may
     * not see it yet, and a session created there never reached the client.
     */
    void afterAsyncComplete() {
        boolean saved = save(true);
        if (saved && dispatchedPastTheFilter && LATE_SAVE_TOLD.compareAndSet(false, true)) {
            LOG.warn("a session changed in an asynchronous dispatch was saved only after the response; map"
                    + " SatchelFilter for ASYNC dispatches too (said once)");
        } else if (saved) {
            LOG.debug("session changes of an asynchronous request that ended without complete() saved at its end");
        }
    }

    /** The application dispatched an asynchronous request back; the filter clears this if it sees the pass. */
    void asyncDispatched() {
        dispatchedPastTheFilter = true;
    }

    /** After the application failed: its changes are kept, and an error page may follow. */
    void finishAfterFailure() {
        end(false);
    }

    private void end(boolean last) {
        pending = false;
        boolean committed = response.isCommitted();
        save(last);
        if (!committed) {
            handOut();
        } else if (sealed.isPresent() && sealed.get().toSeal().isPresent()) {
            LOG.warn("session changed after the response was committed; its sealed cookie cannot carry the change");
        }
    }

    /** Writes the session's id (or its end) to the response, once per change of the id. */
    private void handOut() {
        if (response.isCommitted()) {
            return;
        }
        if (sealed.isPresent()) {
            writeSealed();
            return;
        }
        boolean live = session != null && !session.isInvalid();
        if (live && tokenDirty) {
            runtime.options().idResolver().write(request, response, token(session));
            tokenDirty = false;
            expireToken = false;
        } else if (expireToken) {
            runtime.options().idResolver().expire(request, response);
            expireToken = false;
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

    /** Attempts of one atomic update before it gives up with a conflict. */
    static final int UPDATE_ATTEMPTS = 8;

    /**
     * An atomic update of one attribute (see {@link SatchelSessions#update}): read it from the
     * store, apply {@code change}, and write the result only if nobody changed the attribute in
     * between; else read again and re-apply, up to {@link #UPDATE_ATTEMPTS} times.
     */
    <T> T update(SatchelHttpSession target, String name, Class<T> type, Function<Optional<T>, T> change) {
        target.checkUpdatable();
        if (SatchelSessions.PRINCIPAL_ATTRIBUTE.equals(name)) {
            throw new IllegalArgumentException("the principal is set with setAttribute, not updated");
        }
        if (target != session) {
            throw new IllegalStateException("this session belongs to another request");
        }
        // Refused even for a session this request created, where it would work once: the next
        // request would be refused, and an application must learn that on its first try.
        if (sealed.isPresent() || !(store instanceof ConditionalSaveStore)) {
            throw new UnsupportedOperationException(
                    sealed.isPresent()
                            ? "atomic updates need a store that decides them in one place; with sealed cookies each"
                                    + " request carries its own copy of the session, so use setAttribute"
                            : store.getClass().getSimpleName() + " cannot make conditional saves; use setAttribute");
        }
        if (updating) {
            // Each attempt of the outer update would store the inner one again.
            throw new IllegalStateException("an update function must not update the session itself");
        }
        updating = true;
        try {
            return updateInStore(target, name, type, change);
        } finally {
            updating = false;
        }
    }

    private <T> T updateInStore(
            SatchelHttpSession target, String name, Class<T> type, Function<Optional<T>, T> change) {
        if (!target.isStored()) {
            return target.updateLocally(name, type, change);
        }
        // What this request changed so far (a new id after a login, say) is saved first, so the
        // update starts from it; a mere read of the attribute is not written back, it is stale.
        target.forgetRead(name);
        save();
        AttributeCodec codec = runtime.options().codec();
        for (int attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt++) {
            Optional<SessionRecord> stored = timedLoad(target.id());
            if (stored.isEmpty()) {
                return gone(target);
            }
            byte[] held = stored.get().attributes().get(name);
            Optional<T> current = held == null ? Optional.empty() : decode(codec, name, held, type);
            T next = Objects.requireNonNull(change.apply(current), "the update function returned null");
            byte[] encoded;
            try {
                encoded = codec.encode(name, next);
            } catch (AttributeEncodingException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            ChangeSet update = ChangeSet.builder(
                            target.id(), stored.get().createdAt(), stored.get().absoluteDeadline())
                    .set(name, encoded)
                    .expect(name, ExpectedValue.of(Optional.ofNullable(held)))
                    .accessedAt(runtime.options().clock().instant())
                    .build();
            SaveOutcome outcome = timedSave(update);
            if (outcome == SaveOutcome.UPDATED) {
                runtime.updates().applied();
                target.updated(name, next, encoded, current);
                return next;
            }
            if (outcome != SaveOutcome.CONFLICT) {
                return gone(target);
            }
            if (attempt < UPDATE_ATTEMPTS) {
                runtime.updates().retried(name);
                pause(attempt);
            }
        }
        runtime.updates().gaveUp(name);
        throw new AttributeUpdateConflictException(name, UPDATE_ATTEMPTS);
    }

    /**
     * A value that no longer decodes (a class changed in a deploy) is updated as if absent, as
     * getAttribute drops it, rather than failing every update of it; the expectation still names
     * the stored bytes, so a concurrent change is still caught.
     */
    private static <T> Optional<T> decode(AttributeCodec codec, String name, byte[] held, Class<T> type) {
        Object value;
        try {
            value = codec.decode(name, held);
        } catch (SessionDataException e) {
            LOG.warn("replacing undecodable attribute '{}' in an update: {}", name, e.getMessage());
            return Optional.empty();
        }
        return Optional.of(SatchelHttpSession.cast(name, value, type));
    }

    private static <T> T gone(SatchelHttpSession target) {
        target.markInvalid();
        throw new SessionEndedException(target.id());
    }

    /** A short random pause, longer with each attempt, so racing requests stop meeting in step. */
    private static void pause(int attempt) {
        long micros = java.util.concurrent.ThreadLocalRandom.current().nextLong(100L << Math.min(attempt, 6));
        try {
            Thread.sleep(micros / 1000, (int) (micros % 1000) * 1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Optional<SessionRecord> timedLoad(SessionId id) {
        return timed(SessionMetrics.StoreCall.LOAD, () -> store.load(id));
    }

    private SaveOutcome timedSave(ChangeSet changes) {
        return timed(SessionMetrics.StoreCall.SAVE, () -> store.save(changes));
    }

    /** Runs one call to the store and reports its time, and whether it threw, to the metrics. */
    private <T> T timed(SessionMetrics.StoreCall call, java.util.function.Supplier<T> storeCall) {
        long start = System.nanoTime();
        boolean failed = true;
        try {
            T result = storeCall.get();
            failed = false;
            return result;
        } finally {
            runtime.options().metrics().storeCall(call, System.nanoTime() - start, failed);
        }
    }

    /** Saves what changed since the last save; returns whether there was anything. */
    private boolean save(boolean last) {
        if (session == null || session.isInvalid()) {
            return false;
        }
        ChangeSet changes = session.changes(runtime.options().clock().instant());
        if (changes.isEmpty()) {
            return false;
        }
        SaveOutcome outcome = timedSave(changes);
        if (outcome == SaveOutcome.GONE) {
            LOG.debug("{} ended in another request before this one saved; changes dropped", session.id());
        }
        session.saved(changes, last);
        return true;
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
            Optional<SessionRecord> record = timedLoad(id.get());
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
