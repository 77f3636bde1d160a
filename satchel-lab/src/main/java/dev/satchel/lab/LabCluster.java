package dev.satchel.lab;

import java.net.URI;
import java.util.List;

/**
 * A running cluster for one strategy: shop nodes behind a balancer, started by the caller (the
 * {@code satchel lab} command) and closed by it. The lab only sends HTTP to {@link #entry()} and
 * asks for faults.
 */
public interface LabCluster {
    /** The balancer's base address, e.g. {@code http://127.0.0.1:18080}. */
    URI entry();

    /** What the nodes run, as {@code satchel node --store} spells it, without secrets. */
    String store();

    /** The nodes' names, in order. */
    List<String> nodes();

    /** Kills a node's process at once (SIGKILL), as a crash would. */
    void kill(String node);

    /** Starts a killed node again and returns once it serves. */
    void start(String node);
}
