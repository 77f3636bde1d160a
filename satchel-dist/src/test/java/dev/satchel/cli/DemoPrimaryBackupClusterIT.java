package dev.satchel.cli;

/** The demo's default: each session on an owner and a backup node, requests routed to the owner. */
class DemoPrimaryBackupClusterIT extends DemoClusterScenario {
    @Override
    String store() {
        return "primary-backup";
    }

    @Override
    boolean sessionsSurviveANodeKill() {
        return true;
    }

    /** The demo's default pairing: the balancer ranks sessions exactly as the store places them. */
    @Override
    String policy() {
        return "session-hash";
    }

    @Override
    boolean balancerRoutesToOwner() {
        return true;
    }
}
