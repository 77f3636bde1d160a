package dev.satchel.servlet;

import dev.satchel.core.codec.AttributeCodec;
import dev.satchel.core.codec.DefaultAttributeCodec;
import jakarta.servlet.http.HttpSessionAttributeListener;
import jakarta.servlet.http.HttpSessionIdListener;
import jakarta.servlet.http.HttpSessionListener;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EventListener;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How the filter manages sessions. Immutable and thread-safe; build with {@link #builder()}, or
 * start from {@link #defaults()} and {@link #mutate()}.
 */
public final class SessionOptions {

    /** Default idle timeout: 30 minutes, the servlet containers' usual default. */
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofMinutes(30);

    /** Default absolute timeout: 8 hours, a working day, as OWASP suggests for office applications. */
    public static final Duration DEFAULT_ABSOLUTE_TIMEOUT = Duration.ofHours(8);

    /**
     * Default touch throttle: a read-only request moves the stored last-access time only when it is
     * older than a tenth of the idle timeout. A session can therefore expire up to that much early
     * (3 minutes of 30); in exchange most read-only requests write nothing.
     */
    public static final double DEFAULT_TOUCH_FRACTION = 0.1;

    private static final SessionOptions DEFAULTS = builder().build();

    private final Duration idleTimeout;
    private final Duration absoluteTimeout;
    private final double touchFraction;
    private final SaveMode saveMode;
    private final FlushMode flushMode;
    private final SessionIdResolver idResolver;
    private final Optional<UrlSessionIdResolver> urlRewriting;
    private final Optional<String> route;
    private final AttributeCodec codec;
    private final Clock clock;
    private final List<EventListener> listeners;
    private final Optional<NewSessionThrottle> newSessionThrottle;
    private final SessionMetrics metrics;

    private SessionOptions(Builder b) {
        this.idleTimeout = b.idleTimeout;
        this.absoluteTimeout = b.absoluteTimeout;
        this.touchFraction = b.touchFraction;
        this.saveMode = b.saveMode;
        this.flushMode = b.flushMode;
        this.idResolver = b.idResolver;
        this.urlRewriting = Optional.ofNullable(b.urlRewriting);
        this.route = Optional.ofNullable(b.route);
        this.codec = b.codec;
        this.clock = b.clock;
        this.listeners = List.copyOf(b.listeners);
        this.newSessionThrottle = Optional.ofNullable(b.newSessionThrottle);
        this.metrics = b.metrics;
    }

    /** The options with every default. */
    public static SessionOptions defaults() {
        return DEFAULTS;
    }

    /** Starts a configuration from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Starts a configuration from these options. */
    public Builder mutate() {
        Builder b = new Builder();
        b.idleTimeout = idleTimeout;
        b.absoluteTimeout = absoluteTimeout;
        b.touchFraction = touchFraction;
        b.saveMode = saveMode;
        b.flushMode = flushMode;
        b.newSessionThrottle = newSessionThrottle.orElse(null);
        b.idResolver = idResolver;
        b.urlRewriting = urlRewriting.orElse(null);
        b.route = route.orElse(null);
        b.codec = codec;
        b.clock = clock;
        b.listeners.addAll(listeners);
        b.metrics = metrics;
        return b;
    }

    /** Idle timeout of new sessions. */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /** Absolute lifetime of a session, however active. */
    public Duration absoluteTimeout() {
        return absoluteTimeout;
    }

    /** Fraction of the idle timeout below which a read-only request does not write its access time. */
    public double touchFraction() {
        return touchFraction;
    }

    /** Which attributes are written back. */
    public SaveMode saveMode() {
        return saveMode;
    }

    /** When changes are written. */
    public FlushMode flushMode() {
        return flushMode;
    }

    /** How the id travels in cookies or headers. */
    public SessionIdResolver idResolver() {
        return idResolver;
    }

    /** URL rewriting, when enabled (off by default; see {@link UrlSessionIdResolver}). */
    public Optional<UrlSessionIdResolver> urlRewriting() {
        return urlRewriting;
    }

    /** This node's route, appended to ids as {@code <id>.<route>} for balancers that route by it. */
    public Optional<String> route() {
        return route;
    }

    /** How attribute values become bytes. */
    public AttributeCodec codec() {
        return codec;
    }

    /** The clock for creation, access and expiry times. */
    public Clock clock() {
        return clock;
    }

    /** Session, attribute and id listeners, called as the Servlet specification says. */
    public List<EventListener> listeners() {
        return listeners;
    }

    /** The limit on new sessions per client address, if any (none by default). */
    public Optional<NewSessionThrottle> newSessionThrottle() {
        return newSessionThrottle;
    }

    /** Where the filter reports what it does (default: nowhere). */
    public SessionMetrics metrics() {
        return metrics;
    }

    /** Configures {@link SessionOptions}. Not thread-safe. */
    public static final class Builder {
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private Duration absoluteTimeout = DEFAULT_ABSOLUTE_TIMEOUT;
        private double touchFraction = DEFAULT_TOUCH_FRACTION;
        private SaveMode saveMode = SaveMode.ON_SET_ATTRIBUTE;
        private FlushMode flushMode = FlushMode.ON_COMMIT;
        private SessionIdResolver idResolver = CookieSessionIdResolver.defaults();
        private UrlSessionIdResolver urlRewriting;
        private String route;
        private AttributeCodec codec = DefaultAttributeCodec.defaults();
        private Clock clock = Clock.systemUTC();
        private final List<EventListener> listeners = new ArrayList<>();
        private NewSessionThrottle newSessionThrottle;
        private SessionMetrics metrics = SessionMetrics.none();

        private Builder() {}

        /** Where the filter reports what it does, such as {@link MicrometerSessionMetrics}. */
        public Builder metrics(SessionMetrics metrics) {
            this.metrics = java.util.Objects.requireNonNull(metrics, "metrics");
            return this;
        }

        /** Idle timeout of new sessions (default 30 minutes); zero means none. */
        public Builder idleTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("idleTimeout must not be negative: " + timeout);
            }
            this.idleTimeout = timeout;
            return this;
        }

        /** Absolute lifetime of a session (default 8 hours). */
        public Builder absoluteTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("absoluteTimeout must be positive: " + timeout);
            }
            this.absoluteTimeout = timeout;
            return this;
        }

        /** Touch throttle as a fraction of the idle timeout, from 0 (write every access) to 0.5. */
        public Builder touchFraction(double fraction) {
            if (!(fraction >= 0 && fraction <= 0.5)) {
                throw new IllegalArgumentException("touchFraction must be within [0, 0.5]: " + fraction);
            }
            this.touchFraction = fraction;
            return this;
        }

        /** Which attributes are written back (default: those set). */
        public Builder saveMode(SaveMode mode) {
            this.saveMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** When changes are written (default: on commit). */
        public Builder flushMode(FlushMode mode) {
            this.flushMode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** How the id travels (default: the {@code SID} cookie). */
        public Builder idResolver(SessionIdResolver resolver) {
            this.idResolver = Objects.requireNonNull(resolver, "resolver");
            return this;
        }

        /** Enables URL rewriting as a fallback after the id resolver; read its warning first. */
        public Builder urlRewriting(UrlSessionIdResolver resolver) {
            this.urlRewriting = Objects.requireNonNull(resolver, "resolver");
            return this;
        }

        /**
         * Limits how fast one client address may create sessions (none by default, since only the
         * application knows which header, if any, names the client behind its proxy). Requests
         * over the limit get 429; see {@link NewSessionThrottle}.
         */
        public Builder newSessionThrottle(NewSessionThrottle throttle) {
            this.newSessionThrottle = Objects.requireNonNull(throttle, "throttle");
            return this;
        }

        /** Appends {@code .<route>} to every id this node issues. */
        public Builder route(String route) {
            if (!dev.satchel.core.SessionId.isValidRoute(route)) {
                throw new IllegalArgumentException("route must be 1 to 32 characters of [A-Za-z0-9_-]: " + route);
            }
            this.route = route;
            return this;
        }

        /** The attribute codec (default: {@link DefaultAttributeCodec}). */
        public Builder codec(AttributeCodec codec) {
            this.codec = Objects.requireNonNull(codec, "codec");
            return this;
        }

        /** The clock (default: system UTC); tests pass a fake one. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Adds an {@link HttpSessionListener}, {@link HttpSessionAttributeListener} or {@link HttpSessionIdListener}. */
        public Builder listener(EventListener listener) {
            Objects.requireNonNull(listener, "listener");
            if (!(listener instanceof HttpSessionListener
                    || listener instanceof HttpSessionAttributeListener
                    || listener instanceof HttpSessionIdListener)) {
                throw new IllegalArgumentException(
                        "not a session listener: " + listener.getClass().getName());
            }
            listeners.add(listener);
            return this;
        }

        /**
         * Builds the options.
         *
         * @throws IllegalStateException if the idle timeout exceeds the absolute timeout
         */
        public SessionOptions build() {
            if (idleTimeout.compareTo(absoluteTimeout) > 0) {
                throw new IllegalStateException(
                        "idleTimeout " + idleTimeout + " exceeds absoluteTimeout " + absoluteTimeout);
            }
            return new SessionOptions(this);
        }
    }
}
