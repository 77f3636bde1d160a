package dev.satchel.cli;

/** The demo with sessions replicated among its nodes (JGroups, synchronous): they outlive any node. */
class DemoReplicatedClusterIT extends DemoClusterScenario {
    @Override
    String store() {
        return "replicated";
    }

    @Override
    boolean sessionsSurviveANodeKill() {
        return true;
    }
}
