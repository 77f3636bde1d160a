package dev.satchel.lab;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What one shopper's session must hold, and the judge of every cart the shop shows that shopper.
 * The model is the last acknowledged cart (an answered write) and, after writes whose outcome is
 * unknown, every cart that some of them applying would have made: a write answered 503 may have
 * applied before the error, and the one after it may not, so each unknown write doubles the carts
 * the shopper may find. A shopper sends one request at a time, so the model is exact: any other
 * cart is an anomaly, classified by its version against the acknowledged history. After a finding
 * the model takes the shop's cart as the truth, so one loss is counted once. Not thread-safe: one
 * shopper's requests are sequential.
 */
final class CartChecker {
    /** What the checker found wrong with one response. */
    record Finding(AnomalyKind kind, String detail) {}

    /** Beyond this many possible carts the model gives up on the shopper's next answer (never seen: a visit has four writes). */
    private static final int MAX_POSSIBLE = 256;

    private CartState acknowledged = CartState.EMPTY;
    /** Every cart the session may hold now: the acknowledged one, and those unknown writes may have made. */
    private Set<CartState> possible = Set.of(CartState.EMPTY);
    /** More unknown writes than the model follows: the next answer is taken as the truth. */
    private boolean anything;
    /** Acknowledged carts of this session's life by version: an older one seen again is a stale read. */
    private final Map<Long, CartState> history = new HashMap<>();

    CartState acknowledged() {
        return acknowledged;
    }

    /** A write answered 2xx with the cart after it. */
    Optional<Finding> written(CartChange change, CartState answered) {
        Set<CartState> expected = new LinkedHashSet<>();
        possible.forEach(p -> expected.add(p.apply(change)));
        if (anything || expected.contains(answered)) {
            resync(answered);
            return Optional.empty();
        }
        Finding finding;
        if (!acknowledged.isNew() && (answered.equals(CartState.EMPTY.apply(change)) || answered.isNew())) {
            finding = new Finding(
                    AnomalyKind.LOST_SESSION,
                    change + " answered " + answered + " on a new session; the session held " + acknowledged);
        } else {
            finding = new Finding(
                    AnomalyKind.LOST_WRITE,
                    change + " answered " + answered + ", expected " + acknowledged.apply(change));
        }
        restart(answered);
        return Optional.of(finding);
    }

    /** A write that failed or whose answer never came: it may or may not have applied. */
    void unknownOutcome(CartChange change) {
        Set<CartState> next = new LinkedHashSet<>(possible);
        possible.forEach(p -> next.add(p.apply(change)));
        if (next.size() > MAX_POSSIBLE) {
            anything = true;
        }
        possible = next;
    }

    /** A read answered 2xx with the cart. */
    Optional<Finding> read(CartState answered) {
        if (anything || possible.contains(answered)) {
            resync(answered); // whichever unknown writes applied, this is the session now
            return Optional.empty();
        }
        if (answered.isNew() && !acknowledged.isNew()) {
            Finding lost =
                    new Finding(AnomalyKind.LOST_SESSION, "read a new, empty cart; the session held " + acknowledged);
            restart(answered);
            return Optional.of(lost);
        }
        if (answered.version() < acknowledged.version() && answered.equals(history.get(answered.version()))) {
            // Not adopted: the newer copy may still exist elsewhere, and the next write will tell.
            return Optional.of(new Finding(
                    AnomalyKind.STALE_READ, "read " + answered + ", older than the acknowledged " + acknowledged));
        }
        Finding lost = new Finding(AnomalyKind.LOST_WRITE, "read " + answered + ", expected " + acknowledged);
        restart(answered);
        return Optional.of(lost);
    }

    /** The shopper logged out (answered 2xx): the session is gone, and with it the cart. */
    void loggedOut() {
        restart(CartState.EMPTY);
    }

    /**
     * The cart a request showed when it carried the cookie from before a logout: anything but a new
     * cart means the ended session opened again.
     */
    static Optional<Finding> replayedAfterLogout(CartState answered, CartState beforeLogout) {
        if (answered.isNew()) {
            return Optional.empty();
        }
        return Optional.of(new Finding(
                AnomalyKind.RESURRECTED,
                "the cookie from before the logout read " + answered + " (the session held " + beforeLogout + ")"));
    }

    /** The shop showed a cart the model allowed: it is the one truth now, and part of the history. */
    private void resync(CartState cart) {
        acknowledged = cart;
        possible = Set.of(cart);
        anything = false;
        history.put(cart.version(), cart);
    }

    /** After a finding or a logout: the history so far no longer describes this session. */
    private void restart(CartState cart) {
        history.clear();
        resync(cart);
    }
}
