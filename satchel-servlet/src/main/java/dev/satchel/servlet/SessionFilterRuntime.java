package dev.satchel.servlet;

import dev.satchel.core.SessionStore;
import jakarta.servlet.ServletContext;

/** What every request of one filter shares: the store, the options and the listeners. */
record SessionFilterRuntime(
        SessionStore store, SessionOptions options, ServletListeners events, ServletContext servletContext) {}
