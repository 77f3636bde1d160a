package dev.satchel.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the lab makes of the kernel's connection counters and the store's operation counts. */
class ResourceSamplerTest {
    private static final int BALANCER = 18080;
    private static final int NODE = 9001;
    private static final int CLUSTER = 9101;
    private static final int STORE = 6379;

    private static ClusterFootprint footprint() {
        return new ClusterFootprint(
                Map.of("node-1", ProcessHandle.current().pid()),
                Map.of(),
                BALANCER,
                Set.of(NODE),
                Set.of(CLUSTER),
                Set.of(STORE),
                "no-such-thread",
                List.of());
    }

    private static SocketTraffic.End end(String key, int local, int peer, long sent, long received) {
        return new SocketTraffic.End(key, local, peer, sent, received, sent / 100);
    }

    @Test
    void ssOutputIsReadPerConnectionEnd_ipv4AndIpv6_withAbsentCountersAsZero() {
        String out = "0      0      127.0.0.1:32932 127.0.0.1:6379  bbr wscale:10,10 rto:204 rtt:0.048/0.027"
                + " bytes_sent:21 bytes_acked:22 bytes_received:6 segs_out:4 data_segs_out:1\n"
                + "0      0      [::1]:18080 [::1]:51234 cubic rto:204 bytes_received:300\n"
                + "garbage line without addresses\n";
        List<SocketTraffic.End> ends = SocketTraffic.parse(out);
        assertThat(ends)
                .containsExactly(
                        new SocketTraffic.End("127.0.0.1:32932 127.0.0.1:6379", 32932, 6379, 21, 6, 1),
                        new SocketTraffic.End("[::1]:18080 [::1]:51234", 18080, 51234, 0, 300, 0));
    }

    @Test
    void eachPathCountsItsClientEnds_newConnectionsFromZero_andAResetCounterKeepsWhatItHad() {
        Deque<List<SocketTraffic.End>> samples = new ArrayDeque<>(
                List.of(
                        // baseline: a shopper's connection, the balancer's to a node, a node's to another, to the store
                        List.of(
                                end("c1", 40000, BALANCER, 1_000, 9_000),
                                end("c1-server", BALANCER, 40000, 9_000, 1_000), // the server's end: not counted again
                                end("b1", 40001, NODE, 500, 4_000),
                                end("n1", 40002, CLUSTER, 100, 10),
                                end("s1", 40003, STORE, 50, 50)),
                        List.of(
                                end("c1", 40000, BALANCER, 2_000, 19_000), // +11,000
                                end("c2", 40010, BALANCER, 300, 700), // new: all 1,000 count
                                end("b1", 40001, NODE, 1_500, 8_000), // +5,000
                                end("n1", 40002, CLUSTER, 20, 5), // a new connection on the same tuple: 25 from zero
                                end("s1", 40003, STORE, 150, 250))) // +300
                );
        ResourceSampler sampler =
                new ResourceSampler(ResourceSamplerTest::footprint, Optional::empty, () -> Optional.of(samples.pop()));
        sampler.start();
        ResourceUse used = sampler.finish(10, Map.of());

        assertThat(used.wireBytes())
                .containsEntry(ResourceUse.CLIENT_BALANCER, 1_200.0)
                .containsEntry(ResourceUse.BALANCER_NODES, 500.0)
                .containsEntry(ResourceUse.BETWEEN_NODES, 2.5)
                .containsEntry(ResourceUse.NODES_STORE, 30.0);
        // Segments sent from the client ends (a hundredth of the bytes sent, here): 10 + 3 from c1, c2.
        assertThat(used.sends()).containsEntry(ResourceUse.CLIENT_BALANCER, 1.3);
        // This JVM stood in for node-1: its CPU was read, and no balancer thread has that name.
        assertThat(used.cpuMicros()).containsKey(ResourceUse.NODES).doesNotContainKey(ResourceUse.BALANCER);
        assertThat(used.unmeasured()).anySatisfy(u -> assertThat(u).contains("balancer's CPU"));
        assertThat(used.storeOperations()).isEmpty();
    }

    @Test
    void storeOperationsAreTheServersOwnCount_andARestartedServerIsSaidNotMeasured() {
        Deque<Optional<StoreOperations>> counts = new ArrayDeque<>(List.of(
                Optional.of(new StoreOperations("commands", 1_000)),
                Optional.of(new StoreOperations("commands", 1_450))));
        ResourceSampler sampler =
                new ResourceSampler(ResourceSamplerTest::footprint, counts::pop, () -> Optional.of(List.of()));
        sampler.start();
        assertThat(sampler.finish(150, Map.of()).storeOperations().get("commands"))
                .isCloseTo(3.0, within(1e-9));

        Deque<Optional<StoreOperations>> restarted = new ArrayDeque<>(List.of(
                Optional.of(new StoreOperations("commands", 1_000)), Optional.of(new StoreOperations("commands", 40))));
        ResourceSampler again =
                new ResourceSampler(ResourceSamplerTest::footprint, restarted::pop, () -> Optional.of(List.of()));
        again.start();
        ResourceUse used = again.finish(150, Map.of());
        assertThat(used.storeOperations()).isEmpty();
        assertThat(used.unmeasured()).anySatisfy(u -> assertThat(u).contains("started again"));
    }

    @Test
    void withoutSs_theBytesAreSaidNotMeasured_notZero() {
        ResourceSampler sampler = new ResourceSampler(ResourceSamplerTest::footprint, Optional::empty, Optional::empty);
        sampler.start();
        ResourceUse used = sampler.finish(100, Map.of());
        assertThat(used.wireBytes()).isEmpty();
        assertThat(used.unmeasured()).anySatisfy(u -> assertThat(u).contains("ss"));
        assertThat(ReportText.resourceCells(LabFixtures.run("memory", "sticky-cookie")
                                .resources(used)
                                .build())
                        .get(5))
                .isEqualTo(ReportText.NONE);
    }
}
