package dev.satchel.cluster;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStoreUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * At most one synchronous save of a session in flight from this node, from before it is stamped
 * until its answers (and the repair they may ask for) are in. Saves on links ({@link AnswerLinks})
 * travel on connections of their own, so two saves of a session in flight at once could reach a
 * replica in either order; one at a time, each arrives after the one before it was applied. Taken
 * before the session's lock and never while holding it, so a save waiting here holds up nothing
 * the one in flight needs. Reentrant: a save that ends its session when a replica refused it goes
 * through. Thread-safe.
 */
final class SaveGate {
    private record Holder(Thread thread, CountDownLatch done) {}

    private final Map<SessionId, Holder> held = new ConcurrentHashMap<>();
    private final Duration wait;

    /** {@code wait}: how long a save waits for the one in flight before it fails. */
    SaveGate(Duration wait) {
        this.wait = wait;
    }

    /** What {@link #enter} returns: closing it lets the session's next save go. */
    interface Passage extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Waits until no other save of the changed session (nor of the session it renames) is in
     * flight here, then holds them.
     *
     * @throws SessionStoreUnavailableException if the save in flight took longer than the wait
     */
    Passage enter(ChangeSet changes) {
        List<SessionId> ids = new ArrayList<>(2);
        ids.add(changes.id());
        changes.previousId().ifPresent(ids::add);
        ids.sort(Comparator.comparing(SessionId::value)); // one order: two renames never wait on each other
        List<Runnable> exits = new ArrayList<>(2);
        try {
            for (SessionId id : ids) {
                exits.add(take(id));
            }
        } catch (RuntimeException e) {
            exits.forEach(Runnable::run);
            throw e;
        }
        return () -> exits.forEach(Runnable::run);
    }

    private Runnable take(SessionId id) {
        Thread me = Thread.currentThread();
        long deadline = System.nanoTime() + wait.toNanos();
        Holder mine = new Holder(me, new CountDownLatch(1));
        while (true) {
            Holder other = held.putIfAbsent(id, mine);
            if (other == null) {
                return () -> {
                    held.remove(id, mine);
                    mine.done().countDown();
                };
            }
            if (other.thread() == me) {
                return () -> {}; // this thread holds it already, further up its stack
            }
            long left = deadline - System.nanoTime();
            try {
                if (left <= 0 || !other.done().await(left, TimeUnit.NANOSECONDS)) {
                    throw new SessionStoreUnavailableException(
                            "another save of this session is still waiting for the cluster's answers", null);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SessionStoreUnavailableException("interrupted while waiting to save", e);
            }
        }
    }

    /** Sessions with a save in flight here (for tests and metrics). */
    int inFlight() {
        return held.size();
    }
}
