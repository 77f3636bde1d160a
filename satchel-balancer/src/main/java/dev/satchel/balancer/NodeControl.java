package dev.satchel.balancer;

/**
 * Starts and kills node processes, for demo mode: the admin API's {@code kill} and {@code start}
 * call it so a person can watch what happens to sessions when a server dies. The balancer itself
 * never runs processes. Implementations are thread-safe.
 */
public interface NodeControl {

    /**
     * Kills the node's process at once (SIGKILL).
     *
     * @throws IllegalArgumentException if no such node is managed
     */
    void kill(String node);

    /**
     * Starts the node's process again.
     *
     * @throws IllegalArgumentException if no such node is managed
     * @throws IllegalStateException if it is already running
     */
    void start(String node);
}
