package dev.satchel.core.placement;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.SessionId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RendezvousTest {
    private static final int KEYS = 10_000;
    private final List<String> keys =
            IntStream.range(0, KEYS).mapToObj(i -> SessionId.random().value()).toList();

    private static List<String> nodes(int n) {
        return IntStream.rangeClosed(1, n).mapToObj(i -> "node-" + i).toList();
    }

    private Map<String, Integer> spread(List<String> nodes) {
        Map<String, Integer> counts = new HashMap<>();
        for (String key : keys) {
            counts.merge(Rendezvous.owner(key, nodes).orElseThrow(), 1, Integer::sum);
        }
        return counts;
    }

    /**
     * Binomial standard deviation for 10k keys: 47 keys (0.47 points) over 3 nodes, 30 keys (0.3
     * points) over 10. The bounds below are over five deviations, so a failure means a bias.
     */
    @Test
    void spread_over3Nodes_isWithin3PointsOfAThirdEach() {
        spread(nodes(3)).values().forEach(c -> assertThat(c / (double) KEYS).isBetween(0.303, 0.363));
        assertThat(spread(nodes(3))).hasSize(3);
    }

    @Test
    void spread_over10Nodes_isWithin1Point5OfATenthEach() {
        Map<String, Integer> counts = spread(nodes(10));
        assertThat(counts).hasSize(10);
        counts.values().forEach(c -> assertThat(c / (double) KEYS).isBetween(0.085, 0.115));
    }

    @Test
    void addingANode_movesAbout1OverN_andOnlyToTheNewNode() {
        List<String> three = nodes(3);
        List<String> four = nodes(4);
        int moved = 0;
        for (String key : keys) {
            String before = Rendezvous.owner(key, three).orElseThrow();
            String after = Rendezvous.owner(key, four).orElseThrow();
            if (!before.equals(after)) {
                moved++;
                assertThat(after).isEqualTo("node-4");
            }
        }
        assertThat(moved / (double) KEYS).isBetween(0.22, 0.28);
    }

    @Test
    void removingANode_movesOnlyItsKeys_toTheirFirstBackup() {
        List<String> ten = nodes(10);
        List<String> nine = new ArrayList<>(ten);
        nine.remove("node-7");
        int moved = 0;
        for (String key : keys) {
            List<String> ranking = Rendezvous.rank(key, ten);
            String after = Rendezvous.owner(key, nine).orElseThrow();
            if (ranking.get(0).equals("node-7")) {
                moved++;
                assertThat(after).as("the first backup takes over").isEqualTo(ranking.get(1));
            } else {
                assertThat(after).isEqualTo(ranking.get(0));
            }
        }
        assertThat(moved / (double) KEYS).isBetween(0.085, 0.115);
    }

    @Test
    void rank_isTheSameWhateverTheOrderNodesAreGivenIn_andOwnerAgreesWithIt() {
        List<String> nodes = nodes(5);
        List<String> reversed = new ArrayList<>(nodes);
        java.util.Collections.reverse(reversed);
        for (String key : keys.subList(0, 500)) {
            List<String> ranking = Rendezvous.rank(key, nodes);
            assertThat(Rendezvous.rank(key, reversed)).isEqualTo(ranking);
            assertThat(ranking).containsExactlyInAnyOrderElementsOf(nodes);
            assertThat(Rendezvous.owner(key, reversed)).contains(ranking.get(0));
            assertThat(Rendezvous.top(key, nodes, 2)).isEqualTo(ranking.subList(0, 2));
        }
    }

    @Test
    void noNodes_meansNoOwner() {
        assertThat(Rendezvous.owner("k", List.of())).isEmpty();
        assertThat(Rendezvous.top("k", List.of("a"), 3)).containsExactly("a");
    }
}
