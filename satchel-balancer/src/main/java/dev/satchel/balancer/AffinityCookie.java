package dev.satchel.balancer;

import io.netty.handler.codec.http.cookie.DefaultCookie;
import io.netty.handler.codec.http.cookie.ServerCookieEncoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The sticky policy's cookie: {@code <node>.<tag>}, where the tag is a truncated HMAC-SHA256 of the
 * node name. It names a node without revealing its address, and a client cannot forge one to pick
 * a node. Thread-safe.
 *
 * <p>Every pinned request presents its cookie, and there is one genuine value per node, so genuine
 * values are remembered once verified: the HMAC runs once per node, not once per request. Only
 * values that verified are remembered, so forged cookies cannot grow the cache.
 */
final class AffinityCookie {
    private static final int TAG_BYTES = 16;
    private static final int MAX_REMEMBERED = 1024;
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;
    private final ConcurrentHashMap<String, String> genuine = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, String> values = new ConcurrentHashMap<>();

    AffinityCookie(byte[] key) {
        this.key = new SecretKeySpec(key, "HmacSHA256");
        this.macs = ThreadLocal.withInitial(this::newMac);
    }

    /** The Set-Cookie value that pins a client to the node: HttpOnly, SameSite, Secure as configured. */
    String setCookieHeader(String node, BalancerConfig config) {
        DefaultCookie cookie = new DefaultCookie(config.affinityCookie, valueFor(node));
        cookie.setPath("/");
        cookie.setHttpOnly(true);
        cookie.setSecure(config.cookieSecure);
        return ServerCookieEncoder.STRICT.encode(cookie) + "; SameSite=" + config.cookieSameSite;
    }

    String valueFor(String node) {
        return values.computeIfAbsent(node, n -> n + "." + B64.encodeToString(tag(n)));
    }

    /** The node a cookie value names, if its tag is genuine. */
    Optional<String> nodeOf(String value) {
        String known = genuine.get(value);
        if (known != null) {
            return Optional.of(known);
        }
        int dot = value.lastIndexOf('.');
        if (dot <= 0 || dot > 32 || value.length() > 80) {
            return Optional.empty();
        }
        String node = value.substring(0, dot);
        byte[] given;
        try {
            given = Base64.getUrlDecoder().decode(value.substring(dot + 1));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (!MessageDigest.isEqual(given, tag(node))) {
            return Optional.empty();
        }
        if (genuine.size() >= MAX_REMEMBERED) {
            genuine.clear(); // only after a key change or node churn; correctness never depends on it
        }
        genuine.put(value, node);
        return Optional.of(node);
    }

    private byte[] tag(String node) {
        byte[] full = macs.get().doFinal(node.getBytes(StandardCharsets.UTF_8));
        byte[] tag = new byte[TAG_BYTES];
        System.arraycopy(full, 0, tag, 0, TAG_BYTES);
        return tag;
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required of every JVM", e);
        }
    }
}
