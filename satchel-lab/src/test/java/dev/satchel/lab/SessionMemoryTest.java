package dev.satchel.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SessionMemoryTest {

    @Test
    void aNodeThatGrewForOtherReasonsDoesNotSetThePricePerCopy() {
        // node-1 was restarted by the fault: a megabyte of new threads' buffers besides its copies.
        SessionMemory m = new SessionMemory(
                360,
                Map.of("node-1", 1_200_000L, "node-2", 234_000L, "node-3", 230_400L),
                Map.of("node-1", 360L, "node-2", 360L, "node-3", 360L),
                StoreMemory.NONE,
                List.of());
        assertThat(m.bytesPerCopy()).hasValue(650.0);
        assertThat(m.clusterBytesPerSession()).hasValue(1_950.0);
        assertThat(m.clusterHeapGrowth()).isEqualTo(1_664_400L);
    }

    @Test
    void nodesThatKeepNoSessionsCostTheirGrowthOverTheSessionsMade() {
        SessionMemory m = new SessionMemory(
                400,
                Map.of("node-1", 8_000L, "node-2", 4_000L),
                Map.of(),
                new StoreMemory(300_000L, 400L, "keys"),
                List.of());
        assertThat(m.bytesPerCopy()).isEmpty();
        assertThat(m.clusterBytesPerSession()).hasValue(30.0);
        assertThat(m.storeBytesPerSession()).hasValue(750.0);
    }

    @Test
    void withoutSessionsMadeOrHeapsReadThereIsNoFigure() {
        SessionMemory none = SessionMemory.notMeasured("why");
        assertThat(none.heapsRead()).isFalse();
        assertThat(none.clusterBytesPerSession()).isEmpty();
        assertThat(none.storeBytesPerSession()).isEmpty();
        SessionMemory noHeaps = new SessionMemory(
                100, Map.of(), Map.of("node-1", 100L), new StoreMemory(1_000L, 100L, "keys"), List.of());
        assertThat(noHeaps.bytesPerCopy()).isEmpty();
        assertThat(noHeaps.storeBytesPerSession()).hasValue(10.0);
    }
}
