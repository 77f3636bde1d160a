package dev.satchel.demo;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Slows password guessing with growing delays, never a lockout an attacker can impose on someone
 * else (OWASP's authentication cheat sheet). Counters live in the users database, so a guess counts
 * on whichever node it lands. Three counters of failed logins:
 *
 * <ul>
 *   <li>per account and client address: after 5 failures, that address waits 1 s, then 2, 4, ... up
 *       to 15 min before trying that account again; the owner elsewhere is untouched;
 *   <li>per client address: after 20 failures on any accounts, the address waits the same way;
 *   <li>per account: after 10 failures from anywhere (a distributed attack), every address that has
 *       already failed on it waits; an address that has not, such as the owner's, does not.
 * </ul>
 *
 * <p>A success clears the account's counters; a counter quiet for an hour starts again. Sign-ups
 * are counted per address the same way (20 free). Names are counted whether or not the account
 * exists, so a delay reveals nothing. Thread-safe.
 */
final class LoginThrottle {
    static final int FREE_PER_ACCOUNT_AND_ADDRESS = 5;
    static final int FREE_PER_ADDRESS = 20;
    static final int FREE_PER_ACCOUNT = 10;
    static final int FREE_SIGNUPS_PER_ADDRESS = 20;
    static final Duration FIRST_DELAY = Duration.ofSeconds(1);
    static final Duration MAX_DELAY = Duration.ofMinutes(15);

    /** Longer than the longest delay, or a patient attacker would find every counter reset. */
    static final Duration FORGET_AFTER = Duration.ofHours(1);

    /** Stale counters are purged on every this many recorded hits. */
    private static final int PURGE_EVERY = 1_000;

    private final UserStore store;
    private final Clock clock;
    private final AtomicInteger sincePurge = new AtomicInteger();

    LoginThrottle(UserStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** How long this address must wait before trying this name again, if it must. */
    Optional<Duration> loginWait(String username, String address) {
        String pair = pairKey(username, address);
        String account = accountKey(username);
        String from = addressKey(address);
        Map<String, UserStore.Hits> hits = store.hits(List.of(pair, account, from));
        Instant now = clock.instant();
        Duration wait = longest(
                waitFor(hits.get(pair), FREE_PER_ACCOUNT_AND_ADDRESS, now),
                waitFor(hits.get(from), FREE_PER_ADDRESS, now));
        if (hits.containsKey(pair) && fresh(hits.get(pair), now)) {
            wait = longest(wait, waitFor(hits.get(account), FREE_PER_ACCOUNT, now));
        }
        return wait.isZero() ? Optional.empty() : Optional.of(wait);
    }

    void loginFailed(String username, String address) {
        record(List.of(pairKey(username, address), accountKey(username), addressKey(address)));
    }

    void loginSucceeded(String username, String address) {
        store.forget(List.of(pairKey(username, address), accountKey(username)));
    }

    /** How long this address must wait before signing up again, if it must. */
    Optional<Duration> signupWait(String address) {
        String key = signupKey(address);
        Duration wait = waitFor(store.hits(List.of(key)).get(key), FREE_SIGNUPS_PER_ADDRESS, clock.instant());
        return wait.isZero() ? Optional.empty() : Optional.of(wait);
    }

    void signedUp(String address) {
        record(List.of(signupKey(address)));
    }

    private void record(List<String> keys) {
        Instant now = clock.instant();
        store.hit(keys, now, now.minus(FORGET_AFTER));
        if (sincePurge.incrementAndGet() % PURGE_EVERY == 0) {
            store.forgetOlderThan(now.minus(FORGET_AFTER));
        }
    }

    /** Nothing for the free hits, then FIRST_DELAY doubling per hit up to MAX_DELAY, from the last one. */
    private static Duration waitFor(UserStore.Hits hits, int free, Instant now) {
        if (hits == null || !fresh(hits, now) || hits.count() < free) {
            return Duration.ZERO;
        }
        int doublings = Math.min(hits.count() - free, 20);
        Duration delay = FIRST_DELAY.multipliedBy(1L << doublings);
        Duration left = Duration.between(now, hits.last().plus(delay.compareTo(MAX_DELAY) > 0 ? MAX_DELAY : delay));
        return left.isNegative() ? Duration.ZERO : left;
    }

    private static boolean fresh(UserStore.Hits hits, Instant now) {
        return !hits.last().isBefore(now.minus(FORGET_AFTER));
    }

    private static Duration longest(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static String accountKey(String username) {
        return "login-account:" + username.toLowerCase(Locale.ROOT);
    }

    private static String addressKey(String address) {
        return "login-address:" + address;
    }

    private static String pairKey(String username, String address) {
        return "login-pair:" + address + " " + username.toLowerCase(Locale.ROOT);
    }

    private static String signupKey(String address) {
        return "signup-address:" + address;
    }
}
