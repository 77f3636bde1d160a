package dev.satchel.balancer;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The sticky policy's cookie: {@code <node>.<tag>}, where the tag is a truncated HMAC-SHA256 of the
 * node name. It names a node without revealing its address, and a client cannot forge one to pick
 * a node. Thread-safe (a Mac per call).
 */
final class AffinityCookie {
    private static final int TAG_BYTES = 16;
    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

    private final SecretKeySpec key;

    AffinityCookie(byte[] key) {
        this.key = new SecretKeySpec(key, "HmacSHA256");
    }

    String valueFor(String node) {
        return node + "." + B64.encodeToString(tag(node));
    }

    /** The node a cookie value names, if its tag is genuine. */
    Optional<String> nodeOf(String value) {
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
        return MessageDigest.isEqual(given, tag(node)) ? Optional.of(node) : Optional.empty();
    }

    private byte[] tag(String node) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            byte[] full = mac.doFinal(node.getBytes(StandardCharsets.UTF_8));
            byte[] tag = new byte[TAG_BYTES];
            System.arraycopy(full, 0, tag, 0, TAG_BYTES);
            return tag;
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is required of every JVM", e);
        }
    }
}
