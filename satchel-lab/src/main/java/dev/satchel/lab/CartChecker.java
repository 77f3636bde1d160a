package dev.satchel.lab;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What one shopper's session must hold, and the judge of every cart the shop shows that shopper
 * and of whether a shopper who logged in still is.
 * The model is the last acknowledged cart (an answered write, or a cart the shop showed) and the
 * writes whose outcome is unknown (a 5xx, a timeout), which stay pending until a cart shows them:
 * such a write may have applied before its error, or may still apply later (a request held in the
 * network while a link is down is delivered when it heals), so any of them may appear in any later
 * cart, once, in any order. Every cart the pending writes can make from the acknowledged one is
 * allowed; any other is an anomaly, classified by its version against the acknowledged history. A
 * shopper sends one request at a time, so the model is exact. After a finding the model takes the
 * shop's cart as the truth, so one loss is counted once. Not thread-safe: one shopper's requests
 * are sequential.
 */
final class CartChecker {
    /** What the checker found wrong with one response. */
    record Finding(AnomalyKind kind, String detail) {}

    /** Beyond this many possible carts the model gives up on the shopper's next answer (never seen: a visit has four writes). */
    private static final int MAX_POSSIBLE = 256;

    /**
     * One cart the session may hold, and the unknown writes not in it, which may still apply.
     *
     * @param cart the cart
     * @param pending the unknown writes this cart does not hold yet
     */
    private record Possible(CartState cart, List<CartChange> pending) {
        Possible {
            pending = List.copyOf(pending);
        }
    }

    private CartState acknowledged = CartState.EMPTY;
    /** Every cart the session may hold now, each with the unknown writes still pending on it. */
    private Set<Possible> possible = Set.of(new Possible(CartState.EMPTY, List.of()));
    /** More unknown writes than the model follows: the next answer is taken as the truth. */
    private boolean anything;
    /** Acknowledged carts of this session's life by version: an older one seen again is a stale read. */
    private final Map<Long, CartState> history = new HashMap<>();
    /** The account the shop acknowledged this session logged in to; empty while anonymous. */
    private Optional<String> user = Optional.empty();
    /**
     * A login's outcome is unknown: if it applied, the shop gave the session a new id in an answer
     * that never arrived and ended the id this shopper still sends, so a new session is explained.
     */
    private boolean idMayHaveChanged;

    CartState acknowledged() {
        return acknowledged;
    }

    /** A write answered 2xx with the cart after it. */
    Optional<Finding> written(CartChange change, CartState answered) {
        Set<Possible> after = new LinkedHashSet<>();
        for (Possible p : withLateWrites(possible)) {
            after.add(new Possible(p.cart().apply(change), p.pending()));
        }
        Set<Possible> matching = matching(withLateWrites(after), answered);
        if (anything || !matching.isEmpty()) {
            resync(answered, matching);
            return Optional.empty();
        }
        boolean newSession = answered.equals(CartState.EMPTY.apply(change)) || answered.isNew();
        if (newSession && idMayHaveChanged) {
            restart(answered);
            return Optional.empty();
        }
        Finding finding;
        if (!acknowledged.isNew() && newSession) {
            finding = new Finding(
                    AnomalyKind.LOST_SESSION,
                    change + " answered " + answered + " on a new session; the session held " + acknowledged);
            user = Optional.empty(); // the login went with the session: not a second loss
        } else {
            finding = new Finding(
                    AnomalyKind.LOST_WRITE,
                    change + " answered " + answered + ", expected " + acknowledged.apply(change));
        }
        restart(answered);
        return Optional.of(finding);
    }

    /** A write that failed or whose answer never came: it may have applied, or may apply later. */
    void unknownOutcome(CartChange change) {
        Set<Possible> next = new LinkedHashSet<>();
        for (Possible p : possible) {
            List<CartChange> pending = new ArrayList<>(p.pending());
            pending.add(change);
            next.add(new Possible(p.cart(), pending));
        }
        possible = next;
        if (withLateWrites(possible).size() > MAX_POSSIBLE) {
            anything = true;
        }
    }

