package dev.satchel.cluster;

import dev.satchel.core.SessionId;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * One lock per session, striped: a node's own saves of a session are applied here and handed to
 * the network under it, so every replica receives them in the order this node applied them; and
 * copies, saves and deletes arriving from several nodes at once apply one at a time.
 */
final class SessionLocks {
    private static final int STRIPES = 1024;
    private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];

    SessionLocks() {
        for (int i = 0; i < STRIPES; i++) {
            stripes[i] = new ReentrantLock();
        }
    }

    <T> T with(SessionId id, Supplier<T> action) {
        ReentrantLock lock = stripes[stripe(id)];
        lock.lock();
        try {
            return action.get();
        } finally {
            lock.unlock();
        }
    }

    /** Holds both sessions' locks, taken in stripe order so two renames never wait on each other. */
    <T> T with(SessionId first, SessionId second, Supplier<T> action) {
        int a = stripe(first);
        int b = stripe(second);
        if (a == b) {
            return with(first, action);
        }
        ReentrantLock low = stripes[Math.min(a, b)];
        ReentrantLock high = stripes[Math.max(a, b)];
        low.lock();
        try {
            high.lock();
            try {
                return action.get();
            } finally {
                high.unlock();
            }
        } finally {
            low.unlock();
        }
    }

    private static int stripe(SessionId id) {
        return (id.hashCode() & 0x7fffffff) % STRIPES;
    }
}
