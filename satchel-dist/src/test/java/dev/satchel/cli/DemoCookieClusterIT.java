package dev.satchel.cli;

/** The demo with sessions sealed in the browser's cookie: any node opens them, so they outlive any node. */
class DemoCookieClusterIT extends DemoClusterScenario {
    @Override
    String store() {
        return "cookie";
    }

    @Override
    boolean sessionsSurviveANodeKill() {
        return true;
    }

    @Override
    boolean sessionIdCarriesRoute() {
        return false;
    }
}