    /** A read answered 2xx with the cart. */
    Optional<Finding> read(CartState answered) {
        Set<Possible> matching = matching(withLateWrites(possible), answered);
        if (anything || !matching.isEmpty()) {
            resync(answered, matching); // whichever unknown writes applied, this is the session now
            return Optional.empty();
        }
        if (answered.isNew() && idMayHaveChanged) {
            restart(answered);
            return Optional.empty();
        }
        if (answered.isNew() && !acknowledged.isNew()) {
            Finding lost =
                    new Finding(AnomalyKind.LOST_SESSION, "read a new, empty cart; the session held " + acknowledged);
            user = Optional.empty(); // the login went with the session: not a second loss
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
        user = Optional.empty();
        restart(CartState.EMPTY);
    }

    /** A login answered 2xx: the session now belongs to {@code username}, and keeps its cart. */
    void loggedIn(String username) {
        user = Optional.of(username);
        idMayHaveChanged = false;
    }

    /**
     * A login failed with a 5xx or its answer never came. It may have applied, giving the session a
     * new id the shopper never saw and ending the one it holds, and it may apply late (a login a
     * node finished after the shopper gave up), after answers that still showed the old session:
     * so the next new, empty session the shopper meets is not a loss (the login is counted as
     * indeterminate). One unknown login excuses one new session, no more.
     */
    void loginUnknown() {
        idMayHaveChanged = true;
    }

    /** The account the session is logged in to, as far as the shop acknowledged. */
    Optional<String> user() {
        return user;
    }

    /**
     * The shop's answer to "who am I" ({@code /api/me}): {@code status} and the user name it gave
     * (empty unless 200). A logged-in session that answers 401, or answers as someone else, was lost:
     * the shopper was logged out without asking. An anonymous session has nothing to lose here.
     */
    Optional<Finding> whoAmI(int status, Optional<String> answeredUser) {
        if (user.isEmpty()) {
            return Optional.empty();
        }
        if (status == 200 && answeredUser.equals(user)) {
            return Optional.empty();
        }
        String was = user.get();
        Finding lost = new Finding(
                AnomalyKind.LOST_SESSION,
                "logged in as " + was + ", but /api/me answered "
                        + (status == 200 ? "as " + answeredUser.orElse("nobody") : "HTTP " + status));
        user = Optional.empty();
        restart(CartState.EMPTY); // the cart went with the session: its loss is this one
        return Optional.of(lost);
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

    /**
     * The shop showed a cart the model allowed ({@code matching}: the ways it could have come
     * about): it is the one truth now, and part of the history. The unknown writes it does not
     * hold stay pending.
     */
    private void resync(CartState cart, Set<Possible> matching) {
        acknowledged = cart;
        possible = matching.isEmpty() ? Set.of(new Possible(cart, List.of())) : Set.copyOf(matching);
        anything = false;
        history.put(cart.version(), cart);
    }

    /** After a finding or a logout: the history so far, and any write pending, no longer describe this session. */
    private void restart(CartState cart) {
        history.clear();
        idMayHaveChanged = false;
        resync(cart, Set.of());
    }

    /** The carts among {@code candidates} equal to {@code cart}. */
    private static Set<Possible> matching(Set<Possible> candidates, CartState cart) {
        Set<Possible> found = new LinkedHashSet<>();
        for (Possible p : candidates) {
            if (p.cart().equals(cart)) {
                found.add(p);
            }
        }
        return found;
    }

    /** {@code from}, and every cart its pending writes make when some of them apply, in any order. */
    private static Set<Possible> withLateWrites(Set<Possible> from) {
        Set<Possible> all = new LinkedHashSet<>(from);
        java.util.Deque<Possible> todo = new java.util.ArrayDeque<>(from);
        while (!todo.isEmpty() && all.size() <= MAX_POSSIBLE) {
            Possible p = todo.pop();
            for (int i = 0; i < p.pending().size(); i++) {
                List<CartChange> rest = new ArrayList<>(p.pending());
                CartChange applied = rest.remove(i);
                Possible next = new Possible(p.cart().apply(applied), rest);
                if (all.add(next)) {
                    todo.push(next);
                }
            }
        }
        return all;
    }
}
