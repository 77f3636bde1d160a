package dev.satchel.lab;

import java.net.URI;
import java.util.List;
import java.util.Optional;

/**
 * A running cluster for one strategy: shop nodes behind a balancer, started by the caller (the
 * {@code satchel lab} command) and closed by it. The lab only sends HTTP to {@link #entry()} and
 * asks for faults.
 */
public interface LabCluster {
    /** The balancer's base address, e.g. {@code http://127.0.0.1:18080}. */
    URI entry();

    /**
     * The password of the accounts the lab's shoppers log in to, kept where the cluster keeps its
     * users so that a later run on the same data finds them; empty: shoppers stay anonymous.
     */
    default Optional<String> shopperPassword() {
        return Optional.empty();
    }

    /** What the nodes run, as {@code satchel node --store} spells it, without secrets. */
    String store();

    /** The nodes' names, in order. */
    List<String> nodes();

    /** Kills a node's process at once (SIGKILL), as a crash would. */
    void kill(String node);

    /** Starts a killed or stopped node again and returns once it serves. */
    void start(String node);

    /** Stops a node gracefully (SIGTERM: it finishes, closes its store, leaves the cluster), and waits. */
    void stop(String node);

    /** Tells the balancer to send the node no new shoppers; those already pinned to it stay. */
    void drain(String node);

    /** Tells the balancer to send the node shoppers again. */
    void enable(String node);

    /**
     * Whether its nodes have network links of their own, which {@link #cut} can take down: true when
     * each runs in a network namespace of its own, false on one machine's loopback.
     */
    boolean canPartition();

    /**
     * Cuts a node off the network: its link goes down, so the balancer, the other nodes and the
     * store stop hearing from it, and its open connections hang, as a pulled cable does. The node
     * itself keeps running.
     *
     * @throws IllegalStateException when {@link #canPartition()} is false
     */
    void cut(String node);

    /** Puts a cut node back on the network. */
    void heal(String node);

    /**
     * The central store's server when the lab started it and so may kill it, e.g. {@code
     * redis-server}; empty when the sessions live in the nodes, the cookie, or a server the lab does
     * not own.
     */
    Optional<String> killableStore();

    /**
     * Kills the central store's server at once (SIGKILL).
     *
     * @throws IllegalStateException when {@link #killableStore()} is empty
     */
    void killStore();

    /**
     * Starts the killed store again with the same files, and returns once it accepts connections.
     *
     * @throws IllegalStateException when {@link #killableStore()} is empty
     */
    void startStore();

    /** Its processes and ports now, for the lab to measure CPU and bytes by. */
    ClusterFootprint footprint();

    /**
     * The central store's own count of operations served so far, read from the server; empty when
     * there is no central store, or it cannot be asked.
     */
    Optional<StoreOperations> storeOperations();

    /**
     * The sessions each live node says it holds (its health answer's {@code store.sessions_held}),
     * by node; nodes that keep none of their own (a central store, sealed cookies) are left out.
     */
    java.util.Map<String, Long> sessionsHeld();

    /**
     * Each live node's heap in use after a full collection, in bytes, by node; a node that cannot be
     * asked is left out. It forces the collection, so it is read only while nothing is measured.
     */
    default java.util.Map<String, Long> heapAfterFullCollection() {
        return java.util.Map.of();
    }

    /**
     * The central store server's memory and holdings as it reports them; {@link StoreMemory#NONE}
     * when there is no store server the lab can ask.
     */
    default StoreMemory storeMemory() {
        return StoreMemory.NONE;
    }
}
