package dev.satchel.store.redis;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStore.SaveOutcome;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Id changes (logins) racing other requests on one session, each request on its own store, as on
 * two app nodes. Every method runs many trials, each started by one latch so the requests reach
 * Redis together, and counts the trials that broke the promise; the caller asserts zero. Owns the
 * two stores it is given and closes them.
 */
final class IdChangeRaces implements AutoCloseable {
    private static final Duration IDLE = Duration.ofMinutes(30);
    private static final Duration ABSOLUTE = Duration.ofHours(8);

    private final RedisSessionStore first;
    private final RedisSessionStore second;
    private final Clock clock;
    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    IdChangeRaces(RedisSessionStore first, RedisSessionStore second, Clock clock) {
        this.first = first;
        this.second = second;
        this.clock = clock;
    }

    /** What a double-submitted login left behind. */
    record DoubleLogins(int trials, int withTwoLiveIds, int withNoLiveId) {}

    /**
     * The same login submitted twice: both requests carry the old id and give the session a new id
     * each, owned by {@code user}. Exactly one id may be live afterwards.
     */
    DoubleLogins doubleLogins(int trials, String user) throws Exception {
        int two = 0;
        int none = 0;
        for (int t = 0; t < trials; t++) {
            SessionId old = createSession();
            SessionId a = SessionId.random();
            SessionId b = SessionId.random();
            race(() -> first.save(login(old, a, user)), () -> second.save(login(old, b, user)));
            int live = (isLive(old) ? 1 : 0) + (isLive(a) ? 1 : 0) + (isLive(b) ? 1 : 0);
            two += live > 1 ? 1 : 0;
            none += live == 0 ? 1 : 0;
        }
        return new DoubleLogins(trials, two, none);
    }

    /** What saves to the old id that raced a rename came to. */
    record SavesDuringRename(int trials, int acknowledged, int lost, int trialsWithALoss) {}

    /**
     * One request renames the session while another keeps saving new attributes under the old id
     * until it hears GONE. Every save acknowledged (UPDATED) must be in the renamed session.
     */
    SavesDuringRename savesToTheOldIdDuringARename(int trials, int savesPerTrial) throws Exception {
        int acknowledged = 0;
        int lost = 0;
        int trialsWithALoss = 0;
        for (int t = 0; t < trials; t++) {
            SessionId old = createSession();
            SessionId renamed = SessionId.random();
            List<String> acked = new ArrayList<>();
            race(() -> first.save(rename(old, renamed).build()), () -> {
                for (int i = 0; i < savesPerTrial; i++) {
                    String name = "k" + i;
                    SaveOutcome outcome = second.save(change(old)
                            .set(name, name.getBytes(StandardCharsets.UTF_8))
                            .build());
                    if (outcome != SaveOutcome.UPDATED) {
                        break;
                    }
                    acked.add(name);
                }
                return null;
            });
            java.util.Set<String> kept =
                    first.load(renamed).map(r -> r.attributes().keySet()).orElse(java.util.Set.of());
            int missing = (int) acked.stream().filter(n -> !kept.contains(n)).count();
            acknowledged += acked.size();
            lost += missing;
            trialsWithALoss += missing > 0 ? 1 : 0;
        }
        return new SavesDuringRename(trials, acknowledged, lost, trialsWithALoss);
    }

    /** What a logout racing a rename came to. */
    record LogoutsDuringRename(int trials, int logoutsUndone, int sessionsLost, int logoutsThatWon) {}

    /**
     * One request renames the session while another logs it out by its old id. Either the logout
     * came first (it reports a deletion, and no id is live) or the rename did (the logout finds
     * nothing, and the new id is live). A logout that reports a deletion while the session lives on
     * under the new id is undone.
     */
    LogoutsDuringRename logoutsDuringARename(int trials) throws Exception {
        int undone = 0;
        int lost = 0;
        int logoutsWon = 0;
        for (int t = 0; t < trials; t++) {
            SessionId old = createSession();
            SessionId renamed = SessionId.random();
            List<Object> got = race(
                    () -> first.save(rename(old, renamed).build()),
                    () -> second.save(change(old).invalidated().build()));
            boolean loggedOut = got.get(1) == SaveOutcome.INVALIDATED;
            boolean live = isLive(renamed);
            undone += loggedOut && live ? 1 : 0;
            lost += !loggedOut && !live ? 1 : 0;
            logoutsWon += loggedOut ? 1 : 0;
            if (isLive(old)) {
                throw new AssertionError("the old id outlived both a rename and a logout");
            }
        }
        return new LogoutsDuringRename(trials, undone, lost, logoutsWon);
    }

    private boolean isLive(SessionId id) {
        return first.load(id).isPresent();
    }

    private SessionId createSession() {
        SessionId id = SessionId.random();
        Instant now = clock.instant();
        first.save(ChangeSet.builder(id, now, now.plus(ABSOLUTE))
                .created()
                .accessedAt(now)
                .maxInactiveInterval(IDLE)
                .set("cart", "[1]".getBytes(StandardCharsets.UTF_8))
                .build());
        return id;
    }

    private ChangeSet.Builder change(SessionId id) {
        Instant now = clock.instant();
        return ChangeSet.builder(id, now, now.plus(ABSOLUTE));
    }

    private ChangeSet.Builder rename(SessionId old, SessionId renamed) {
        return change(old).changeId(renamed).accessedAt(clock.instant());
    }

    private ChangeSet login(SessionId old, SessionId renamed, String user) {
        return rename(old, renamed).principal(PrincipalChange.to(user)).build();
    }

    /** Runs both at once and returns their results in order. */
    private List<Object> race(Callable<?> left, Callable<?> right) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        for (Callable<?> task : List.of(left, right)) {
            futures.add(pool.submit(() -> {
                start.await();
                return task.call();
            }));
        }
        start.countDown();
        List<Object> results = new ArrayList<>();
        for (Future<?> f : futures) {
            results.add(f.get(30, TimeUnit.SECONDS)); // a guard against a hang, not a timing
        }
        return results;
    }

    /** Closes both stores too: they are built for the races and shared with no one. */
    @Override
    public void close() {
        pool.shutdownNow();
        // A store left open keeps its Redis client polling the servers after the test stopped them.
        first.close();
        second.close();
    }
}
