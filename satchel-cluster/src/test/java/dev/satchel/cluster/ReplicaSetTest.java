package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.SessionId;
import dev.satchel.core.placement.Rendezvous;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Which nodes hold a primary-backup session for a given view, and where a node sends its copy
 * when the view changes: no cluster needed, the members are names.
 */
class ReplicaSetTest {
    private final ReplicaSet two = new ReplicaSet(2);

    @Test
    void theReplicasAreTheBalancersRanking_ownerFirst() {
        List<String> view = List.of("a", "b", "c", "d");
        for (int i = 0; i < 200; i++) {
            SessionId id = SessionId.random();
            List<String> replicas = two.of(id, view);
            assertThat(replicas).isEqualTo(Rendezvous.top(id.value(), view, 2));
            assertThat(two.isOwner(id, view, replicas.get(0))).isTrue();
            assertThat(two.isOwner(id, view, replicas.get(1))).isFalse();
            assertThat(two.isReplica(id, view, replicas.get(1))).isTrue();
        }
    }

    @Test
    void theChoiceDoesNotDependOnTheOrderOfTheView() {
        SessionId id = SessionId.random();
        assertThat(two.of(id, List.of("a", "b", "c"))).isEqualTo(two.of(id, List.of("c", "a", "b")));
    }

    @Test
    void aViewSmallerThanTheCopies_holdsEveryMember() {
        SessionId id = SessionId.random();
        assertThat(new ReplicaSet(3).of(id, List.of("a", "b"))).containsExactlyInAnyOrder("a", "b");
        assertThat(two.of(id, List.of())).isEmpty();
        assertThat(two.isOwner(id, List.of(), "a")).isFalse();
    }

    @Test
    void aSessionNeedsACopy() {
        assertThatThrownBy(() -> new ReplicaSet(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void onAJoin_onlyReplicasThatNeitherHeldNorPullIt_getTheCopy() {
        List<String> before = List.of("a", "b", "c");
        List<String> after = List.of("a", "b", "c", "d");
        for (int i = 0; i < 200; i++) {
            SessionId id = SessionId.random();
            List<String> targets = two.newReplicas(id, before, after, Set.of("d"), false, "a");
            assertThat(targets).as("d pulls; a, b, c were members already").isEmpty();
        }
    }

    @Test
    void onALeave_theNodeThatMovesUpGetsTheCopy_andNoOneElse() {
        List<String> before = List.of("a", "b", "c");
        List<String> after = List.of("a", "c");
        int movedUp = 0;
        for (int i = 0; i < 200; i++) {
            SessionId id = SessionId.random();
            List<String> targets = two.newReplicas(id, before, after, Set.of(), false, "a");
            Set<String> expected = new HashSet<>(two.of(id, after));
            expected.removeAll(two.of(id, before));
            expected.remove("a");
            assertThat(new HashSet<>(targets)).isEqualTo(expected);
            assertThat(targets).doesNotContain("a", "b");
            movedUp += targets.size();
        }
        assertThat(movedUp).as("sessions whose replica set gained c").isPositive();
    }

    @Test
    void afterAMerge_everyOtherReplicaGetsTheCopy_joinersIncluded() {
        List<String> before = List.of("a");
        List<String> after = List.of("a", "b", "c");
        for (int i = 0; i < 200; i++) {
            SessionId id = SessionId.random();
            List<String> expected = new ArrayList<>(two.of(id, after));
            expected.remove("a");
            assertThat(two.newReplicas(id, before, after, Set.of("b", "c"), true, "a"))
                    .isEqualTo(expected);
        }
    }
}
