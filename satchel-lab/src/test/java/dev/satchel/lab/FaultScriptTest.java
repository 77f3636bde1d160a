package dev.satchel.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What each --fault does to a cluster, in order, played against a cluster that only records. */
class FaultScriptTest {

    /** Records what was asked of it instead of touching processes. */
    private static final class RecordingCluster implements LabCluster {
        final List<String> calls = new ArrayList<>();
        private final Optional<String> store;
        private boolean ownLinks;

        RecordingCluster withOwnLinks() {
            ownLinks = true;
            return this;
        }

        @Override
        public boolean canPartition() {
            return ownLinks;
        }

        @Override
        public void cut(String node) {
            calls.add("cut " + node);
        }

        @Override
        public void heal(String node) {
            calls.add("heal " + node);
        }

        @Override
        public ClusterFootprint footprint() {
            return new ClusterFootprint(Map.of(), Map.of(), 0, Set.of(), Set.of(), Set.of(), "", List.of());
        }

        @Override
        public Optional<StoreOperations> storeOperations() {
            return Optional.empty();
        }

        @Override
        public Map<String, Long> sessionsHeld() {
            return Map.of();
        }

        RecordingCluster(Optional<String> store) {
            this.store = store;
        }

        @Override
        public URI entry() {
            return URI.create("http://127.0.0.1:1");
        }

        @Override
        public String store() {
            return "test";
        }

        @Override
        public List<String> nodes() {
            return List.of("node-1", "node-2", "node-3");
        }

        @Override
        public void kill(String node) {
            calls.add("kill " + node);
        }

        @Override
        public void start(String node) {
            calls.add("start " + node);
        }

        @Override
        public void stop(String node) {
            calls.add("stop " + node);
        }

        @Override
        public void drain(String node) {
            calls.add("drain " + node);
        }

        @Override
        public void enable(String node) {
            calls.add("enable " + node);
        }

        @Override
        public Optional<String> killableStore() {
            return store;
        }

        @Override
        public void killStore() {
            calls.add("kill-store");
        }

        @Override
        public void startStore() {
            calls.add("start-store");
        }
    }

    private static LabSettings settings(String fault) {
        return new LabSettings(
                List.of("memory"),
                3,
                20,
                500,
                15,
                10,
                90,
                fault,
                10,
                8,
                1,
                "no",
                List.of(3),
                "namespaces",
                List.of(0),
                0,
                0,
                0,
                0);
    }

    private static List<String> play(RecordingCluster cluster, String fault) {
        List<LabRunner.Step> script = LabRunner.script(cluster, settings(fault));
        script.forEach(step -> step.act().run());
        return cluster.calls;
    }

    @Test
    void killTakesTheFirstNodeDownForTheDownTimeThenStartsIt() {
        RecordingCluster cluster = new RecordingCluster(Optional.empty());
        List<LabRunner.Step> script = LabRunner.script(cluster, settings("kill"));
        assertThat(script).extracting(LabRunner.Step::action).containsExactly("kill", "start");
        assertThat(script.get(0).pause()).isEqualTo(Duration.ofSeconds(8));
        assertThat(script.get(1).done()).contains("serving");
        assertThat(play(new RecordingCluster(Optional.empty()), "kill")).containsExactly("kill node-1", "start node-1");
    }

    @Test
    void aRollingDeployDrainsStopsStartsAndEnablesEachNodeInTurn() {
        assertThat(play(new RecordingCluster(Optional.empty()), "rolling"))
                .containsExactly(
                        "drain node-1",
                        "stop node-1",
                        "start node-1",
                        "enable node-1",
                        "drain node-2",
                        "stop node-2",
                        "start node-2",
                        "enable node-2",
                        "drain node-3",
                        "stop node-3",
                        "start node-3",
                        "enable node-3");
    }

    @Test
    void killStoreActsOnlyWhereTheLabOwnsTheStoreServer() {
        assertThat(play(new RecordingCluster(Optional.of("redis-server")), "kill-store"))
                .containsExactly("kill-store", "start-store");
        assertThat(LabRunner.script(new RecordingCluster(Optional.empty()), settings("kill-store")))
                .isEmpty();
        assertThat(LabRunner.script(new RecordingCluster(Optional.of("redis-server")), settings("none")))
                .isEmpty();
    }

    @Test
    void aPartitionCutsTheFirstNodesLinkForTheDownTimeThenHealsIt_onlyWhereNodesHaveLinksOfTheirOwn() {
        List<LabRunner.Step> script =
                LabRunner.script(new RecordingCluster(Optional.empty()).withOwnLinks(), settings("partition"));
        assertThat(script).extracting(LabRunner.Step::action).containsExactly("cut", "heal");
        assertThat(script.get(0).pause()).isEqualTo(Duration.ofSeconds(8));
        assertThat(play(new RecordingCluster(Optional.empty()).withOwnLinks(), "partition"))
                .containsExactly("cut node-1", "heal node-1");
        assertThat(LabRunner.script(new RecordingCluster(Optional.empty()), settings("partition")))
                .isEmpty();
    }
}
