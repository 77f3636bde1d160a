package dev.satchel.spring.boot.actuate;

import dev.satchel.core.ReportingStore;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStore;
import java.util.Objects;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Actuator's health of the session store: up while it answers a read, down when it does not (a
 * request would be answered 503 then), with the kind of store, the read's time and, where the
 * store counts it, the sessions it holds here. The read is of an id that cannot exist, so it
 * changes nothing and finds nothing.
 */
public final class SessionStoreHealthIndicator extends AbstractHealthIndicator {
    private final SessionStore store;
    private final String kind;

    /** The health of {@code store}, called {@code kind} in the details. */
    public SessionStoreHealthIndicator(SessionStore store, String kind) {
        super("Satchel's session store did not answer");
        this.store = Objects.requireNonNull(store, "store");
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    @Override
    protected void doHealthCheck(Health.Builder health) {
        long start = System.nanoTime();
        store.load(SessionId.random());
        health.up().withDetail("store", kind).withDetail("readMillis", (System.nanoTime() - start) / 1_000_000.0);
        if (store instanceof ReportingStore reporting) {
            Long held = reporting.counters().get("sessions_held");
            if (held != null) {
                health.withDetail("sessionsHeld", held);
            }
        }
    }
}
