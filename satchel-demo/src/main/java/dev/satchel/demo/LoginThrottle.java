package dev.satchel.demo;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows password guessing per account: after 5 consecutive failures a name is locked for 30 s,
 * doubling with each further failure up to 15 min; a success clears it. Keyed by name whether or
 * not the account exists, so the lock itself reveals nothing. Per node; a cluster-wide throttle would
 * live in the user database. Thread-safe.
 */
final class LoginThrottle {
    static final int FREE_ATTEMPTS = 5;
    static final Duration FIRST_LOCK = Duration.ofSeconds(30);
    static final Duration MAX_LOCK = Duration.ofMinutes(15);
    private static final int MAX_TRACKED = 100_000;

    private record State(int failures, Instant lockedUntil) {}

    private final Clock clock;
    private final ConcurrentHashMap<String, State> states = new ConcurrentHashMap<>();

    LoginThrottle(Clock clock) {
        this.clock = clock;
    }

    /** How long the name must wait before its next attempt, if it must. */
    Optional<Duration> waitFor(String username) {
        State s = states.get(key(username));
        if (s == null) {
            return Optional.empty();
        }
        Duration left = Duration.between(clock.instant(), s.lockedUntil());
        return left.isNegative() || left.isZero() ? Optional.empty() : Optional.of(left);
    }

    void failed(String username) {
        if (states.size() >= MAX_TRACKED) {
            Instant now = clock.instant();
            states.values().removeIf(s -> s.lockedUntil().isBefore(now.minus(MAX_LOCK)));
        }
        states.compute(key(username), (k, s) -> {
            int failures = s == null ? 1 : s.failures() + 1;
            Instant until = clock.instant();
            if (failures >= FREE_ATTEMPTS) {
                long doublings = Math.min(failures - FREE_ATTEMPTS, 20);
                Duration lock = FIRST_LOCK.multipliedBy(1L << doublings);
                until = until.plus(lock.compareTo(MAX_LOCK) > 0 ? MAX_LOCK : lock);
            }
            return new State(failures, until);
        });
    }

    void succeeded(String username) {
        states.remove(key(username));
    }

    private static String key(String username) {
        return username.toLowerCase(Locale.ROOT);
    }
}
