package dev.satchel.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Where a process of the demo or the lab runs: the address it listens on and others reach it at,
 * and what its command is started through ({@code ip netns exec <namespace>} for a host of a
 * {@link NamespaceNetwork}; nothing on this machine's loopback).
 *
 * @param address the address it binds to and is reached at
 * @param launcher the words put before its command; empty on this machine's own network
 */
record Host(String address, List<String> launcher) {
    private static final Host LOOPBACK = new Host("127.0.0.1", List.of());

    Host {
        Objects.requireNonNull(address, "address");
        launcher = List.copyOf(launcher);
    }

    /** This machine's loopback, in the lab's own network namespace. */
    static Host loopback() {
        return LOOPBACK;
    }

    /** {@code command} as started on this host. */
    List<String> command(List<String> command) {
        List<String> whole = new ArrayList<>(launcher);
        whole.addAll(command);
        return whole;
    }
}
