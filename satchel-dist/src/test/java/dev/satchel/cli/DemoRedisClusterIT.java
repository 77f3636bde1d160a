package dev.satchel.cli;

/** The demo with Redis, started by the demo itself: sessions outlive any node. */
class DemoRedisClusterIT extends DemoClusterScenario {
    @Override
    String store() {
        return "redis";
    }

    @Override
    boolean sessionsSurviveANodeKill() {
        return true;
    }
}
