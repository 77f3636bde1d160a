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

    SessionRequest(HttpServletRequest request, RequestSessions sessions) {
        super(request);
        this.sessions = sessions;
    }

    @Override
    public RequestDispatcher getRequestDispatcher(String path) {
        RequestDispatcher target = super.getRequestDispatcher(path);
        return target == null ? null : new SessionDispatcher(target, sessions);
    }

    /**
     * Refused until the filter can follow a request past its return (issue 15): the session is saved
     * when the chain returns, so what asynchronous work changed would be silently lost.
     */
    @Override
    public AsyncContext startAsync() {
        throw asyncRefused();
    }

    @Override
    public AsyncContext startAsync(ServletRequest request, ServletResponse response) {
        throw asyncRefused();
    }

    private static IllegalStateException asyncRefused() {
        return new IllegalStateException("Satchel's session filter does not support asynchronous requests yet:"
                + " the session is saved when the filter returns, so later changes would be lost");
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
