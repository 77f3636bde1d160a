package dev.satchel.servlet;

import dev.satchel.core.SessionSealer;
import dev.satchel.core.SessionStore;
import jakarta.servlet.ServletContext;
import java.util.Optional;

/**
 * What every request of one filter shares: the store (or, for sessions the client keeps, the
 * sealer), the options and the listeners.
 */
record SessionFilterRuntime(
        SessionStore store,
        Optional<SessionSealer> sealer,
        SessionOptions options,
        ServletListeners events,
        ServletContext servletContext) {}
