package dev.satchel.cookie;

import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.DirectDecrypter;
import com.nimbusds.jose.crypto.DirectEncrypter;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionSealer;
import dev.satchel.core.SessionTooLargeException;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions kept by the client as a standard JWT, through Nimbus JOSE+JWT, for clients that need a
 * token they (or other services) can parse: {@code jti} is the session id, {@code sub} the user,
 * {@code iat} when it was sealed, {@code exp} when it expires, and the attributes and lifetime
 * bounds sit in private claims.
 *
 * <p>Two forms, each with exactly one algorithm accepted: <b>encrypted</b> (JWE, {@code dir} with
 * {@code A256GCM}; the client cannot read it) and <b>signed</b> (JWS, {@code HS256}; the client can
 * read every claim, attributes included, but not change them). A token with any other algorithm,
 * {@code none} above all, is no session. The key is 256 bits, from configuration, never code.
 * Like {@link SealedCookieSessions}, logout is only real with a {@link RevocationList}.
 */
public final class JwtSessions implements SessionSealer {
    private static final Logger LOG = LoggerFactory.getLogger(JwtSessions.class);
    private static final int MAX_TOKEN_CHARS = SealedCookieSessions.DEFAULT_MAX_COOKIE_BYTES - 200;

    private final boolean encrypted;
    private final byte[] key;
    private final String issuer;
    private final Clock clock;
    private final Optional<RevocationList> revocations;
    private final LongAdder opened = new LongAdder();
    private final LongAdder refused = new LongAdder();

    private JwtSessions(Builder b) {
        this.encrypted = b.encrypted;
        this.key = b.key.clone();
        this.issuer = b.issuer;
        this.clock = b.clock;
        this.revocations = Optional.ofNullable(b.revocations);
    }

    /** JWE tokens ({@code dir}, {@code A256GCM}) under a 256-bit key: the client cannot read them. */
    public static Builder encrypted(byte[] key256) {
        return new Builder(true, key256);
    }

    /** JWS tokens ({@code HS256}) under a 256-bit key: readable by the client, not changeable. */
    public static Builder signed(byte[] key256) {
        return new Builder(false, key256);
    }

    @Override
    public List<String> seal(SessionRecord r) {
        Instant now = clock.instant();
        Map<String, Object> attributes = new LinkedHashMap<>();
        r.attributes()
                .forEach((name, value) -> attributes.put(
                        name, Base64.getUrlEncoder().withoutPadding().encodeToString(value)));
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .jwtID(r.id().value())
                .issueTime(Date.from(now))
                .expirationTime(Date.from(r.expiresAt()))
                .claim("created", r.createdAt().toEpochMilli())
                .claim("access", r.lastAccessedAt().toEpochMilli())
                .claim("idle", r.maxInactiveInterval().toMillis())
                .claim("deadline", r.absoluteDeadline().toEpochMilli())
                .claim("ver", r.version())
                .claim("attrs", attributes);
        r.principal().ifPresent(claims::subject);
        String token;
        try {
            if (encrypted) {
                EncryptedJWT jwt =
                        new EncryptedJWT(new JWEHeader(JWEAlgorithm.DIR, EncryptionMethod.A256GCM), claims.build());
                jwt.encrypt(new DirectEncrypter(key));
                token = jwt.serialize();
            } else {
                SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
                jwt.sign(new MACSigner(key));
                token = jwt.serialize();
            }
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot seal the session token", e);
        }
        if (token.length() > MAX_TOKEN_CHARS) {
            Map<String, Integer> sizes = new LinkedHashMap<>();
            r.attributes().forEach((name, value) -> sizes.put(name, value.length));
            throw new SessionTooLargeException(r.id(), token.length(), MAX_TOKEN_CHARS, sizes);
        }
        return List.of(token);
    }

    @Override
    public Optional<SessionRecord> open(List<String> values) {
        if (values.size() != 1 || values.get(0).length() > MAX_TOKEN_CHARS) {
            return refuse("not one token of a plausible size");
        }
        JWTClaimsSet claims;
        try {
            claims = verified(values.get(0));
        } catch (ParseException | JOSEException | RuntimeException e) {
            return refuse("token does not verify: " + e.getMessage());
        }
        if (claims == null) {
            return refuse("algorithm not allowed, or the seal does not verify");
        }
        Optional<SessionRecord> record = toRecord(claims);
        if (record.isEmpty() || !issuer.equals(claims.getIssuer())) {
            return refuse("claims do not make a session");
        }
        Instant now = clock.instant();
        if (record.get().isExpired(now)) {
            return refuse("expired");
        }
        if (revocations.isPresent()
                && revocations.get().refuses(record.get(), claims.getIssueTime().toInstant())) {
            return refuse("revoked");
        }
        opened.increment();
        return record;
    }

