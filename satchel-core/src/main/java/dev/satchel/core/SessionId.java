package dev.satchel.core;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;

/**
 * The identity of one session: 256 random bits from {@link SecureRandom}, base64url-encoded without
 * padding (43 characters).
 *
 * <p>On the wire a token may carry a route suffix, {@code <id>.<route>}, that tells a balancer which
 * node owns the session (as mod_jk's jvmRoute does). The suffix is a routing hint only: it is never
 * part of the identity and is dropped by {@link #parse}.
 *
 * <p>Tokens are validated strictly before any store sees them: a token of the wrong length or
 * alphabet never becomes a {@code SessionId}. Instances are immutable and thread-safe.
 *
 * @param value the 43-character base64url encoding of the random bits
 */
public record SessionId(String value) {

    /** Number of random bytes behind every id. */
    public static final int RANDOM_BYTES = 32;

    /** Length of the encoded id, without any route suffix. */
    public static final int ENCODED_LENGTH = 43;

    /** Longest route suffix accepted after the dot. */
    public static final int MAX_ROUTE_LENGTH = 32;

    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * Creates an id from its encoded value.
     *
     * @throws IllegalArgumentException if the value is not a well-formed id
     */
    public SessionId {
        Objects.requireNonNull(value, "value");
        if (!isWellFormed(value, 0, value.length())) {
            throw new IllegalArgumentException("not a well-formed session id (expected "
                    + ENCODED_LENGTH
                    + " base64url characters, got "
                    + Math.min(value.length(), 9999)
                    + " characters)");
        }
    }

    /** Returns a new random id drawn from a shared {@link SecureRandom}. */
    public static SessionId random() {
        return random(RANDOM);
    }

    /** Returns a new random id drawn from the given source, which must be cryptographically strong. */
    public static SessionId random(SecureRandom random) {
        byte[] bytes = new byte[RANDOM_BYTES];
        random.nextBytes(bytes);
        return new SessionId(ENCODER.encodeToString(bytes));
    }

    /**
     * Parses a token as sent by a client, {@code <id>} or {@code <id>.<route>}, ignoring the route.
     *
     * @return the id, or empty if the token is malformed in any way
     */
    public static Optional<SessionId> parse(CharSequence token) {
        if (token == null || !isWellFormedToken(token)) {
            return Optional.empty();
        }
        return Optional.of(new SessionId(token.subSequence(0, ENCODED_LENGTH).toString()));
    }

    /**
     * Returns the route suffix of a well-formed token, if it has one.
     *
     * @return the route, or empty if the token has none or is malformed
     */
    public static Optional<String> routeOf(CharSequence token) {
        if (token == null || token.length() <= ENCODED_LENGTH || !isWellFormedToken(token)) {
            return Optional.empty();
        }
        return Optional.of(token.subSequence(ENCODED_LENGTH + 1, token.length()).toString());
    }

    /**
     * Returns this id as a wire token carrying the given route suffix.
     *
     * @throws IllegalArgumentException if the route is empty, too long or uses characters outside
     *     {@code [A-Za-z0-9_-]}
     */
    public String withRoute(String route) {
        if (!isValidRoute(route)) {
            throw new IllegalArgumentException(
                    "route must be 1 to " + MAX_ROUTE_LENGTH + " characters of [A-Za-z0-9_-]: '" + route + "'");
        }
        return value + '.' + route;
    }

    /** Tells whether a route name may be used as a suffix: 1 to 32 characters of [A-Za-z0-9_-]. */
    public static boolean isValidRoute(String route) {
        if (route == null || route.isEmpty() || route.length() > MAX_ROUTE_LENGTH) {
            return false;
        }
        for (int i = 0; i < route.length(); i++) {
            if (!isBase64Url(route.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** Returns a short, non-secret prefix suitable for logs; never log the whole id. */
    public String redacted() {
        return value.substring(0, 6) + "…";
    }

    @Override
    public String toString() {
        return "SessionId[" + redacted() + "]";
    }

    private static boolean isWellFormedToken(CharSequence token) {
        int length = token.length();
        if (length == ENCODED_LENGTH) {
            return isWellFormed(token, 0, length);
        }
        if (length < ENCODED_LENGTH + 2 || length > ENCODED_LENGTH + 1 + MAX_ROUTE_LENGTH) {
            return false;
        }
        if (token.charAt(ENCODED_LENGTH) != '.' || !isWellFormed(token, 0, ENCODED_LENGTH)) {
            return false;
        }
        for (int i = ENCODED_LENGTH + 1; i < length; i++) {
            if (!isBase64Url(token.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isWellFormed(CharSequence s, int from, int to) {
        if (to - from != ENCODED_LENGTH) {
            return false;
        }
        for (int i = from; i < to; i++) {
            if (!isBase64Url(s.charAt(i))) {
                return false;
            }
        }
        // 43 characters carry 258 bits; the canonical encoding of 256 bits leaves the last two zero.
        return (decodeChar(s.charAt(to - 1)) & 0b11) == 0;
    }

    private static boolean isBase64Url(char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }

    private static int decodeChar(char c) {
        if (c >= 'A' && c <= 'Z') {
            return c - 'A';
        }
        if (c >= 'a' && c <= 'z') {
            return c - 'a' + 26;
        }
        if (c >= '0' && c <= '9') {
            return c - '0' + 52;
        }
        return c == '-' ? 62 : 63;
    }
}
