package dev.satchel.servlet;

import jakarta.servlet.http.HttpSessionBindingEvent;
import jakarta.servlet.http.HttpSessionBindingListener;
import java.util.List;

/**
 * A session value that wants to know when it is bound and unbound. A record, so the default codec
 * stores it; each decoded copy reports to the list the running test set.
 */
public record BoundValue(String label) implements HttpSessionBindingListener {

    /** Where the running test collects events; one test runs at a time in each JVM. */
    static volatile List<String> events = List.of();

    @Override
    public void valueBound(HttpSessionBindingEvent event) {
        events.add("bound:" + event.getName() + "=" + label);
    }

    @Override
    public void valueUnbound(HttpSessionBindingEvent event) {
        events.add("unbound:" + event.getName() + "=" + label);
    }

    @Override
    public String toString() {
        return label;
    }
}
