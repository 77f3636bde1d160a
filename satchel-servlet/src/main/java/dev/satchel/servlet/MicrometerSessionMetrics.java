package dev.satchel.servlet;

import dev.satchel.core.ReportingStore;
import dev.satchel.core.SessionStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * {@link SessionMetrics} in Micrometer, every meter tagged {@code store} with the store's name:
 *
 * <ul>
 *   <li>{@code satchel.store.calls}: a timer per {@code call} ({@code load}, {@code save}) and
 *       {@code outcome} ({@code ok}, {@code error}), with a percentile histogram;
 *   <li>{@code satchel.sessions.started}, {@code .invalidated} and {@code .expired}: counters;
 *   <li>{@code satchel.requests.refused}: a counter per {@code reason} ({@code
 *       store_unavailable}, {@code session_limit}, {@code new_sessions_throttled}, {@code
 *       too_large}, {@code update_conflict}, {@code session_ended});
 *   <li>{@code satchel.attributes.unreadable}: values dropped because they no longer decoded;
 *   <li>{@code satchel.store.sessions} and {@code satchel.store.bytes}: gauges, where the store
 *       counts the sessions and bytes it holds ({@link #bindStore}).
 * </ul>
 *
 * Thread-safe.
 */
public final class MicrometerSessionMetrics implements SessionMetrics {
    private final MeterRegistry registry;
    private final Tags tags;
    private final Map<StoreCall, Timer> ok = new EnumMap<>(StoreCall.class);
    private final Map<StoreCall, Timer> failed = new EnumMap<>(StoreCall.class);
    private final Map<Refusal, Counter> refused = new EnumMap<>(Refusal.class);
    private final Counter created;
    private final Counter invalidated;
    private final Counter expired;
    private final Counter unreadable;

    /**
     * Meters in {@code registry}, tagged {@code store=storeName} ({@code redis}, {@code
     * primary-backup}: what the operator calls the store).
     */
    public MicrometerSessionMetrics(MeterRegistry registry, String storeName) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.tags = Tags.of("store", Objects.requireNonNull(storeName, "storeName"));
        for (StoreCall call : StoreCall.values()) {
            ok.put(call, timer(call, "ok"));
            failed.put(call, timer(call, "error"));
        }
        for (Refusal why : Refusal.values()) {
            refused.put(
                    why,
                    Counter.builder("satchel.requests.refused")
                            .description("Requests the session filter answered itself, by reason")
                            .tags(tags.and("reason", why.name().toLowerCase(Locale.ROOT)))
                            .register(registry));
        }
        // Not ".created": Prometheus keeps the _created suffix for its own timestamps.
        created = counter("satchel.sessions.started", "Sessions made by requests");
        invalidated = counter("satchel.sessions.invalidated", "Sessions ended by the application");
        expired = counter("satchel.sessions.expired", "Sessions the store reclaimed at their timeout");
        unreadable = counter("satchel.attributes.unreadable", "Stored attribute values dropped as undecodable");
    }

    private Timer timer(StoreCall call, String outcome) {
        return Timer.builder("satchel.store.calls")
                .description("Calls from the session filter to the session store")
                .tags(tags.and("call", call.name().toLowerCase(Locale.ROOT), "outcome", outcome))
                .publishPercentileHistogram()
                .register(registry);
    }

    private Counter counter(String name, String description) {
        return Counter.builder(name).description(description).tags(tags).register(registry);
    }

    /**
     * Adds gauges of what {@code store} holds, if it counts it: sessions ({@code sessions_held})
     * and bytes ({@code estimated_bytes}). Read when scraped.
     *
     * @return this
     */
    public MicrometerSessionMetrics bindStore(SessionStore store) {
        if (store instanceof ReportingStore reporting) {
            Map<String, Long> now = reporting.counters();
            gauge(reporting, now, "sessions_held", "satchel.store.sessions", "Sessions the store holds here");
            gauge(
                    reporting,
                    now,
                    "estimated_bytes",
                    "satchel.store.bytes",
                    "Bytes of session data the store holds here");
        }
        return this;
    }

    private void gauge(ReportingStore store, Map<String, Long> now, String counter, String name, String description) {
        if (now.containsKey(counter)) {
            Gauge.builder(name, store, s -> s.counters().getOrDefault(counter, 0L))
                    .description(description)
                    .tags(tags)
                    .register(registry);
        }
    }

    @Override
    public void storeCall(StoreCall call, long nanos, boolean failedCall) {
        (failedCall ? failed : ok).get(call).record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void created() {
        created.increment();
    }

    @Override
    public void invalidated() {
        invalidated.increment();
    }

    @Override
    public void expired() {
        expired.increment();
    }

    @Override
    public void refused(Refusal why) {
        refused.get(why).increment();
    }

    @Override
    public void unreadableAttribute() {
        unreadable.increment();
    }
}
