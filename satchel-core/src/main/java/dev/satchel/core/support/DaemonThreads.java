package dev.satchel.core.support;

import java.util.Objects;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Threads a store starts for its own background work (expiry, sweeps, rebalancing). They are
 * daemons, so a store left open never keeps a JVM alive, and named, so a thread dump says whose
 * they are.
 */
public final class DaemonThreads {
    private DaemonThreads() {}

    /**
     * A factory of daemon threads called {@code name}, then {@code name-2}, {@code name-3}, ...
     * for the second and later threads.
     */
    public static ThreadFactory named(String name) {
        Objects.requireNonNull(name, "name");
        AtomicInteger count = new AtomicInteger();
        return task -> {
            int n = count.incrementAndGet();
            Thread t = new Thread(task, n == 1 ? name : name + "-" + n);
            t.setDaemon(true);
            return t;
        };
    }
}
