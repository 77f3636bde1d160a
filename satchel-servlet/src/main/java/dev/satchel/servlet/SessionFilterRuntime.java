package dev.satchel.servlet;

import dev.satchel.core.SessionSealer;
import dev.satchel.core.SessionStore;
import jakarta.servlet.ServletContext;
import java.util.Optional;

/**
 * What every request of one filter shares: the store (or, for sessions the client keeps, the
 * sealer), the options, the listeners and the counters of atomic updates.
 */
record SessionFilterRuntime(
        SessionStore store,
        Optional<SessionSealer> sealer,
        SessionOptions options,
        ServletListeners events,
        ServletContext servletContext,
        UpdateCounters updates) {}
