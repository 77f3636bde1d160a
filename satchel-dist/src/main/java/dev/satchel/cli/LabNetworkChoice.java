package dev.satchel.cli;

import dev.satchel.lab.LabSettings;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine;

/**
 * Where {@code satchel lab} runs its clusters: on network namespaces when it can make them (or is
 * told to), else on loopback; and whether what the flags ask of the network (a partition, packet
 * loss) can be had there.
 */
final class LabNetworkChoice {
    private LabNetworkChoice() {}

    /** Whether the run goes on namespaces; what the report should say of it is added to {@code notes}. */
    static boolean onNamespaces(LabCommand c, List<String> notes) {
        CommandLine cl = c.spec.commandLine();
        boolean loses = c.lossPercent > 0;
        if (c.network.equals(LabSettings.LOOPBACK)) {
            if (loses) {
                throw new CommandLine.ParameterException(
                        cl,
                        "--loss drops packets as they enter a node's own network namespace: use --network"
                                + " namespaces (or auto)");
            }
            notes.add("ran on this machine's loopback (--network loopback)");
            return false;
        }
        Optional<String> why = NamespaceNetwork.unavailableBecause();
        if (why.isEmpty()) {
            if (loses) {
                NamespaceNetwork.packetFilterUnavailableBecause().ifPresent(reason -> {
                    throw new CommandLine.ParameterException(
                            cl, "--loss drops packets with nftables, and " + reason + " (apt-get install nftables)");
                });
            }
            notes.add("each node and the store server in a network namespace of its own, on a bridge");
            return true;
        }
        if (c.network.equals(LabSettings.NAMESPACES) || c.fault.equals("partition") || loses) {
            String needs = c.fault.equals("partition")
                    ? " (which --fault partition needs)"
                    : loses ? " (which --loss needs)" : "";
            throw new CommandLine.ParameterException(
                    cl,
                    "--network namespaces" + needs + ": network namespaces cannot be made here (" + why.get()
                            + "); they need root and iproute2");
        }
        notes.add("ran on this machine's loopback: network namespaces cannot be made here (" + why.get()
                + "), so no partition could be injected");
        return false;
    }
}
