package dev.satchel.lab;

import java.util.List;
import java.util.Objects;

/**
 * How a lab run was set up: enough to run it again.
 *
 * @param strategies the strategies, in the order they ran
 * @param nodes shop nodes behind the balancer: the first of {@code nodeCounts}, the one the seed's
 *     claims read
 * @param shoppersPerSecond new virtual shoppers arriving each second (open loop)
 * @param thinkMillis the pause a shopper takes between requests
 * @param returnAfterSeconds how long after its visit a shopper who did not log out comes back to read
 *     its cart once more; 0: it does not come back
 * @param warmupSeconds load before measuring, not recorded
 * @param seconds the measured phase
 * @param fault {@code kill} (SIGKILL a node, start it again later), {@code kill-store} (SIGKILL the
 *     central store's server, start it again later), {@code promote-store} (SIGKILL a replicated
 *     Redis's master, which Sentinel replaces with its replica; start it again later), {@code rolling} (drain, stop gracefully and
 *     start each node in turn, as a deploy does), {@code partition} (cut a node's network link,
 *     heal it later) or {@code none}
 * @param faultAtSeconds when in the measured phase the fault strikes
 * @param downSeconds how long the killed node stays down, or the cut one cut off
 * @param seed the random seed the shoppers' choices come from
 * @param redisPersistence how the lab's redis-server keeps its data: {@code no}, or an append-only
 *     file flushed {@code everysec} or {@code always}
 * @param nodeCounts every cluster size each strategy ran at, in order: one for a plain run, several
 *     for a scaling run ({@code --nodes 2,3,4,6})
 * @param network where the nodes and the store ran: {@code namespaces} (each in a network namespace
 *     of its own, on a bridge, so their traffic crosses real interfaces) or {@code loopback} (all
 *     on this machine's loopback); a results file from before it was recorded reads as loopback
 * @param delaysMillis every delay added each way between the nodes and the store server, in order:
 *     {@code [0]} for a plain run, several for a delay run ({@code --delay 0,1,10}); a results file
 *     from before it was recorded reads as {@code [0]}
 * @param loginPercent the share of shoppers, in percent, who log in to one of the lab's accounts
 *     mid-visit and are then asked who they are; a results file from before it was recorded reads
 *     as 0
 * @param idleTimeoutSeconds how long the nodes let a session go unused before it expires; a results
 *     file from before it was recorded reads as the nodes' default, 1800
 * @param soakMinutes a soak's length ({@code --soak}): the measured phase, at steady load and with
 *     no fault, read every so often for memory and sessions held; 0 when not a soak
 * @param lossPercent packets dropped at random between the nodes, and between them and the store
 *     server the lab started, in percent ({@code --loss}); 0 for none, and in a results file from
 *     before it was recorded
 */
public record LabSettings(
        List<String> strategies,
        int nodes,
        double shoppersPerSecond,
        long thinkMillis,
        int returnAfterSeconds,
        int warmupSeconds,
        int seconds,
        String fault,
        int faultAtSeconds,
        int downSeconds,
        long seed,
        String redisPersistence,
        List<Integer> nodeCounts,
        String network,
        List<Integer> delaysMillis,
        int loginPercent,
        int idleTimeoutSeconds,
        int soakMinutes,
        double lossPercent) {
    /** The nodes' idle timeout unless the lab sets another: {@code satchel node}'s default. */
    public static final int DEFAULT_IDLE_TIMEOUT_SECONDS = 1800;

    /** Each node and the store in a network namespace of its own. */
    public static final String NAMESPACES = "namespaces";
    /** Everything on this machine's loopback. */
    public static final String LOOPBACK = "loopback";

    public LabSettings {
        network = network == null ? LOOPBACK : network;
        strategies = List.copyOf(strategies);
        nodeCounts = nodeCounts == null || nodeCounts.isEmpty() ? List.of(nodes) : List.copyOf(nodeCounts);
        delaysMillis = delaysMillis == null || delaysMillis.isEmpty() ? List.of(0) : List.copyOf(delaysMillis);
        Objects.requireNonNull(fault, "fault");
        Objects.requireNonNull(redisPersistence, "redisPersistence");
        idleTimeoutSeconds = idleTimeoutSeconds <= 0 ? DEFAULT_IDLE_TIMEOUT_SECONDS : idleTimeoutSeconds;
        if (!(lossPercent >= 0 && lossPercent <= 50)) {
            throw new IllegalArgumentException("lossPercent must be 0 to 50, not " + lossPercent);
        }
        if (soakMinutes < 0) {
            throw new IllegalArgumentException("soakMinutes must be 0 or more, not " + soakMinutes);
        }
        if (loginPercent < 0 || loginPercent > 100) {
            throw new IllegalArgumentException("loginPercent must be 0 to 100, not " + loginPercent);
        }
    }

    /** Whether each strategy ran at more than one cluster size. */
    public boolean scales() {
        return nodeCounts.size() > 1;
    }

    /** Whether each strategy with a store server ran at more than one added delay. */
    public boolean delays() {
        return delaysMillis.size() > 1;
    }

    /** Whether the measured phase is a soak, read for memory and sessions held as it goes. */
    public boolean soaks() {
        return soakMinutes > 0;
    }

    /** Whether a node is killed in the measured phase. */
    public boolean killsANode() {
        return fault.equals("kill");
    }

    /** Whether every node is drained, stopped and started again in turn (a rolling deploy). */
    public boolean rollsTheNodes() {
        return fault.equals("rolling");
    }

    /** Whether a node is cut off the network in the measured phase, and put back. */
    public boolean partitionsANode() {
        return fault.equals("partition");
    }

    /** Whether the nodes and the store ran in network namespaces of their own. */
    public boolean onNamespaces() {
        return network.equals(NAMESPACES);
    }

    /** Whether the central store's server is killed in the measured phase. */
    public boolean killsTheStore() {
        return fault.equals("kill-store");
    }

    /** Whether a replicated store's master is killed in the measured phase, for its replica to take over. */
    public boolean promotesTheStore() {
        return fault.equals("promote-store");
    }

    /** Whether the fault strikes the store rather than the nodes: {@link #killsTheStore} or {@link #promotesTheStore}. */
    public boolean faultsTheStore() {
        return killsTheStore() || promotesTheStore();
    }
}
