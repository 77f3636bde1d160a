package dev.satchel.servlet;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import java.io.IOException;

/**
 * A dispatcher that saves the session and hands out its id before a forward or include. Tomcat
 * finishes a forwarded response on its own, past every wrapper, so nothing may wait for the end.
 */
final class SessionDispatcher implements RequestDispatcher {
    private final RequestDispatcher target;
    private final RequestSessions sessions;

    SessionDispatcher(RequestDispatcher target, RequestSessions sessions) {
        this.target = target;
        this.sessions = sessions;
    }

    @Override
    public void forward(ServletRequest request, ServletResponse response) throws ServletException, IOException {
        sessions.enterDispatch();
        try {
            target.forward(request, response);
        } finally {
            sessions.leaveDispatch();
        }
    }

    @Override
    public void include(ServletRequest request, ServletResponse response) throws ServletException, IOException {
        sessions.enterDispatch();
        try {
            target.include(request, response);
        } finally {
            sessions.leaveDispatch();
        }
    }
}
