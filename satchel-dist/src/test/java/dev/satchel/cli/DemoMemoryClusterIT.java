package dev.satchel.cli;

/** The demo with the memory store: sticky sessions, lost with their node. */
class DemoMemoryClusterIT extends DemoClusterScenario {
    @Override
    String store() {
        return "memory";
    }

    @Override
    boolean sessionsSurviveANodeKill() {
        return false;
    }
}
