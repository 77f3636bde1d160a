package dev.satchel.balancer;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;

/**
 * Everything the balancer is told at start. Immutable; build with {@link #builder()}. Defaults are
 * given as constants and follow common HAProxy and nginx practice where there is one.
 */
public final class BalancerConfig {
    /** Default affinity cookie name. */
    public static final String DEFAULT_AFFINITY_COOKIE = "SATCHEL_NODE";
    /** Default name of the application's session cookie (route suffix, session hash). */
    public static final String DEFAULT_SESSION_COOKIE = "SID";
    /** Default header carrying a session id for REST clients. */
    public static final String DEFAULT_SESSION_HEADER = "X-Session-Id";
    /** Longest request line accepted; longer gets 414. */
    public static final int DEFAULT_MAX_INITIAL_LINE = 4096;
    /** Most bytes of request headers accepted; more gets 431. */
    public static final int DEFAULT_MAX_HEADER_BYTES = 8192;
    /**
     * Most bytes of a node's response headers accepted; more is a 502. Larger than the request limit,
     * as HAProxy's default 16 KB buffer: nodes send long cookies and security policies.
     */
    public static final int DEFAULT_MAX_RESPONSE_HEADER_BYTES = 16 * 1024;
    /**
     * Largest request body accepted; larger gets 413. Bodies are held at the balancer until complete,
     * so this is also what one client connection may cost in memory: the shop's bodies are under 16 KB.
     */
    public static final long DEFAULT_MAX_BODY_BYTES = 1024L * 1024;
    /** Time allowed from a request's first byte to the end of its head; slower gets 408. */
    public static final Duration DEFAULT_HEAD_TIMEOUT = Duration.ofSeconds(10);
    /** Longest pause allowed between two pieces of a request body; longer gets 408. */
    public static final Duration DEFAULT_BODY_IDLE_TIMEOUT = Duration.ofSeconds(5);
    /**
     * Slowest average a request body may arrive at, in bytes per second, once its grace period is
     * over; slower gets 408. As Kestrel's default: a pause rule alone lets a client keep a connection
     * and its buffer for as long as the body cap allows by sending a byte just inside every pause.
     */
    public static final long DEFAULT_MIN_BODY_RATE = 240;
    /** How long a body may arrive at any rate before the minimum rate applies. */
    public static final Duration DEFAULT_BODY_RATE_GRACE = Duration.ofSeconds(5);
    /** Open connections allowed from one client address; more are refused with 429. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 256;
    /** The default idle timeout of a WebSocket tunnel. */
    public static final Duration DEFAULT_TUNNEL_IDLE_TIMEOUT = Duration.ofHours(1);

    final String host;
    final int port;
    final String adminHost;
    final int adminPort;
    final Policy policy;
    final Policy newSessionBalance;
    final List<NodeAddress> nodes;
    final String affinityCookie;
    final byte[] cookieKey;
    final boolean cookieSecure;
    final String cookieSameSite;
    final String sessionCookie;
    final String sessionHeader;
    final int maxInitialLine;
    final int maxHeaderBytes;
    final int maxResponseHeaderBytes;
    final long maxBodyBytes;
    final Duration connectTimeout;
    final Duration responseTimeout;
    final Duration clientIdleTimeout;
    final String healthPath;
    final Duration healthInterval;
    final int healthRise;
    final int healthFall;
    final int passiveFailures;
    final Duration drainDeadline;
    final OptionalDouble boundedLoad;
    final String adminToken;
    final Duration headTimeout;
    final Duration bodyIdleTimeout;
    final long minBodyRate;
    final Duration bodyRateGrace;
    final int maxConnectionsPerClient;
    final boolean observe5xx;
    final Duration tunnelIdleTimeout;
    final Optional<TlsSettings> tls;
    final OptionalInt httpRedirectPort;

    private BalancerConfig(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.adminHost = b.adminHost;
        this.adminPort = b.adminPort;
        this.policy = b.policy;
        this.newSessionBalance = b.newSessionBalance;
        this.nodes = List.copyOf(b.nodes);
        this.affinityCookie = b.affinityCookie;
        this.cookieKey = b.cookieKey.clone();
        this.cookieSecure = b.cookieSecure;
        this.cookieSameSite = b.cookieSameSite;
        this.sessionCookie = b.sessionCookie;
        this.sessionHeader = b.sessionHeader;
        this.maxInitialLine = b.maxInitialLine;
        this.maxHeaderBytes = b.maxHeaderBytes;
        this.maxResponseHeaderBytes = b.maxResponseHeaderBytes;
        this.maxBodyBytes = b.maxBodyBytes;
        this.connectTimeout = b.connectTimeout;
        this.responseTimeout = b.responseTimeout;
        this.clientIdleTimeout = b.clientIdleTimeout;
        this.healthPath = b.healthPath;
        this.healthInterval = b.healthInterval;
        this.healthRise = b.healthRise;
        this.healthFall = b.healthFall;
        this.passiveFailures = b.passiveFailures;
        this.drainDeadline = b.drainDeadline;
        this.boundedLoad = b.boundedLoad;
        this.adminToken = b.adminToken;
        this.headTimeout = b.headTimeout;
        this.bodyIdleTimeout = b.bodyIdleTimeout;
        this.minBodyRate = b.minBodyRate;
        this.bodyRateGrace = b.bodyRateGrace;
        this.maxConnectionsPerClient = b.maxConnectionsPerClient;
        this.observe5xx = b.observe5xx;
        this.tunnelIdleTimeout = b.tunnelIdleTimeout;
        this.tls = b.tls;
        this.httpRedirectPort = b.httpRedirectPort;
    }

