package dev.satchel.spring.boot;

import dev.satchel.servlet.CookieSessionIdResolver;
import dev.satchel.servlet.FlushMode;
import dev.satchel.servlet.SaveMode;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Satchel's settings under {@code satchel.*}. Immutable: bound once at start-up.
 *
 * @param store where sessions live: {@code memory}, {@code file:DIR} (this instance's own, kept
 *     across restarts), {@code redis://HOST:PORT} (also {@code
 *     rediss://}, {@code redis-sentinel://}, {@code redis-cluster://}, {@code rediss-cluster://}), {@code mongodb://HOST:PORT/DB},
 *     a JDBC URL, {@code jdbc} for
 *     the application's own {@code DataSource}, {@code replicated} or {@code primary-backup} (each
 *     with {@code -async}), or {@code cookie} for sealed cookies; the same values as {@code satchel
 *     node --store}
 * @param idleTimeout how long an unused session lives
 * @param absoluteTimeout how long any session lives, used or not
 * @param saveMode which attributes a request writes back
 * @param flushMode when a request's changes reach the store
 * @param idResolver where the session id travels: in a cookie or in a request header
 * @param headerName the header that carries the id when {@code id-resolver} is {@code header}
 * @param cookie the session cookie
 * @param cluster the cluster stores' settings ({@code replicated}, {@code primary-backup})
 * @param redis the Redis store's settings beyond its URI
 * @param sealed the sealed cookies' settings ({@code cookie})
 * @param codec how attribute values become bytes
 */
@ConfigurationProperties("satchel")
public record SatchelProperties(
        @DefaultValue("memory") String store,
        @DefaultValue("30m") Duration idleTimeout,
        @DefaultValue("8h") Duration absoluteTimeout,
        @DefaultValue("on-set-attribute") SaveMode saveMode,
        @DefaultValue("on-commit") FlushMode flushMode,
        @DefaultValue("cookie") IdResolver idResolver,
        @DefaultValue("X-Session-Id") String headerName,
        @DefaultValue Cookie cookie,
        @DefaultValue Cluster cluster,
        @DefaultValue Redis redis,
        @DefaultValue Sealed sealed,
        @DefaultValue Codec codec) {

    /** Where the session id travels. */
    public enum IdResolver {
        /** In a cookie (the browser's way). */
        COOKIE,
        /** In a request header (an API's way); the response carries a new id in the same header. */
        HEADER
    }

    /**
     * The session cookie.
     *
     * @param name its name
     * @param path its path; empty: the application's context path
     * @param domain its domain; empty: only the host that set it
     * @param secure marked Secure on every response, not only on HTTPS requests
     * @param hostPrefix named with the {@code __Host-} prefix (Secure, Path=/, no Domain)
     * @param sameSite its SameSite attribute
     * @param maxAge kept this long by the browser; empty: until the browser closes
     */
    public record Cookie(
            @DefaultValue("SID") String name,
            @DefaultValue("") String path,
            @DefaultValue("") String domain,
            @DefaultValue("false") boolean secure,
            @DefaultValue("false") boolean hostPrefix,
            @DefaultValue("lax") CookieSessionIdResolver.SameSite sameSite,
            Duration maxAge) {}

    /**
     * The cluster stores' settings.
     *
     * @param name the cluster's name: nodes of the same name find each other
     * @param nodeName this node's name in the cluster's views; empty: JGroups makes one up
     * @param bindAddress the address the cluster port listens on and is announced with
     * @param port the cluster port; failure detection listens on this port + 100, the answers to
     *     synchronous saves on this port + 200
     * @param peers every node's {@code host[port]}
     * @param announce where the other nodes reach this one, {@code HOST:PORT}, when not at the bind
     *     address and port (NAT, a port forward); empty: the bind address and port
     * @param keystore the keystore every node shares for TLS between them (PKCS#12 or JKS, one
     *     key; {@code satchel cluster-keystore} makes one); empty: none, and then {@code plaintext}
     *     must be set
     * @param keystorePassword its password; empty: the {@code SATCHEL_CLUSTER_KEYSTORE_PASSWORD}
     *     environment variable
     * @param plaintext send the traffic between the nodes unencrypted and let any process reaching
     *     the port join: only on a network nobody else reaches
     */
    public record Cluster(
            @DefaultValue("satchel") String name,
            @DefaultValue("") String nodeName,
            @DefaultValue("127.0.0.1") String bindAddress,
            @DefaultValue("7800") int port,
            @DefaultValue("127.0.0.1[7800]") List<String> peers,
            @DefaultValue("") String announce,
            @DefaultValue("") String keystore,
            @DefaultValue("") String keystorePassword,
            @DefaultValue("false") boolean plaintext) {}

    /**
     * The Redis store's settings that its URI has no room for.
     *
     * @param sentinelPassword the password the Sentinels themselves ask for, when it differs from the
     *     servers' (the one in a {@code redis-sentinel://} URI); empty: the {@code
     *     SATCHEL_REDIS_SENTINEL_PASSWORD} environment variable, as for {@code satchel node}, else none;
     *     set with a store that names no Sentinels, the application does not start
     */
    public record Redis(@DefaultValue("") String sentinelPassword) {}

    /**
     * How attribute values become bytes. Strings, numbers, booleans, byte arrays, lists, sets and
     * maps of those, and records are stored without Java serialization, whatever is set here.
     *
     * @param javaSerialization an allowlist, in {@code ObjectInputFilter} pattern syntax (for example
     *     {@code com.example.cart.*;java.util.*}), of the classes the application's own {@code
     *     Serializable} values may hold; empty: the application's values are not Java-serialized.
     *     With Spring Security, its own classes are admitted besides
     * @param recordPackages the packages whose records may be stored; empty: any
     */
    public record Codec(@DefaultValue("") String javaSerialization, @DefaultValue List<String> recordPackages) {}

    /**
     * The sealed cookies' settings ({@code satchel.store=cookie}).
     *
     * @param keysetLocation a file holding the Tink keyset as JSON; empty: the {@code
     *     SATCHEL_COOKIE_KEYSET} environment variable
     * @param revocationStore where ended sessions are recorded, so that a copy of the cookie a
     *     client kept cannot bring a logged-out session back: a store value as for {@code
     *     satchel.store} (not {@code cookie}); empty: none, and the start-up log says what that costs
     */
    public record Sealed(@DefaultValue("") String keysetLocation, @DefaultValue("") String revocationStore) {}
}
