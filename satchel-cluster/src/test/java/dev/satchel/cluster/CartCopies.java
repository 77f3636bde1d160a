package dev.satchel.cluster;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.testkit.Await;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The race tests' sessions: a "cart" attribute, created and set now, and one node's copy of it
 * read and waited for.
 */
final class CartCopies {
    private CartCopies() {}

    /** A new session holding {@code cart}: 30 minutes idle, 8 hours at most. */
    static ChangeSet create(SessionId id, String cart) {
        return create(id, cart, Instant.now());
    }

    /** As above, made at {@code now} (for a store on a fixed clock). */
    static ChangeSet create(SessionId id, String cart, Instant now) {
        return ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)))
                .created()
                .accessedAt(now)
                .maxInactiveInterval(Duration.ofMinutes(30))
                .set("cart", cart.getBytes(StandardCharsets.UTF_8))
                .build();
    }

    /** A save that sets the cart of a session. */
    static ChangeSet setCart(SessionId id, String cart) {
        return setCart(id, cart, Instant.now());
    }

    /** As above, made at {@code now}. */
    static ChangeSet setCart(SessionId id, String cart, Instant now) {
        return ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)))
                .set("cart", cart.getBytes(StandardCharsets.UTF_8))
                .build();
    }

    static String cart(Optional<SessionRecord> copy) {
        return copy.map(r -> WritesDuringJoin.text(r.attributes().get("cart"))).orElse("<none>");
    }

    /** Waits up to 5 s for the copy's cart to read {@code expected}. */
    static void awaitCart(Supplier<Optional<SessionRecord>> copy, String expected, String why) {
        Await.until(
                Duration.ofSeconds(5), () -> cart(copy.get()), expected::equals, why + " to read \"" + expected + "\"");
    }

    /** Waits up to 5 s until the copy is gone (handed over). */
    static void awaitGone(Supplier<Optional<SessionRecord>> copy, String why) {
        Await.until(Duration.ofSeconds(5), copy::get, Optional::isEmpty, why + " to be gone");
    }
}