    /** The claims if the token carries exactly the allowed algorithm and verifies; null if not. */
    private JWTClaimsSet verified(String token) throws ParseException, JOSEException {
        if (encrypted) {
            EncryptedJWT jwt = EncryptedJWT.parse(token);
            if (!JWEAlgorithm.DIR.equals(jwt.getHeader().getAlgorithm())
                    || !EncryptionMethod.A256GCM.equals(jwt.getHeader().getEncryptionMethod())) {
                return null;
            }
            jwt.decrypt(new DirectDecrypter(key));
            return jwt.getJWTClaimsSet();
        }
        SignedJWT jwt = SignedJWT.parse(token);
        if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm())) {
            return null; // never "none", never another MAC or a public-key algorithm
        }
        return jwt.verify(new MACVerifier(key)) ? jwt.getJWTClaimsSet() : null;
    }

    private static Optional<SessionRecord> toRecord(JWTClaimsSet claims) {
        try {
            Optional<SessionId> id = SessionId.parse(Objects.requireNonNull(claims.getJWTID()));
            if (id.isEmpty() || claims.getIssueTime() == null) {
                return Optional.empty();
            }
            Map<String, byte[]> attributes = new HashMap<>();
            Map<String, Object> encoded = claims.getJSONObjectClaim("attrs");
            if (encoded != null) {
                for (Map.Entry<String, Object> e : encoded.entrySet()) {
                    attributes.put(e.getKey(), Base64.getUrlDecoder().decode((String) e.getValue()));
                }
            }
            return Optional.of(new SessionRecord(
                    id.get(),
                    Instant.ofEpochMilli(claims.getLongClaim("created")),
                    Instant.ofEpochMilli(claims.getLongClaim("access")),
                    Duration.ofMillis(claims.getLongClaim("idle")),
                    Instant.ofEpochMilli(claims.getLongClaim("deadline")),
                    attributes,
                    Optional.ofNullable(claims.getSubject()),
                    claims.getLongClaim("ver")));
        } catch (ParseException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private Optional<SessionRecord> refuse(String why) {
        refused.increment();
        LOG.debug("session token refused: {}", why);
        return Optional.empty();
    }

    @Override
    public void revoke(SessionRecord record) {
        revocations.ifPresent(list -> list.deny(record.id(), record.absoluteDeadline()));
    }

    @Override
    public void revokeAll(String principal) {
        revocations.ifPresent(list -> list.revokeAllBefore(principal, clock.instant()));
    }

    /**
     * Tokens {@code opened}, and {@code refused} for any reason, since start: named as every
     * store's {@code counters()} are.
     */
    public Map<String, Long> counters() {
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("opened", opened.sum());
        counters.put("refused", refused.sum());
        return Collections.unmodifiableMap(counters);
    }

    /** Configures {@link JwtSessions}. Not thread-safe. */
    public static final class Builder {
        private final boolean encrypted;
        private final byte[] key;
        private String issuer = "satchel";
        private Clock clock = Clock.systemUTC();
        private RevocationList revocations;

        private Builder(boolean encrypted, byte[] key) {
            if (key == null || key.length != 32) {
                throw new IllegalArgumentException("the token key must be 256 bits (32 bytes)");
            }
            this.encrypted = encrypted;
            this.key = key.clone();
        }

        /** The {@code iss} claim written and required (default {@code satchel}). */
        public Builder issuer(String issuer) {
            this.issuer = Objects.requireNonNull(issuer, "issuer");
            return this;
        }

        /** The clock that decides expiry; tests pass a fake one. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The server-side record that makes logout and "log out everywhere" final. */
        public Builder revocations(RevocationList revocations) {
            this.revocations = Objects.requireNonNull(revocations, "revocations");
            return this;
        }

        public JwtSessions build() {
            return new JwtSessions(this);
        }
    }
}
