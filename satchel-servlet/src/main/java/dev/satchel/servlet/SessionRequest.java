package dev.satchel.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpSession;

/** The request the application sees: its sessions come from Satchel, not the container. */
final class SessionRequest extends HttpServletRequestWrapper {
    private final RequestSessions sessions;
    private final SessionResponse response;
    /** The context this request started last, as the application holds it. */
    private volatile SessionAsyncContext async;

    SessionRequest(HttpServletRequest request, RequestSessions sessions, SessionResponse response) {
        super(request);
        this.sessions = sessions;
        this.response = response;
    }

    @Override
    public RequestDispatcher getRequestDispatcher(String path) {
        RequestDispatcher target = super.getRequestDispatcher(path);
        return target == null ? null : new SessionDispatcher(target, sessions);
    }

    /**
     * Starts asynchronous processing with Satchel's request and response, so that the work that
     * goes on elsewhere still sees Satchel's session and saves through its response; what changed
     * so far is saved first, while the response can still carry the session's id.
     */
    @Override
    public AsyncContext startAsync() {
        return startAsync(this, response);
    }

    @Override
    public AsyncContext startAsync(ServletRequest request, ServletResponse response) {
        sessions.beforeCommit();
        AsyncContext started = super.startAsync(request, response);
        SessionAsyncContext ours = new SessionAsyncContext(started, sessions);
        started.addListener(ours.listener()); // each start drops the listeners of the one before
        async = ours;
        return ours;
    }

    @Override
    public AsyncContext getAsyncContext() {
        AsyncContext current = super.getAsyncContext();
        SessionAsyncContext ours = async;
        return ours != null && current == ours.delegate() ? ours : current;
    }

    @Override
    public HttpSession getSession(boolean create) {
        return sessions.getSession(create);
    }

    @Override
    public HttpSession getSession() {
        return sessions.getSession(true);
    }

    @Override
    public String changeSessionId() {
        return sessions.changeSessionId();
    }

    @Override
    public String getRequestedSessionId() {
        return sessions.requestedSessionId().orElse(null);
    }

    @Override
    public boolean isRequestedSessionIdValid() {
        return sessions.isRequestedSessionIdValid();
    }

    @Override
    public boolean isRequestedSessionIdFromCookie() {
        return sessions.isRequestedSessionIdFrom(IdSource.COOKIE);
    }

    @Override
    public boolean isRequestedSessionIdFromURL() {
        return sessions.isRequestedSessionIdFrom(IdSource.URL);
    }
}
