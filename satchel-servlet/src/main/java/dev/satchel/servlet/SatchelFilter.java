package dev.satchel.servlet;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.ObservableSessionStore;
import dev.satchel.core.SessionEvent;
import dev.satchel.core.SessionException;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionLimitException;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionSealer;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.SessionTooLargeException;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives a web application a distributed {@link jakarta.servlet.http.HttpSession}, backed by any
 * {@link SessionStore}, in any Servlet 6 container.
 *
 * <p>Map it first, on every path that uses sessions. The application keeps calling {@code
 * request.getSession()}; the session it gets is loaded from the store on first use and its changes
 * are saved as one change set before the response is committed. When the store cannot answer, the
 * request ends with 503 and a JSON reason rather than hanging or leaking a stack trace.
 *
 * <p>Map it for the {@code REQUEST}, {@code ASYNC} and {@code ERROR} dispatcher types, with async
 * supported: an error page then sees the request's session, and an asynchronous request's dispatch
 * back into the application saves as a request does. Mapped for {@code FORWARD} and {@code
 * INCLUDE} as well, it also follows dispatches through the {@code ServletContext}, not only through
 * the request. Changes made before an exception are kept, as the containers keep them.
 *
 * <p>An asynchronous request ({@code startAsync}) keeps its session until it completes, on
 * whichever thread completes it: {@code complete()} saves before the response commits, and so do
 * the response's flushes and a full buffer, as for any request.
 *
 * <p>Session listeners are registered through {@link SessionOptions.Builder#listener}, not with the
 * container, since the container never sees these sessions.
 *
 * <p>Thread-safe; one instance serves every request.
 */
public final class SatchelFilter implements Filter {
    private static final Logger LOG = LoggerFactory.getLogger(SatchelFilter.class);
    private static final String SESSIONS = SatchelFilter.class.getName() + ".sessions";

    private final SessionStore store;
    private final Optional<SessionSealer> sealer;
    private final SessionOptions options;
    private volatile SessionFilterRuntime runtime;
    private volatile Optional<AutoCloseable> subscription = Optional.empty();

    /** Creates a filter over {@code store} with the given options. */
    public SatchelFilter(SessionStore store, SessionOptions options) {
        this(Objects.requireNonNull(store, "store"), Optional.empty(), options);
    }

    private SatchelFilter(SessionStore store, Optional<SessionSealer> sealer, SessionOptions options) {
        this.store = store;
        this.sealer = sealer;
        this.options = Objects.requireNonNull(options, "options");
        if (sealer.isPresent() && !(options.idResolver() instanceof CookieSessionIdResolver)) {
            throw new IllegalArgumentException("sealed sessions travel in cookies: use a CookieSessionIdResolver");
        }
        this.runtime = new SessionFilterRuntime(
                store, sealer, options, new ServletListeners(options.listeners()), null, new UpdateCounters());
    }

    /**
     * Creates a filter whose sessions the client keeps, sealed in its cookies by {@code sealer},
     * with no server store. The id resolver of {@code options} must be a cookie resolver; its
     * cookie carries the sealed session (and {@code <name>_1}, ... when it takes several).
     */
    public static SatchelFilter sealed(SessionSealer sealer, SessionOptions options) {
        return new SatchelFilter(new NoStore(), Optional.of(Objects.requireNonNull(sealer, "sealer")), options);
    }

    /** Creates a filter over {@code store} with the default options. */
    public SatchelFilter(SessionStore store) {
        this(store, SessionOptions.defaults());
    }

    @Override
    public void init(FilterConfig config) {
        SessionFilterRuntime r = new SessionFilterRuntime(
                store, sealer, options, runtime.events(), config.getServletContext(), runtime.updates());
        runtime = r;
        config.getServletContext().setAttribute(SatchelSessions.ATTRIBUTE, new SatchelSessions(r));
        boolean counting = options.metrics() != SessionMetrics.none();
        if (store instanceof ObservableSessionStore observable && (r.events().wantsDestroyed() || counting)) {
            // Sessions that expire were never invalidated by a request; the store tells us instead.
            subscription = Optional.of(observable.subscribe(event -> {
                if (event.type() == SessionEvent.Type.EXPIRED) {
                    options.metrics().expired();
                    if (r.events().wantsDestroyed()) {
                        event.lastState().ifPresent(last -> SatchelHttpSession.detached(r, last)
                                .ended());
                    }
                }
            }));
        } else if (r.events().wantsDestroyed() && sealer.isEmpty()) {
            LOG.warn(
                    "{} reports no expiries: sessionDestroyed fires for invalidated sessions only, not for"
                            + " expired ones",
                    store.getClass().getSimpleName());
        }
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        if (!(req instanceof HttpServletRequest request) || !(res instanceof HttpServletResponse response)) {
            chain.doFilter(req, res);
            return;
        }
        RequestSessions sessions;
        if (req.getAttribute(SESSIONS) instanceof RequestSessions earlier) {
            DispatcherType type = req.getDispatcherType();
            if (earlier.inFilter() && (type == DispatcherType.FORWARD || type == DispatcherType.INCLUDE)) {
                // Mapped for these too, the filter also sees forwards through the ServletContext's
                // dispatchers, which the request wrapper cannot follow.
                earlier.enterDispatch();
                try {
                    chain.doFilter(req, res);
                } finally {
                    earlier.leaveDispatch();
                }
                return;
            }
            // An error page the container runs after the filter returned, and an asynchronous
            // request's dispatch back into the application, get the request's session.
            if (earlier.inFilter() || type != DispatcherType.ERROR && type != DispatcherType.ASYNC) {
                chain.doFilter(req, res);
                return;
            }
            sessions = earlier;
        } else {
            sessions = new RequestSessions(runtime, request, response);
            request.setAttribute(SESSIONS, sessions);
        }
        sessions.enterFilter(response);
        boolean chainReturned = false;
        try {
            SessionResponse wrapped = new SessionResponse(response, sessions);
            chain.doFilter(new SessionRequest(request, sessions, wrapped), wrapped);
            chainReturned = true;
            if (!request.isAsyncStarted()) {
                sessions.finish();
            } // else the request goes on: saved when it completes, or at the end of its ASYNC dispatch
        } catch (IOException | ServletException | RuntimeException e) {
            Optional<SessionException> cause = sessionFailure(e);
            if (cause.isPresent() && !response.isCommitted()) {
                options.metrics().refused(refusalOf(cause.get()));
                refuse(response, cause.get());
                return;
            }
            if (!chainReturned) {
                keepAfterFailure(sessions, e);
            }
            throw e;
        } finally {
            sessions.leaveFilter();
        }
    }

    /** The containers keep what a request changed before it failed; so does Satchel. */
    private static void keepAfterFailure(RequestSessions sessions, Exception failure) {
        try {
            sessions.finishAfterFailure();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    @Override
    public void destroy() {
        subscription.ifPresent(s -> {
            try {
                s.close();
            } catch (Exception e) {
                LOG.debug("closing the store subscription failed", e);
            }
        });
    }

    private static Optional<SessionException> sessionFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SessionStoreUnavailableException
                    || t instanceof SessionLimitException
                    || t instanceof NewSessionsThrottledException
                    || t instanceof SessionTooLargeException
                    || t instanceof AttributeUpdateConflictException
                    || t instanceof SessionEndedException) {
                return Optional.of((SessionException) t);
            }
        }
        return Optional.empty();
    }

    private static SessionMetrics.Refusal refusalOf(SessionException failure) {
        if (failure instanceof SessionLimitException) {
            return SessionMetrics.Refusal.SESSION_LIMIT;
        }
        if (failure instanceof NewSessionsThrottledException) {
            return SessionMetrics.Refusal.NEW_SESSIONS_THROTTLED;
        }
        if (failure instanceof SessionTooLargeException) {
            return SessionMetrics.Refusal.TOO_LARGE;
        }
        if (failure instanceof AttributeUpdateConflictException) {
            return SessionMetrics.Refusal.UPDATE_CONFLICT;
        }
        if (failure instanceof SessionEndedException) {
            return SessionMetrics.Refusal.SESSION_ENDED;
        }
        return SessionMetrics.Refusal.STORE_UNAVAILABLE;
    }

    /** One line per 10 s while the store refuses, not one stack trace per request. */
    private static final RefusalLog STORE_DOWN = RefusalLog.fault(LOG, java.time.Duration.ofSeconds(10));

    private static final RefusalLog STORE_FULL = RefusalLog.state(LOG, java.time.Duration.ofSeconds(10));

    private static void refuse(HttpServletResponse response, SessionException failure) throws IOException {
        if (failure instanceof SessionTooLargeException) {
            // The application's mistake, not the client's: 500, with the sizes in the log.
            LOG.error("session too large to keep: answering 500: {}", failure.getMessage());
            response.reset();
            response.setStatus(HttpServletResponse.SC_INTERNAL_SERVER_ERROR);
            response.setContentType("application/json");
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            response.getWriter()
                    .write("{\"error\":\"session_too_large\",\"message\":\"the session does not fit in its cookies\"}");
            return;
        }
        if (failure instanceof SessionEndedException) {
            // Another request logged out or signed in meanwhile: the client's session is over.
            response.reset();
            response.setStatus(HttpServletResponse.SC_CONFLICT);
            response.setContentType("application/json");
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            response.getWriter()
                    .write("{\"error\":\"session_ended\",\"message\":\"the session ended in another request;"
                            + " nothing was changed\"}");
            return;
        }
        if (failure instanceof AttributeUpdateConflictException) {
            // Other requests of the same user kept changing the attribute: theirs stand, this one
            // wrote nothing, and sending it again will most likely work.
            response.reset();
            response.setStatus(HttpServletResponse.SC_CONFLICT);
            response.setHeader("Retry-After", "1");
            response.setContentType("application/json");
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            response.getWriter()
                    .write("{\"error\":\"session_update_conflict\",\"message\":\"the session changed in"
                            + " another request at every attempt; nothing was changed, try again\"}");
            return;
        }
        if (failure instanceof NewSessionsThrottledException throttled) {
            // The client's doing, and routine under a flood: no log line per refusal.
            response.reset();
            response.setStatus(429);
            long seconds =
                    Math.max(1, throttled.retryAfter().plusNanos(999_999_999).toSeconds());
            response.setHeader("Retry-After", Long.toString(seconds));
            response.setContentType("application/json");
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            response.getWriter()
                    .write("{\"error\":\"too_many_new_sessions\",\"message\":\"too many new sessions from your"
                            + " address, try again shortly\"}");
            return;
        }
        boolean full = failure instanceof SessionLimitException;
        if (full) {
            // A full store is a state, not a fault: counted lines, no stack trace.
            STORE_FULL.refused("session limit reached", failure);
        } else {
            STORE_DOWN.refused("session store unavailable", failure);
        }
        response.reset();
        response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        response.setHeader("Retry-After", "1");
        response.setContentType("application/json");
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        String error = full ? "session_limit_reached" : "session_store_unavailable";
        String message = full ? "too many active sessions, try again shortly" : "the session store is not answering";
        response.getWriter().write("{\"error\":\"" + error + "\",\"message\":\"" + message + "\"}");
    }

    /** The store of a filter whose sessions are sealed: every request uses its own instead. */
    private static final class NoStore implements SessionStore {
        @Override
        public Optional<SessionRecord> load(SessionId id) {
            throw new UnsupportedOperationException("sessions are sealed in cookies; there is no store");
        }

        @Override
        public SaveOutcome save(ChangeSet changes) {
            throw new UnsupportedOperationException("sessions are sealed in cookies; there is no store");
        }

        @Override
        public boolean delete(SessionId id) {
            throw new UnsupportedOperationException("sessions are sealed in cookies; there is no store");
        }

        @Override
        public void close() {}
    }
}
