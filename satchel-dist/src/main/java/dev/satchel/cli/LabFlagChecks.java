package dev.satchel.cli;

import dev.satchel.lab.LabSettings;
import dev.satchel.lab.LabStrategy;
import java.util.List;
import picocli.CommandLine;

/** The checks of {@code satchel lab}'s flags against each other, before anything starts. */
final class LabFlagChecks {
    private LabFlagChecks() {}

    static void validate(LabCommand c) {
        CommandLine cl = c.spec.commandLine();
        for (int nodes : c.nodeCounts) {
            if (nodes < 2 || nodes > 8) {
                throw new CommandLine.ParameterException(cl, "--nodes must be 2 to 8, got " + nodes);
            }
        }
        if (new java.util.HashSet<>(c.nodeCounts).size() != c.nodeCounts.size() || c.nodeCounts.size() > 6) {
            throw new CommandLine.ParameterException(
                    cl, "--nodes takes up to 6 different sizes, each once, got " + c.nodeCounts);
        }
        int nodes = java.util.Collections.max(c.nodeCounts);
        if (!(c.rate > 0 && c.rate <= 2000)) {
            throw new CommandLine.ParameterException(cl, "--rate must be above 0 and at most 2000, got " + c.rate);
        }
        if (c.thinkMillis < 0 || c.thinkMillis > 60_000) {
            throw new CommandLine.ParameterException(cl, "--think must be 0 to 60000 ms, got " + c.thinkMillis);
        }
        if (c.returnAfterSeconds < 0 || c.returnAfterSeconds > 3600) {
            throw new CommandLine.ParameterException(
                    cl, "--return-after must be 0 to 3600 seconds, got " + c.returnAfterSeconds);
        }
        if (c.soakMinutes != null) {
            CommandLine.ParseResult parsed = cl.getParseResult();
            if (parsed.hasMatchedOption("--fault-at") || parsed.hasMatchedOption("--down")) {
                throw new CommandLine.ParameterException(
                        cl, "--soak runs at steady load with no fault: leave out --fault-at and --down");
            }
            if (c.soakMinutes < 2 || c.soakMinutes > 60) {
                throw new CommandLine.ParameterException(cl, "--soak must be 2 to 60 minutes, got " + c.soakMinutes);
            }
            if (parsed.hasMatchedOption("--seconds")) {
                throw new CommandLine.ParameterException(cl, "--soak sets the measured phase: leave out --seconds");
            }
            if (parsed.hasMatchedOption("--fault") && !c.fault.equals("none")) {
                throw new CommandLine.ParameterException(
                        cl, "--soak runs at steady load with no fault: leave out --fault " + c.fault);
            }
            int steadyFrom = (int) ((8 * c.thinkMillis + 999) / 1000) + c.returnAfterSeconds + c.idleTimeout() + 30;
            if (c.soakMinutes * 60 < 2 * steadyFrom) {
                throw new CommandLine.ParameterException(
                        cl,
                        "a soak of " + c.soakMinutes + " min is too short to judge expiry: the first sessions"
                                + " expire and are swept " + steadyFrom + " s in, and the soak needs as long again"
                                + " after that; use --soak " + (2 * steadyFrom + 59) / 60 + " or a shorter"
                                + " --idle-timeout");
            }
        }
        int idle = c.idleTimeout();
        if (idle < c.returnAfterSeconds + 10 || idle > 28_800) {
            String what = c.idleTimeoutSeconds != null
                    ? "--idle-timeout"
                    : "the nodes' idle timeout (" + idle + " s unless --idle-timeout is given)";
            throw new CommandLine.ParameterException(
                    cl,
                    what + " must be --return-after plus 10 s (" + (c.returnAfterSeconds + 10)
                            + ") to 28800 seconds, so that shoppers who come back find their sessions; got " + idle);
        }
        if (c.seconds < 5 || c.seconds > 3600) {
            throw new CommandLine.ParameterException(cl, "--seconds must be 5 to 3600, got " + c.seconds);
        }
        if (c.warmupSeconds < 0 || c.warmupSeconds > 600) {
            throw new CommandLine.ParameterException(cl, "--warmup must be 0 to 600, got " + c.warmupSeconds);
        }
        if (!List.of("kill", "kill-store", "promote-store", "rolling", "partition", "none")
                .contains(c.fault)) {
            throw new CommandLine.ParameterException(
                    cl, "--fault must be kill, kill-store, promote-store, rolling, partition or none, got " + c.fault);
        }
        if (!List.of("auto", LabSettings.NAMESPACES, LabSettings.LOOPBACK).contains(c.network)) {
            throw new CommandLine.ParameterException(
                    cl, "--network must be auto, namespaces or loopback, got " + c.network);
        }
        if (c.fault.equals("partition") && c.network.equals(LabSettings.LOOPBACK)) {
            throw new CommandLine.ParameterException(
                    cl, "--fault partition cuts a node's own network link: it needs --network namespaces");
        }
        if (RedisPersistence.ofFlag(c.redisAof).isEmpty()) {
            throw new CommandLine.ParameterException(
                    cl, "--redis-aof must be no, everysec or always, got " + c.redisAof);
        }
        int at = c.faultAtSeconds != null ? c.faultAtSeconds : c.seconds / 3;
        if (at < 0 || at >= c.seconds) {
            throw new CommandLine.ParameterException(cl, "--fault-at must fall inside --seconds, got " + at);
        }
        if (c.fault.equals("rolling")) {
            // each node: drained for --down, stopped, started (10 to 15 s on two cores), 5 s to settle
            int needed = at + nodes * (c.downSeconds + 20);
            if (c.seconds < needed) {
                throw new CommandLine.ParameterException(
                        cl,
                        "--fault rolling restarts " + nodes + " nodes one after another, about " + (needed - at)
                                + " s from --fault-at " + at + ": use --seconds " + needed + " or more");
            }
        }
        if (!(c.lossPercent >= 0 && c.lossPercent <= 50)) {
            throw new CommandLine.ParameterException(cl, "--loss must be 0 to 50 percent, got " + c.lossPercent);
        }
        if (c.lossPercent > 0 && c.delays.stream().anyMatch(d -> d > 0)) {
            throw new CommandLine.ParameterException(
                    cl,
                    "--loss with --delay: the relays that hold the delay sit outside the namespaces, where no"
                            + " packet is dropped, so the traffic they carry would see no loss; run them apart");
        }
        if (c.loginPercent < 0 || c.loginPercent > 100) {
            throw new CommandLine.ParameterException(cl, "--logins must be 0 to 100, got " + c.loginPercent);
        }
        if (c.downSeconds < 1 || c.downSeconds > 600) {
            throw new CommandLine.ParameterException(cl, "--down must be 1 to 600, got " + c.downSeconds);
        }
        for (int delay : c.delays) {
            if (delay < 0 || delay > 1000) {
                throw new CommandLine.ParameterException(cl, "--delay must be 0 to 1000 ms, got " + delay);
            }
        }
        if (new java.util.HashSet<>(c.delays).size() != c.delays.size() || c.delays.size() > 6) {
            throw new CommandLine.ParameterException(
                    cl, "--delay takes up to 6 different values, each once, got " + c.delays);
        }
        if (c.basePort < 1024
                || c.basePort + 20 * LabStrategy.values().length * c.nodeCounts.size() * c.delays.size() + 300
                        > 65535) {
            throw new CommandLine.ParameterException(
                    cl, "--base-port must leave room for the nodes, got " + c.basePort);
        }
    }
}
