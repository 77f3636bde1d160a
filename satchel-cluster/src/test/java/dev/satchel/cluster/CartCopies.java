package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The race tests' sessions: a "cart" attribute, created and set now, and one node's copy of it
 * read and waited for.
 */
final class CartCopies {
    private CartCopies() {}

    /** A new session holding {@code cart}: 30 minutes idle, 8 hours at most. */
    static ChangeSet create(SessionId id, String cart) {
        Instant now = Instant.now();
        return ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)))
                .created()
                .accessedAt(now)
                .maxInactiveInterval(Duration.ofMinutes(30))
                .set("cart", cart.getBytes(StandardCharsets.UTF_8))
                .build();
    }

    /** A save that sets the cart of a session. */
    static ChangeSet setCart(SessionId id, String cart) {
        Instant now = Instant.now();
        return ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)))
                .set("cart", cart.getBytes(StandardCharsets.UTF_8))
                .build();
    }

    static String cart(Optional<SessionRecord> copy) {
        return copy.map(r -> WritesDuringJoin.text(r.attributes().get("cart"))).orElse("<none>");
    }

    /** Waits up to 5 s for the copy's cart to read {@code expected}, then asserts it does. */
    static void awaitCart(Supplier<Optional<SessionRecord>> copy, String expected, String why)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!cart(copy.get()).equals(expected) && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(10);
        }
        assertThat(cart(copy.get())).as(why).isEqualTo(expected);
    }

    /** Waits up to 5 s until the copy is gone (handed over), then asserts it is. */
    static void awaitGone(Supplier<Optional<SessionRecord>> copy, String why) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (copy.get().isPresent() && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(10);
        }
        assertThat(copy.get()).as(why).isEmpty();
    }
}
