package dev.satchel.servlet;

import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Carries the session id in a cookie: HttpOnly always, Secure when the request is secure or when
 * forced, {@code SameSite=Lax} by default, and a session (non-persistent) cookie unless a max age
 * is set. With the {@code __Host-} prefix the browser itself enforces Secure, Path=/ and no Domain.
 * Immutable and thread-safe.
 */
public final class CookieSessionIdResolver implements SessionIdResolver {

    /** Default cookie name. */
    public static final String DEFAULT_NAME = "SID";

    /** The SameSite attribute of the cookie. */
    public enum SameSite {
        /** Sent on top-level navigation from other sites; the default. */
        LAX,
        /** Never sent from other sites. */
        STRICT,
        /** Always sent; requires Secure. */
        NONE
    }

    private final String name;
    private final Optional<String> path;
    private final Optional<String> domain;
    private final boolean forceSecure;
    private final SameSite sameSite;
    private final Optional<Duration> maxAge;

    private CookieSessionIdResolver(Builder b) {
        this.name = b.hostPrefix ? "__Host-" + b.name : b.name;
        this.path = b.hostPrefix ? Optional.of("/") : Optional.ofNullable(b.path);
        this.domain = Optional.ofNullable(b.domain);
        this.forceSecure = b.forceSecure || b.hostPrefix || b.sameSite == SameSite.NONE;
        this.sameSite = b.sameSite;
        this.maxAge = Optional.ofNullable(b.maxAge);
    }

    private CookieSessionIdResolver(CookieSessionIdResolver base, String name) {
        this.name = name;
        this.path = base.path;
        this.domain = base.domain;
        this.forceSecure = base.forceSecure;
        this.sameSite = base.sameSite;
        this.maxAge = base.maxAge;
    }

    /**
     * The same cookie under the name of chunk {@code index} of a sealed session: the first chunk
     * keeps the name, the next are {@code <name>_1}, {@code <name>_2}, and so on.
     */
    CookieSessionIdResolver chunk(int index) {
        return index == 0 ? this : new CookieSessionIdResolver(this, name + "_" + index);
    }

    /** The resolver with every default: cookie {@code SID}, Lax, session cookie. */
    public static CookieSessionIdResolver defaults() {
        return builder().build();
    }

    /** Starts a cookie configuration. */
    public static Builder builder() {
        return new Builder();
    }

    /** The cookie's name as sent, prefix included. */
    public String cookieName() {
        return name;
    }

    @Override
    public List<RequestedId> resolve(HttpServletRequest request) {
        Cookie[] cookies = request.getCookies();
        if (cookies == null) {
            return List.of();
        }
        RequestedId single = null;
        List<RequestedId> many = null;
        for (Cookie cookie : cookies) {
            if (name.equals(cookie.getName()) && cookie.getValue() != null) {
                RequestedId id = new RequestedId(cookie.getValue(), IdSource.COOKIE);
                if (single == null) {
                    single = id;
                } else {
                    if (many == null) {
                        many = new ArrayList<>(List.of(single));
                    }
                    many.add(id);
                }
            }
        }
        return many != null ? many : single != null ? List.of(single) : List.of();
    }

    @Override
    public void write(HttpServletRequest request, HttpServletResponse response, String token) {
        response.addHeader("Set-Cookie", header(request, token, maxAge));
    }

    @Override
    public void expire(HttpServletRequest request, HttpServletResponse response) {
        response.addHeader("Set-Cookie", header(request, "", Optional.of(Duration.ZERO)));
    }

    private String header(HttpServletRequest request, String value, Optional<Duration> age) {
        StringBuilder h = new StringBuilder(128).append(name).append('=').append(value);
        String cookiePath = path.orElseGet(() -> {
            String contextPath = request.getContextPath();
            return contextPath == null || contextPath.isEmpty() ? "/" : contextPath;
        });
        h.append("; Path=").append(cookiePath);
        domain.ifPresent(d -> h.append("; Domain=").append(d));
        age.ifPresent(a -> h.append("; Max-Age=").append(a.toSeconds()));
        if (age.isPresent() && age.get().isZero()) {
            h.append("; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
        }
        if (forceSecure || request.isSecure()) {
            h.append("; Secure");
        }
        h.append("; HttpOnly; SameSite=")
                .append(
                        switch (sameSite) {
                            case LAX -> "Lax";
                            case STRICT -> "Strict";
                            case NONE -> "None";
                        });
        return h.toString();
    }

    /** Configures a {@link CookieSessionIdResolver}. Not thread-safe. */
    public static final class Builder {
        private String name = DEFAULT_NAME;
        private String path;
        private String domain;
        private boolean forceSecure;
        private boolean hostPrefix;
        private SameSite sameSite = SameSite.LAX;
        private Duration maxAge;

        private Builder() {}

        /** The cookie name (default {@code SID}); a token of RFC 6265 characters. */
        public Builder name(String name) {
            if (name == null || !name.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")) {
                throw new IllegalArgumentException("cookie name must be 1 to 64 RFC 6265 token characters: " + name);
            }
            this.name = name;
            return this;
        }

        /** The cookie path (default: the context path, or {@code /}). */
        public Builder path(String path) {
            if (path == null || !path.startsWith("/") || path.contains(";")) {
                throw new IllegalArgumentException("cookie path must start with / and contain no ';': " + path);
            }
            this.path = path;
            return this;
        }

        /** The cookie domain (default: none, so only the host that set it). */
        public Builder domain(String domain) {
            if (domain == null || !domain.matches("[A-Za-z0-9.-]{1,253}")) {
                throw new IllegalArgumentException("cookie domain is not a host name: " + domain);
            }
            this.domain = domain;
            return this;
        }

        /** Marks the cookie Secure on every response, not only on secure requests. */
        public Builder forceSecure(boolean forceSecure) {
            this.forceSecure = forceSecure;
            return this;
        }

        /** Uses the {@code __Host-} prefix: Secure, Path=/ and no Domain, enforced by the browser. */
        public Builder hostPrefix(boolean hostPrefix) {
            this.hostPrefix = hostPrefix;
            return this;
        }

        /** The SameSite attribute (default Lax); {@code NONE} implies Secure. */
        public Builder sameSite(SameSite sameSite) {
            this.sameSite = Objects.requireNonNull(sameSite, "sameSite");
            return this;
        }

        /** Makes the cookie persistent for this long; by default it lasts until the browser closes. */
        public Builder maxAge(Duration maxAge) {
            if (maxAge == null || maxAge.isNegative() || maxAge.isZero()) {
                throw new IllegalArgumentException("maxAge must be positive: " + maxAge);
            }
            this.maxAge = maxAge;
            return this;
        }

        /**
         * Builds the resolver.
         *
         * @throws IllegalStateException if {@code __Host-} is combined with a Domain or a path other
         *     than {@code /}
         */
        public CookieSessionIdResolver build() {
            if (hostPrefix && (domain != null || (path != null && !path.equals("/")))) {
                throw new IllegalStateException("the __Host- prefix forbids a Domain and any Path but /");
            }
            return new CookieSessionIdResolver(this);
        }
    }
}
