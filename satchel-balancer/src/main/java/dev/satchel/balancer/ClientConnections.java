package dev.satchel.balancer;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Open client connections per address, capped so one client cannot take every connection (and
 * file descriptor) the balancer has. Addresses with none open are forgotten. Thread-safe.
 */
final class ClientConnections {
    private final int max;
    private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

    ClientConnections(int max) {
        this.max = max;
    }

    /** Counts a new connection from the address; false, and nothing counted, if it is at the cap. */
    boolean tryOpen(InetAddress address) {
        boolean[] granted = new boolean[1];
        open.compute(address, (a, n) -> {
            int now = n == null ? 0 : n;
            granted[0] = now < max;
            return granted[0] ? now + 1 : now;
        });
        return granted[0];
    }

    /** Forgets a connection counted by {@link #tryOpen}. */
    void closed(InetAddress address) {
        open.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
    }
}
