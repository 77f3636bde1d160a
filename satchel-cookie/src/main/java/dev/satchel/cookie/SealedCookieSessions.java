package dev.satchel.cookie;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionSealer;
import dev.satchel.core.SessionTooLargeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sessions kept by the client, sealed with AES-256-GCM through Google Tink: the {@code cookie}
 * strategy. Attributes and metadata (id, created, last access, idle timeout, absolute deadline,
 * principal, and when it was sealed) are compressed, then sealed with associated data that binds
 * the cookie's name and purpose, so a value cut from another cookie or application does not open.
 *
 * <p><b>Keys</b> come from a Tink JSON keyset (a file or an environment variable), never from code.
 * The primary key seals; every key in the set opens, so a new key can be made primary while old
 * cookies still open, and an old key retired by removing it. Outside demo mode, {@link
 * Builder#build} fails when no keyset is given.
 *
 * <p><b>Size.</b> By default a session must fit in one cookie of at most 4 KB; {@link
 * Builder#maxCookies} allows it to span several, and a missing one makes the session invalid. A
 * session that does not fit raises {@link SessionTooLargeException}, naming each attribute's size.
 *
 * <p><b>Bad cookies</b>, whether malformed, tampered with, truncated, sealed for something else,
 * expired or revoked, count as no session: counted in {@link #stats()}, logged at debug, never an
 * error.
 *
 * <p><b>Limits, plainly.</b> Without a {@link RevocationList}, logout only deletes the client's
 * copy: anyone who kept the cookie can replay it until its idle or absolute deadline. With one,
 * each request costs a read of that record. Every request and response carries the session's
 * bytes. Thread-safe.
 *
 * <p><b>Rollback.</b> Every cookie this class sealed stays valid until its session's deadlines,
 * so while a session lives, a client that kept an older cookie of it can send that one instead
 * of the newest and get the older state back (a cart line it removed, say), and writes through
 * it are accepted. {@link Builder#freshnessCheck} refuses that: the revocation record keeps the
 * newest version sealed of each session, and an older one opens as no session (counted as {@link
 * Stats#rolledBack}). It costs a store read on every request and a read and write on each that
 * changes the session; and a request that was sent with the previous cookie while a newer one was
 * on its way (parallel requests of one page) is refused too.
 */
public final class SealedCookieSessions implements SessionSealer {

    /** Largest cookie, name and attributes included, that browsers are required to keep. */
    public static final int DEFAULT_MAX_COOKIE_BYTES = 4096;

    /** The environment variable a keyset is read from by {@link Builder#keysetFromEnvironment()}. */
    public static final String KEYSET_VARIABLE = "SATCHEL_COOKIE_KEYSET";

    /** Room left in each cookie for its name and attributes (Path, Secure, SameSite, Max-Age...). */
    private static final int COOKIE_OVERHEAD = 200;

    private static final Logger LOG = LoggerFactory.getLogger(SealedCookieSessions.class);

    static {
        try {
            AeadConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Aead aead;
    private final byte[] associatedData;
    private final int maxValueChars;
    private final int maxCookies;
    private final Clock clock;
    private final Optional<RevocationList> revocations;
    private final LongAdder opened = new LongAdder();
    private final LongAdder malformed = new LongAdder();
    private final LongAdder forged = new LongAdder();
    private final LongAdder expired = new LongAdder();
    private final LongAdder revoked = new LongAdder();
    private final LongAdder rolledBack = new LongAdder();
    private final boolean freshnessCheck;

    private SealedCookieSessions(Builder b, KeysetHandle keyset) throws GeneralSecurityException {
        this.aead = keyset.getPrimitive(RegistryConfiguration.get(), Aead.class);
        this.associatedData = ("satchel-session|v1|" + b.cookieName + "|" + b.purpose).getBytes(StandardCharsets.UTF_8);
        this.maxValueChars = b.maxCookieBytes - COOKIE_OVERHEAD;
        this.maxCookies = b.maxCookies;
        this.clock = b.clock;
        this.revocations = Optional.ofNullable(b.revocations);
        this.freshnessCheck = b.freshnessCheck;
    }

    /** Starts a configuration for the cookie named {@code cookieName} (as the filter sends it). */
    public static Builder builder(String cookieName) {
        return new Builder(cookieName);
    }

    /** A new keyset with one AES-256-GCM key, as Tink JSON: what an operator stores as the secret. */
    public static String generateKeyset() {
        try {
            return TinkJsonProtoKeysetFormat.serializeKeyset(
                    KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM), InsecureSecretKeyAccess.get());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate an AES-256-GCM key", e);
        }
    }

    /** {@code keyset} with a new AES-256-GCM key made primary: it seals, every older key still opens. */
    public static String rotate(String keyset) {
        try {
            KeysetHandle current = parse(keyset);
            KeysetHandle.Builder next = KeysetHandle.newBuilder(current);
            next.addEntry(KeysetHandle.generateEntryFromParameters(PredefinedAeadParameters.AES256_GCM)
                    .withRandomId()
                    .makePrimary());
            return TinkJsonProtoKeysetFormat.serializeKeyset(next.build(), InsecureSecretKeyAccess.get());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot rotate the keyset: " + e.getMessage(), e);
        }
    }

    /** {@code keyset} without its non-primary keys: cookies sealed with them no longer open. */
    public static String retireOldKeys(String keyset) {
        try {
            KeysetHandle current = parse(keyset);
            KeysetHandle.Builder next = KeysetHandle.newBuilder(current);
            for (int i = next.size() - 1; i >= 0; i--) {
                if (!next.getAt(i).isPrimary()) {
                    next.deleteAt(i);
                }
            }
            return TinkJsonProtoKeysetFormat.serializeKeyset(next.build(), InsecureSecretKeyAccess.get());
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot retire keys: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<SessionRecord> open(List<String> values) {
        Optional<SealedPayload.Opened> payload = unseal(values);
        if (payload.isEmpty()) {
            return Optional.empty();
        }
        SessionRecord record = payload.get().record();
        Instant now = clock.instant();
        if (record.isExpired(now)) {
            expired.increment();
            LOG.debug("sealed session {} has expired", record.id());
            return Optional.empty();
        }
        if (revocations.isPresent()
                && revocations.get().refuses(record, payload.get().sealedAt())) {
            revoked.increment();
            LOG.debug("sealed session {} was revoked", record.id());
            return Optional.empty();
        }
        if (freshnessCheck && revocations.get().isRolledBack(record)) {
            rolledBack.increment();
            LOG.debug("sealed session {} is older than one sealed since", record.id());
            return Optional.empty();
        }
        opened.increment();
        return Optional.of(record);
    }

    /** Checks the cookie values' shape, then their seal; counts and logs what fails. */
    private Optional<SealedPayload.Opened> unseal(List<String> values) {
        if (values.isEmpty() || values.size() > maxCookies) {
            return reject(malformed, "no value, or more cookies than allowed");
        }
        String first = values.get(0);
        int dot = first.indexOf('.');
        int count;
        try {
            count = dot > 0 && dot < 3 ? Integer.parseInt(first.substring(0, dot)) : -1;
        } catch (NumberFormatException e) {
            count = -1;
        }
        if (count < 1 || count > maxCookies || values.size() < count) {
            return reject(malformed, "missing or inconsistent chunk count");
        }
        StringBuilder joined = new StringBuilder(first.length() * count).append(first, dot + 1, first.length());
        for (int i = 1; i < count; i++) {
            joined.append(values.get(i));
        }
        if (joined.length() > maxCookies * maxValueChars) {
            return reject(malformed, "longer than any sealed session");
        }
        byte[] ciphertext;
        try {
            ciphertext = Base64.getUrlDecoder().decode(joined.toString());
        } catch (IllegalArgumentException e) {
            return reject(malformed, "not base64url");
        }
        // The decoder ignores a last character's unused bits, so two values could open as one;
        // only the encoding this class writes is accepted.
        if (!Base64.getUrlEncoder().withoutPadding().encodeToString(ciphertext).contentEquals(joined)) {
            return reject(malformed, "not in canonical base64url");
        }
        byte[] plaintext;
        try {
            plaintext = aead.decrypt(ciphertext, associatedData);
        } catch (GeneralSecurityException e) {
            // Tampered, truncated, from another cookie or application, or sealed with a retired key.
            return reject(forged, "seal does not verify");
        }
        Optional<SealedPayload.Opened> payload = SealedPayload.decode(plaintext);
        if (payload.isEmpty()) {
            return reject(malformed, "sealed bytes do not decode");
        }
        return payload;
    }

    private static Optional<SealedPayload.Opened> reject(LongAdder counter, String why) {
        counter.increment();
        LOG.debug("sealed session cookie refused: {}", why);
        return Optional.empty();
    }

    @Override
    public List<String> seal(SessionRecord record) {
        byte[] payload = SealedPayload.encode(record, clock.instant());
        String token;
        try {
            token = Base64.getUrlEncoder().withoutPadding().encodeToString(aead.encrypt(payload, associatedData));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("sealing failed", e);
        }
        // The first cookie starts with the number of cookies: "2.<part>", so a lost one is noticed.
        List<String> values = new ArrayList<>();
        int room = maxValueChars - 2;
        for (int at = 0; at < token.length(); at += room) {
            values.add(token.substring(at, Math.min(token.length(), at + room)));
        }
        if (values.isEmpty()) {
            values.add("");
        }
        if (values.size() > maxCookies) {
            Map<String, Integer> sizes = new LinkedHashMap<>();
            record.attributes().forEach((name, value) -> sizes.put(name, value.length));
            throw new SessionTooLargeException(record.id(), token.length() + 2, maxCookies * maxValueChars, sizes);
        }
        values.set(0, values.size() + "." + values.get(0));
        if (freshnessCheck) {
            revocations.get().recordSealed(record);
        }
        return values;
    }

    @Override
    public void revoke(SessionRecord record) {
        revocations.ifPresent(list -> list.deny(record.id(), record.absoluteDeadline()));
    }

    @Override
    public void revokeAll(String principal) {
        if (revocations.isEmpty()) {
            LOG.warn("log out everywhere for a sealed-session user, but no revocation record is configured:"
                    + " the user's other cookies stay valid until they expire");
            return;
        }
        revocations.get().revokeAllBefore(principal, clock.instant());
    }

    /** What happened to the cookies this instance was asked to open, since it started. */
    public Stats stats() {
        return new Stats(opened.sum(), malformed.sum(), forged.sum(), expired.sum(), revoked.sum(), rolledBack.sum());
    }

    /**
     * The same counts by name, read as every store's {@code counters()} are: {@code opened}, {@code
     * malformed}, {@code forged}, {@code expired}, {@code revoked}, {@code rolled_back}.
     */
    public Map<String, Long> counters() {
        Stats now = stats();
        Map<String, Long> counters = new LinkedHashMap<>();
        counters.put("opened", now.opened());
        counters.put("malformed", now.malformed());
        counters.put("forged", now.forged());
        counters.put("expired", now.expired());
        counters.put("revoked", now.revoked());
        counters.put("rolled_back", now.rolledBack());
        return Collections.unmodifiableMap(counters);
    }

    /**
     * Counts of cookies opened and refused.
     *
     * @param opened opened and accepted
     * @param malformed refused before the seal was checked: bad shape, chunk count or encoding
     * @param forged refused by the seal: tampered, truncated, foreign, or sealed with a retired key
     * @param expired refused for an idle or absolute timeout
     * @param revoked refused by the revocation record
     * @param rolledBack refused by the freshness check: older than a version sealed since
     */
    public record Stats(long opened, long malformed, long forged, long expired, long revoked, long rolledBack) {}

    private static KeysetHandle parse(String keyset) throws GeneralSecurityException {
        return TinkJsonProtoKeysetFormat.parseKeyset(keyset, InsecureSecretKeyAccess.get());
    }

    /** Configures {@link SealedCookieSessions}. Not thread-safe. */
    public static final class Builder {
        private final String cookieName;
        private String purpose = "session";
        private String keyset;
        private boolean demo;
        private int maxCookieBytes = DEFAULT_MAX_COOKIE_BYTES;
        private int maxCookies = 1;
        private Clock clock = Clock.systemUTC();
        private RevocationList revocations;
        private boolean freshnessCheck;

        private Builder(String cookieName) {
            if (cookieName == null || cookieName.isBlank()) {
                throw new IllegalArgumentException("cookie name must not be blank");
            }
            this.cookieName = cookieName;
        }

        /** What the cookie is for, bound into the seal (default {@code session}). */
        public Builder purpose(String purpose) {
            this.purpose = Objects.requireNonNull(purpose, "purpose");
            return this;
        }

        /** The keyset, as Tink JSON. */
        public Builder keyset(String tinkJson) {
            this.keyset = Objects.requireNonNull(tinkJson, "tinkJson");
            return this;
        }

        /** Reads the keyset from a file holding Tink JSON. */
        public Builder keysetFromFile(Path file) {
            try {
                return keyset(Files.readString(file));
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "cannot read the cookie keyset from " + file + ": " + e.getMessage(), e);
            }
        }

        /** Reads the keyset from the environment variable {@value #KEYSET_VARIABLE}, if set. */
        public Builder keysetFromEnvironment() {
            String value = System.getenv(KEYSET_VARIABLE);
            if (value != null && !value.isBlank()) {
                keyset(value);
            }
            return this;
        }

        /**
         * Demo mode: with no keyset given, generates a throwaway key at start, so sessions die with
         * the process and are not shared with other processes. Never for production.
         */
        public Builder demoMode(boolean demo) {
            this.demo = demo;
            return this;
        }

        /** Largest cookie, name and attributes included (default 4,096 bytes). */
        public Builder maxCookieBytes(int bytes) {
            if (bytes < 1024) {
                throw new IllegalArgumentException("a cookie limit under 1,024 bytes leaves no room: " + bytes);
            }
            this.maxCookieBytes = bytes;
            return this;
        }

        /** How many cookies a session may span (default 1: refuse what does not fit in one). */
        public Builder maxCookies(int count) {
            if (count < 1 || count > 9) {
                throw new IllegalArgumentException("a session may span 1 to 9 cookies: " + count);
            }
            this.maxCookies = count;
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

        /**
         * Refuses a cookie older than the newest one sealed of its session (a rollback; see the
         * class documentation), at the cost of a read of the revocation record per request and a
         * write per changed session. Off by default. Needs {@link #revocations}.
         */
        public Builder freshnessCheck(boolean on) {
            this.freshnessCheck = on;
            return this;
        }

        /**
         * Builds the sealer.
         *
         * @throws IllegalStateException if no keyset was given outside demo mode, or the freshness
         *     check is on without a revocation record
         * @throws IllegalArgumentException if the keyset does not parse
         */
        public SealedCookieSessions build() {
            if (freshnessCheck && revocations == null) {
                throw new IllegalStateException(
                        "the freshness check keeps its record in the revocation list: give revocations(...)");
            }
            if (keyset == null && !demo) {
                throw new IllegalStateException("no cookie keyset configured: set " + KEYSET_VARIABLE
                        + " or give a keyset file (make one with SealedCookieSessions.generateKeyset());"
                        + " only demo mode may generate a throwaway key");
            }
            if (keyset == null) {
                LOG.warn("sealed cookies with a throwaway key: sessions die with this process (demo mode)");
                keyset = generateKeyset();
            }
            try {
                return new SealedCookieSessions(this, parse(keyset));
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("the cookie keyset does not parse: " + e.getMessage(), e);
            }
        }
    }
}
