package dev.satchel.lab;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What one shopper's session must hold, and the judge of every cart the shop shows that shopper.
 * The model is the last acknowledged cart (an answered write), plus, after a write whose outcome is
 * unknown, the cart it would have made. A shopper sends one request at a time, so the model is
 * exact: any other cart is an anomaly, classified by its version against the acknowledged history.
 * After a finding the model takes the shop's cart as the truth, so one loss is counted once.
 * Not thread-safe: one shopper's requests are sequential.
 */
final class CartChecker {
    /** What the checker found wrong with one response. */
    record Finding(AnomalyKind kind, String detail) {}

    private CartState acknowledged = CartState.EMPTY;
    /** The cart if the last write whose answer never came did apply. */
    private Optional<CartState> ifUnknownApplied = Optional.empty();
    /** Acknowledged carts of this session's life by version: an older one seen again is a stale read. */
    private final Map<Long, CartState> history = new HashMap<>();

    CartState acknowledged() {
        return acknowledged;
    }

    /** A write answered 2xx with the cart after it. */
    Optional<Finding> written(CartChange change, CartState answered) {
        List<CartState> expected = ifUnknownApplied.isPresent()
                ? List.of(acknowledged.apply(change), ifUnknownApplied.get().apply(change))
                : List.of(acknowledged.apply(change));
        ifUnknownApplied = Optional.empty();
        if (expected.contains(answered)) {
            adopt(answered);
            return Optional.empty();
        }
        Finding finding;
        if (!acknowledged.isNew() && (answered.equals(CartState.EMPTY.apply(change)) || answered.isNew())) {
            finding = new Finding(
                    AnomalyKind.LOST_SESSION,
                    change + " answered " + answered + " on a new session; the session held " + acknowledged);
        } else {
            finding = new Finding(
                    AnomalyKind.LOST_WRITE, change + " answered " + answered + ", expected " + expected.get(0));
        }
        resync(answered);
        return Optional.of(finding);
    }

    /** A write that failed or whose answer never came: it may or may not have applied. */
    void unknownOutcome(CartChange change) {
        CartState base = ifUnknownApplied.orElse(acknowledged);
        ifUnknownApplied = Optional.of(base.apply(change));
    }

    /** A read answered 2xx with the cart. */
    Optional<Finding> read(CartState answered) {
        if (answered.equals(acknowledged)) {
            ifUnknownApplied = Optional.empty(); // the unknown write did not apply
            return Optional.empty();
        }
        if (ifUnknownApplied.isPresent() && answered.equals(ifUnknownApplied.get())) {
            adopt(answered);
            ifUnknownApplied = Optional.empty();
            return Optional.empty();
        }
        if (answered.isNew() && !acknowledged.isNew()) {
            Finding lost =
                    new Finding(AnomalyKind.LOST_SESSION, "read a new, empty cart; the session held " + acknowledged);
            resync(answered);
            return Optional.of(lost);
        }
        if (answered.version() < acknowledged.version() && answered.equals(history.get(answered.version()))) {
            // Not adopted: the newer copy may still exist elsewhere, and the next write will tell.
            return Optional.of(new Finding(
                    AnomalyKind.STALE_READ, "read " + answered + ", older than the acknowledged " + acknowledged));
        }
        Finding lost = new Finding(AnomalyKind.LOST_WRITE, "read " + answered + ", expected " + acknowledged);
        resync(answered);
        return Optional.of(lost);
    }

    /** The shopper logged out (answered 2xx): the session is gone, and with it the cart. */
    void loggedOut() {
        acknowledged = CartState.EMPTY;
        ifUnknownApplied = Optional.empty();
        history.clear();
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

    private void adopt(CartState cart) {
        acknowledged = cart;
        history.put(cart.version(), cart);
    }

    private void resync(CartState cart) {
        history.clear();
        ifUnknownApplied = Optional.empty();
        adopt(cart);
    }
}
