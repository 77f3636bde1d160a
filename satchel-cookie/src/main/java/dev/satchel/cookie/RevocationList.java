package dev.satchel.cookie;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;

/**
 * The small server-side record that makes logout real for sealed sessions: per-session deny
 * entries, kept until the session's absolute deadline, per-user "valid after" times, and, when
 * the freshness check is on, the newest version sealed of each session. It lives
 * in any {@link SessionStore} (memory for one node; Redis or SQL for a cluster), as entries under
 * ids derived by SHA-256 from what they name, so they never collide with real sessions.
 *
 * <p>Cost: one store read per request that opens a sealed session, two if it has a user. Without
 * this record, a sealed session cannot be ended early: a copy of an old cookie replays until its
 * own deadlines, logout or not.
 */
public final class RevocationList {
    private static final String AFTER = "after";
    private static final String NEWEST = "newest";

    private final SessionStore store;
    private final Clock clock;
    private final Duration userEntryLifetime;

    /**
     * Keeps the record in {@code store}.
     *
     * @param userEntryLifetime how long a "log out everywhere" is remembered: at least the longest
     *     absolute session lifetime, after which every session it was meant to end has died anyway
     */
    public RevocationList(SessionStore store, Clock clock, Duration userEntryLifetime) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (userEntryLifetime == null || userEntryLifetime.isNegative() || userEntryLifetime.isZero()) {
            throw new IllegalArgumentException("user entry lifetime must be positive: " + userEntryLifetime);
        }
        this.userEntryLifetime = userEntryLifetime;
    }

    /** Refuses the session {@code id} from now until {@code until}, its absolute deadline. */
    public void deny(SessionId id, Instant until) {
        Instant now = clock.instant();
        if (!until.isAfter(now)) {
            return; // dead anyway
        }
        store.save(ChangeSet.builder(entryId("sid", id.value()), now, until)
                .created()
                .accessedAt(now)
                .maxInactiveInterval(Duration.ZERO)
                .build());
    }

    /** Whether the session {@code id} was denied. */
    public boolean isDenied(SessionId id) {
        return store.load(entryId("sid", id.value())).isPresent();
    }

    /**
     * Whether a session sealed at {@code sealedAt} must be refused: it was denied by id, or its user
     * logged out everywhere after it was sealed. The rule every client-side form shares.
     */
    public boolean refuses(SessionRecord record, Instant sealedAt) {
        return isDenied(record.id())
                || record.principal()
                        .flatMap(this::validAfter)
                        .filter(sealedAt::isBefore)
                        .isPresent();
    }

    /** Refuses every session of {@code principal} sealed before now. */
    public void revokeAllBefore(String principal, Instant instant) {
        SessionId id = entryId("user", principal);
        store.delete(id); // a later "log out everywhere" replaces the earlier one, deadline included
        Instant now = clock.instant();
        store.save(ChangeSet.builder(id, now, now.plus(userEntryLifetime))
                .created()
                .accessedAt(now)
                .maxInactiveInterval(Duration.ZERO)
                .set(
                        AFTER,
                        ByteBuffer.allocate(8).putLong(instant.toEpochMilli()).array())
                .build());
    }

    /** The instant before which sessions of {@code principal} are refused, if any. */
    public Optional<Instant> validAfter(String principal) {
        return store.load(entryId("user", principal))
                .map(r -> r.attributes().get(AFTER))
                .filter(b -> b.length == 8)
                .map(b -> Instant.ofEpochMilli(ByteBuffer.wrap(b).getLong()));
    }

    /**
     * Remembers that {@code record} was sealed, if it is the newest version seen of its session, for
     * {@link #isRolledBack}. The entry lives as long as the session would: it is touched with each
     * seal and takes the session's idle and absolute timeouts. Two requests of one session sealing
     * at once may leave the older of their versions recorded; the check then refuses less, never
     * more.
     */
    public void recordSealed(SessionRecord record) {
        SessionId id = entryId("newest", record.id().value());
        Instant now = clock.instant();
        Optional<Long> newest = store.load(id).flatMap(RevocationList::newestOf);
        if (newest.isPresent() && newest.get() >= record.version()) {
            return;
        }
        byte[] version = ByteBuffer.allocate(8).putLong(record.version()).array();
        ChangeSet.Builder change = ChangeSet.builder(id, now, record.absoluteDeadline())
                .accessedAt(now)
                .set(NEWEST, version);
        if (newest.isPresent() && store.save(change.build()) != SessionStore.SaveOutcome.GONE) {
            return;
        }
        Duration idle = record.maxInactiveInterval().isNegative() ? Duration.ZERO : record.maxInactiveInterval();
        store.save(ChangeSet.builder(id, now, record.absoluteDeadline())
                .created()
                .accessedAt(now)
                .maxInactiveInterval(idle)
                .set(NEWEST, version)
                .build());
    }

    /**
     * Whether {@code record} is older than the newest version of its session sealed while this
     * record was kept: a client replaying a cookie it was sent before (a rollback).
     */
    public boolean isRolledBack(SessionRecord record) {
        return store.load(entryId("newest", record.id().value()))
                .flatMap(RevocationList::newestOf)
                .filter(newest -> newest > record.version())
                .isPresent();
    }

    private static Optional<Long> newestOf(SessionRecord entry) {
        byte[] b = entry.attributes().get(NEWEST);
        return b != null && b.length == 8 ? Optional.of(ByteBuffer.wrap(b).getLong()) : Optional.empty();
    }

    private static SessionId entryId(String kind, String name) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(("satchel-revocation|" + kind + "|" + name).getBytes(StandardCharsets.UTF_8));
            return SessionId.parse(Base64.getUrlEncoder().withoutPadding().encodeToString(digest))
                    .orElseThrow();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
