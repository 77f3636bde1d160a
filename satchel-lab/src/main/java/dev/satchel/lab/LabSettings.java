package dev.satchel.lab;

import java.util.List;
import java.util.Objects;

/**
 * How a lab run was set up: enough to run it again.
 *
 * @param strategies the strategies, in the order they ran
 * @param nodes shop nodes behind the balancer
 * @param shoppersPerSecond new virtual shoppers arriving each second (open loop)
 * @param thinkMillis the pause a shopper takes between requests
 * @param warmupSeconds load before measuring, not recorded
 * @param seconds the measured phase
 * @param fault {@code kill} (SIGKILL a node, start it again later) or {@code none}
 * @param faultAtSeconds when in the measured phase the fault strikes
 * @param downSeconds how long the killed node stays down
 * @param seed the random seed the shoppers' choices come from
 */
public record LabSettings(
        List<String> strategies,
        int nodes,
        double shoppersPerSecond,
        long thinkMillis,
        int warmupSeconds,
        int seconds,
        String fault,
        int faultAtSeconds,
        int downSeconds,
        long seed) {
    public LabSettings {
        strategies = List.copyOf(strategies);
        Objects.requireNonNull(fault, "fault");
    }

    /** Whether a node is killed in the measured phase. */
    public boolean killsANode() {
        return fault.equals("kill");
    }
}
