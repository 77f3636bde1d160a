package dev.satchel.servlet;

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
