package dev.satchel.lab;

import java.util.Map;
import java.util.Set;

/**
 * What the lab measures a cluster's resource use by: its processes, and the ports that tell one
 * kind of traffic from another. A snapshot: a node restarted later has a new process id.
 *
 * @param nodeProcesses the live node processes, by node name
 * @param storeProcesses the store's server processes the lab started, by name (empty when the
 *     sessions live in the nodes or the cookie, or the store is a server the lab does not own)
 * @param balancerPort where the shoppers connect
 * @param nodePorts the nodes' HTTP ports, where the balancer connects
 * @param clusterPorts the ports the nodes talk to each other on (empty when they do not)
 * @param storePorts the central store's ports (empty when there is none)
 * @param balancerThreads the prefix of the names of the balancer's threads when it runs in the
 *     lab's own JVM, so their CPU can be told from the shoppers'; empty when it runs elsewhere
 * @param namespaces the network namespaces the nodes and the store run in, whose connections are
 *     read besides the lab's own; empty when everything runs on this machine's loopback
 */
public record ClusterFootprint(
        Map<String, Long> nodeProcesses,
        Map<String, Long> storeProcesses,
        int balancerPort,
        Set<Integer> nodePorts,
        Set<Integer> clusterPorts,
        Set<Integer> storePorts,
        String balancerThreads,
        java.util.List<String> namespaces) {
    public ClusterFootprint {
        java.util.Objects.requireNonNull(balancerThreads, "balancerThreads");
        namespaces = java.util.List.copyOf(namespaces);
        nodeProcesses = Map.copyOf(nodeProcesses);
        storeProcesses = Map.copyOf(storeProcesses);
        nodePorts = Set.copyOf(nodePorts);
        clusterPorts = Set.copyOf(clusterPorts);
        storePorts = Set.copyOf(storePorts);
    }
}
