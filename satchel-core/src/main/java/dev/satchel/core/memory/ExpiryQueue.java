package dev.satchel.core.memory;

import dev.satchel.core.SessionId;
import java.time.Instant;
import java.util.Comparator;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.function.Function;

/**
 * Deadlines ordered by time, so reclaiming expired sessions looks only at sessions whose last known
 * deadline has passed and never scans live ones.
 *
 * <p>A touch does not reschedule: a session stays queued at its old deadline, and when that comes
 * due the caller re-reads the session and reschedules it if it was touched since. Each session has
 * one current entry; {@code scheduled} tells a current entry from a superseded one. Thread-safe.
 */
final class ExpiryQueue {
    private record Entry(Instant due, SessionId id) {}

    private static final Comparator<Entry> ORDER =
            Comparator.comparing(Entry::due).thenComparing(e -> e.id().value());

    private final ConcurrentSkipListSet<Entry> queue = new ConcurrentSkipListSet<>(ORDER);
    private final ConcurrentHashMap<SessionId, Instant> scheduled = new ConcurrentHashMap<>();

    /** Schedules (or reschedules) the session's next check at {@code due}. */
    void schedule(SessionId id, Instant due) {
        Instant previous = scheduled.put(id, due);
        if (previous != null && !previous.equals(due)) {
            queue.remove(new Entry(previous, id));
        }
        queue.add(new Entry(due, id));
    }

    /** Forgets a session that is gone. */
    void cancel(SessionId id) {
        Instant previous = scheduled.remove(id);
        if (previous != null) {
            queue.remove(new Entry(previous, id));
        }
    }

    /**
     * Hands every session due by {@code now} to {@code check}, which returns the session's next
     * deadline, or {@code null} when the session is gone. Returns how many were checked.
     */
    int drainDue(Instant now, Function<SessionId, Instant> check) {
        int checked = 0;
        Entry head;
        while ((head = queue.pollFirst()) != null) {
            if (head.due().isAfter(now)) {
                queue.add(head);
                break;
            }
            if (!head.due().equals(scheduled.get(head.id()))) {
                continue; // superseded by a later schedule() for the same id
            }
            checked++;
            Instant next = check.apply(head.id());
            if (next == null) {
                scheduled.remove(head.id(), head.due());
            } else {
                schedule(head.id(), next);
            }
        }
        return checked;
    }

    /** Number of sessions with a pending check. */
    int size() {
        return scheduled.size();
    }
}