    /**
     * A fresh admin token: 256 random bits from {@link SecureRandom}, base64url without padding, so it
     * fits an {@code Authorization: Bearer} header and a shell argument unquoted.
     */
    public static String generateAdminToken() {
        byte[] bits = new byte[32];
        new SecureRandom().nextBytes(bits);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
    }

    /** Starts a configuration with the defaults: 127.0.0.1:8080, admin on 8081, sticky cookie. */
    public static Builder builder() {
        return new Builder();
    }

    /** The routing policy. */
    public Policy policy() {
        return policy;
    }

    /** The nodes configured at start (the admin API may add and remove more). */
    public List<NodeAddress> nodes() {
        return nodes;
    }

    /** The port the proxy listens on (0 while not yet bound means "any free port"). */
    public int port() {
        return port;
    }

    /** Configures a {@link BalancerConfig}. Not thread-safe. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 8080;
        private String adminHost = "127.0.0.1";
        private int adminPort = 8081;
        private Policy policy = Policy.STICKY_COOKIE;
        private Policy newSessionBalance = Policy.ROUND_ROBIN;
        private final List<NodeAddress> nodes = new ArrayList<>();
        private String affinityCookie = DEFAULT_AFFINITY_COOKIE;
        private byte[] cookieKey;
        private boolean cookieSecure;
        private String cookieSameSite = "Lax";
        private String sessionCookie = DEFAULT_SESSION_COOKIE;
        private String sessionHeader = DEFAULT_SESSION_HEADER;
        private int maxInitialLine = DEFAULT_MAX_INITIAL_LINE;
        private int maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES;
        private int maxResponseHeaderBytes = DEFAULT_MAX_RESPONSE_HEADER_BYTES;
        private long maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private Duration connectTimeout = Duration.ofSeconds(2);
        private Duration responseTimeout = Duration.ofSeconds(30);
        private Duration clientIdleTimeout = Duration.ofSeconds(60);
        private String healthPath = "/health";
        private Duration healthInterval = Duration.ofSeconds(1);
        private int healthRise = 2;
        private int healthFall = 2;
        private int passiveFailures = 3;
        private Duration drainDeadline = Duration.ofMinutes(5);
        private OptionalDouble boundedLoad = OptionalDouble.empty();
        private String adminToken;
        private Duration headTimeout = DEFAULT_HEAD_TIMEOUT;
        private Duration bodyIdleTimeout = DEFAULT_BODY_IDLE_TIMEOUT;
        private long minBodyRate = DEFAULT_MIN_BODY_RATE;
        private Duration bodyRateGrace = DEFAULT_BODY_RATE_GRACE;
        private int maxConnectionsPerClient = DEFAULT_MAX_CONNECTIONS_PER_CLIENT;
        private boolean observe5xx;
        private Duration tunnelIdleTimeout = DEFAULT_TUNNEL_IDLE_TIMEOUT;
        private Optional<TlsSettings> tls = Optional.empty();
        private OptionalInt httpRedirectPort = OptionalInt.empty();

        private Builder() {}

        /** Address and port the proxy listens on (port 0: any free port). */
        public Builder listen(String host, int port) {
            this.host = Objects.requireNonNull(host, "host");
            this.port = checkPort(port);
            return this;
        }

        /** Address and port of the admin API (port 0: any free port). */
        public Builder admin(String host, int port) {
            this.adminHost = Objects.requireNonNull(host, "host");
            this.adminPort = checkPort(port);
            return this;
        }

