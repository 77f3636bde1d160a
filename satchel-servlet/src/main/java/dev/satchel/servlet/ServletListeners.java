package dev.satchel.servlet;

import jakarta.servlet.http.HttpSession;
import jakarta.servlet.http.HttpSessionAttributeListener;
import jakarta.servlet.http.HttpSessionBindingEvent;
import jakarta.servlet.http.HttpSessionEvent;
import jakarta.servlet.http.HttpSessionIdListener;
import jakarta.servlet.http.HttpSessionListener;
import java.util.ArrayList;
import java.util.EventListener;
import java.util.List;

/** Calls the application's session listeners in the order the Servlet specification gives. */
final class ServletListeners {
    private final List<HttpSessionListener> lifecycle = new ArrayList<>();
    private final List<HttpSessionAttributeListener> attributes = new ArrayList<>();
    private final List<HttpSessionIdListener> ids = new ArrayList<>();

    ServletListeners(List<EventListener> listeners) {
        for (EventListener l : listeners) {
            if (l instanceof HttpSessionListener s) {
                lifecycle.add(s);
            }
            if (l instanceof HttpSessionAttributeListener a) {
                attributes.add(a);
            }
            if (l instanceof HttpSessionIdListener i) {
                ids.add(i);
            }
        }
    }

    boolean wantsDestroyed() {
        return !lifecycle.isEmpty();
    }

    void created(HttpSession session) {
        if (!lifecycle.isEmpty()) {
            HttpSessionEvent event = new HttpSessionEvent(session);
            lifecycle.forEach(l -> l.sessionCreated(event));
        }
    }

    void destroyed(HttpSession session) {
        if (!lifecycle.isEmpty()) {
            HttpSessionEvent event = new HttpSessionEvent(session);
            // The specification notifies in reverse order of declaration on destruction.
            for (int i = lifecycle.size() - 1; i >= 0; i--) {
                lifecycle.get(i).sessionDestroyed(event);
            }
        }
    }

    void attributeAdded(HttpSession session, String name, Object value) {
        if (!attributes.isEmpty()) {
            HttpSessionBindingEvent event = new HttpSessionBindingEvent(session, name, value);
            attributes.forEach(l -> l.attributeAdded(event));
        }
    }

    void attributeReplaced(HttpSession session, String name, Object oldValue) {
        if (!attributes.isEmpty()) {
            HttpSessionBindingEvent event = new HttpSessionBindingEvent(session, name, oldValue);
            attributes.forEach(l -> l.attributeReplaced(event));
        }
    }

    void attributeRemoved(HttpSession session, String name, Object oldValue) {
        if (!attributes.isEmpty()) {
            HttpSessionBindingEvent event = new HttpSessionBindingEvent(session, name, oldValue);
            attributes.forEach(l -> l.attributeRemoved(event));
        }
    }

    void idChanged(HttpSession session, String oldId) {
        if (!ids.isEmpty()) {
            HttpSessionEvent event = new HttpSessionEvent(session);
            ids.forEach(l -> l.sessionIdChanged(event, oldId));
        }
    }
}