        /** The routing policy (default sticky-cookie). */
        public Builder policy(Policy policy) {
            this.policy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** How requests without a session or pin are spread: round-robin (default) or least-connections. */
        public Builder newSessionBalance(Policy balance) {
            if (balance != Policy.ROUND_ROBIN && balance != Policy.LEAST_CONNECTIONS) {
                throw new IllegalArgumentException(
                        "new sessions are spread by round-robin or least-connections, not " + balance.label());
            }
            this.newSessionBalance = balance;
            return this;
        }

        /** Adds a node. */
        public Builder node(NodeAddress node) {
            nodes.add(Objects.requireNonNull(node, "node"));
            return this;
        }

        /** The affinity cookie's name (default SATCHEL_NODE). */
        public Builder affinityCookie(String name) {
            if (name == null || !name.matches("[A-Za-z0-9_-]{1,64}")) {
                throw new IllegalArgumentException("cookie name must be 1 to 64 characters of [A-Za-z0-9_-]: " + name);
            }
            this.affinityCookie = name;
            return this;
        }

        /**
         * The HMAC key that signs affinity cookies; at least 32 bytes. By default a random key is drawn
         * at start, so cookies from before a restart are re-pinned; give a key to keep them valid.
         */
        public Builder cookieKey(byte[] key) {
            if (key == null || key.length < 32) {
                throw new IllegalArgumentException("the affinity cookie key needs at least 32 bytes");
            }
            this.cookieKey = key.clone();
            return this;
        }

        /** Marks the affinity cookie Secure (when the balancer sits behind TLS termination). */
        public Builder cookieSecure(boolean secure) {
            this.cookieSecure = secure;
            return this;
        }

        /** The affinity cookie's SameSite: Lax (default), Strict or None (None implies Secure). */
        public Builder cookieSameSite(String sameSite) {
            if (!List.of("Lax", "Strict", "None").contains(sameSite)) {
                throw new IllegalArgumentException("SameSite must be Lax, Strict or None: " + sameSite);
            }
            this.cookieSameSite = sameSite;
            return this;
        }

        /** The application's session cookie (default SID). */
        public Builder sessionCookie(String name) {
            this.sessionCookie = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Request limits: request line, header bytes, body bytes. */
        public Builder limits(int maxInitialLine, int maxHeaderBytes, long maxBodyBytes) {
            // Bodies are held in memory whole, so the cap stays well inside one buffer's reach.
            if (maxInitialLine < 256 || maxHeaderBytes < 1024 || maxBodyBytes < 0 || maxBodyBytes > 1L << 30) {
                throw new IllegalArgumentException("limits too small: line " + maxInitialLine + ", headers "
                        + maxHeaderBytes + ", body " + maxBodyBytes);
            }
            this.maxInitialLine = maxInitialLine;
            this.maxHeaderBytes = maxHeaderBytes;
            this.maxBodyBytes = maxBodyBytes;
            return this;
        }

        /** Most bytes of a node's response headers (default 16 KiB); a larger head is answered 502. */
        public Builder responseHeaderLimit(int bytes) {
            if (bytes < 1024 || bytes > 1024 * 1024) {
                throw new IllegalArgumentException("response header limit must be 1 KiB to 1 MiB: " + bytes);
            }
            this.maxResponseHeaderBytes = bytes;
            return this;
        }

        /** Timeouts: connecting to a node, waiting for its response head, an idle client connection. */
        public Builder timeouts(Duration connect, Duration response, Duration clientIdle) {
            this.connectTimeout = positive(connect, "connect timeout");
            this.responseTimeout = positive(response, "response timeout");
            this.clientIdleTimeout = positive(clientIdle, "client idle timeout");
            return this;
        }

        /** Active health checks: path, period, checks to come back up, checks to go down. */
        public Builder healthCheck(String path, Duration interval, int rise, int fall) {
            if (path == null || !path.startsWith("/")) {
                throw new IllegalArgumentException("health path must start with /: " + path);
            }
            if (rise < 1 || fall < 1) {
                throw new IllegalArgumentException("rise and fall must be at least 1");
            }
            this.healthPath = path;
            this.healthInterval = positive(interval, "health interval");
            this.healthRise = rise;
            this.healthFall = fall;
            return this;
        }

        /**
         * Consecutive failures that take a node down without waiting for a check: connect errors and
         * timeouts, response timeouts, malformed responses, and 5xx answers if {@link #observe5xx} is on.
         */
        public Builder passiveFailures(int failures) {
            if (failures < 1) {
                throw new IllegalArgumentException("passive failures must be at least 1");
            }
            this.passiveFailures = failures;
            return this;
        }

        /** How long a draining node keeps serving the clients pinned to it (default 5 minutes). */
        public Builder drainDeadline(Duration deadline) {
            this.drainDeadline = positive(deadline, "drain deadline");
            return this;
        }

        /**
         * Bounded-load consistent hashing: a hashing policy skips a node already carrying more than
         * {@code factor} times the average load (for example 1.25).
         */
        public Builder boundedLoad(double factor) {
            if (!(factor >= 1.0)) {
                throw new IllegalArgumentException("bounded load factor must be at least 1.0: " + factor);
            }
            this.boundedLoad = OptionalDouble.of(factor);
            return this;
        }

        /**
         * The bearer token every admin call but {@code GET /health} must carry. Without one, build()
         * draws a random token nobody is told, so the admin API fails closed rather than open.
         *
         * @param token at least 32 characters of RFC 6750's b64token alphabet ({@code A-Z a-z 0-9 - . _ ~
         *     + /}, then {@code =} padding)
         */
        public Builder adminToken(String token) {
            if (token == null || token.length() < 32 || !token.matches("[A-Za-z0-9._~+/-]+=*")) {
                throw new IllegalArgumentException("the admin token needs at least 32 characters of"
                        + " A-Z a-z 0-9 - . _ ~ + / (then = padding); generate one with"
                        + " 'openssl rand -base64 32'");
            }
            this.adminToken = token;
            return this;
        }

        /**
         * Slow clients: the time from a request's first byte to the end of its head (default 10 s), and
         * the longest pause between pieces of its body (default 5 s). Either exceeded gets 408 and a
         * close; the body is held at the balancer meanwhile, so no node waits on a slow client.
         */
        public Builder clientDeadlines(Duration head, Duration bodyIdle) {
            this.headTimeout = positive(head, "head timeout");
            this.bodyIdleTimeout = positive(bodyIdle, "body idle timeout");
            return this;
        }

        /**
         * The slowest average rate, in bytes per second, at which a request body may arrive once
         * {@code grace} has passed since its first byte could come (default 240 B/s after 5 s); slower
         * gets 408 and a close. 0 turns the rule off, leaving only the pause limit.
         */
        public Builder minBodyRate(long bytesPerSecond, Duration grace) {
            if (bytesPerSecond < 0) {
                throw new IllegalArgumentException("minimum body rate must not be negative: " + bytesPerSecond);
            }
            this.minBodyRate = bytesPerSecond;
            this.bodyRateGrace = positive(grace, "body rate grace");
            return this;
        }

        /** Open connections allowed from one client address (default 256); more get 429 and a close. */
        public Builder maxConnectionsPerClient(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("connections per client must be at least 1: " + max);
            }
            this.maxConnectionsPerClient = max;
            return this;
        }

        /**
         * Whether a node's 5xx answers count as passive failures (default off, as HAProxy without
         * {@code observe layer7}). A 503 whose reason is {@code session_store_unavailable} never counts:
         * the node works, its session store does not, and every node shares that store.
         */
        public Builder observe5xx(boolean observe) {
            this.observe5xx = observe;
            return this;
        }

        /**
         * How long a WebSocket tunnel may carry nothing either way before it is closed, as HAProxy's
         * {@code timeout tunnel} (default 1 hour). It replaces the client idle timeout once the node
         * switched protocols: a chat that is quiet for a minute is not an idle HTTP connection.
         */
        public Builder tunnelIdleTimeout(Duration timeout) {
            this.tunnelIdleTimeout = positive(timeout, "tunnel idle timeout");
            return this;
        }

        /**
         * Terminates TLS on the proxy port with this certificate (TLS 1.2 and 1.3 only). The nodes
         * then hear {@code X-Forwarded-Proto: https}, and the affinity cookie is {@code Secure}.
         */
        public Builder tls(TlsSettings settings) {
            this.tls = Optional.of(Objects.requireNonNull(settings, "settings"));
            return this;
        }

        /**
         * Also listens for plain HTTP on this port, on the proxy's address, and answers every request
         * there with a 308 to the same path over HTTPS. Needs {@link #tls}.
         */
        public Builder httpRedirect(int port) {
            this.httpRedirectPort = OptionalInt.of(checkPort(port));
            return this;
        }

        /**
         * Builds the configuration.
         *
         * @throws IllegalStateException if two nodes share a name
         */
        public BalancerConfig build() {
            Set<String> names = new HashSet<>();
            for (NodeAddress n : nodes) {
                if (!names.add(n.name())) {
                    throw new IllegalStateException("two nodes are named " + n.name());
                }
            }
            if (cookieKey == null) {
                cookieKey = new byte[32];
                new SecureRandom().nextBytes(cookieKey);
            }
            if (adminToken == null) {
                adminToken = generateAdminToken();
            }
            if (cookieSameSite.equals("None") || tls.isPresent()) {
                cookieSecure = true;
            }
            if (httpRedirectPort.isPresent() && tls.isEmpty()) {
                throw new IllegalStateException("an HTTP-to-HTTPS redirect needs TLS on the proxy port");
            }
            return new BalancerConfig(this);
        }

        private static int checkPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be 0 to 65535: " + port);
            }
            return port;
        }

        private static Duration positive(Duration d, String what) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive: " + d);
            }
            return d;
        }
    }
}
