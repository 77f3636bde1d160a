package dev.satchel.cluster;

import static dev.satchel.cluster.CartCopies.create;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.placement.Rendezvous;
import dev.satchel.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * Saves and pulls that arrive late or never, made to happen with {@link HoldBack}: a save that
 * creates a session on a node that stopped being one of its replicas meanwhile, and a joiner
 * whose pull is never answered.
 */
class LateCopiesIT {
    private final String cluster = "satchel-late-" + UUID.randomUUID();
    private final String tag = "-" + UUID.randomUUID().toString().substring(0, 8);

    private PrimaryBackupSessionStore node(String name, Duration timeout) {
        return PrimaryBackupSessionStore.builder(cluster)
                .config("dev/satchel/cluster/loopback-hold.xml")
                .nodeName(name + tag)
                .mode(Replication.ASYNC)
                .timeout(timeout)
                .build();
    }

    /**
     * Issue 11 item 5: c is a replica of a new session when a's first save of it leaves, and is
     * not one any more when the save arrives (d joined). c must not keep the copy (it would serve
     * it, and later saves go to the replicas): it passes the session on to them and drops it.
     */
    @Test
    void aSaveLandingOnANodeThatIsNoLongerAReplica_isPassedOnNotKept() throws Exception {
        List<String> before = List.of("a" + tag, "b" + tag, "c" + tag);
        List<String> after = new ArrayList<>(before);
        after.add("d" + tag);
        SessionId id = rankedFor(before, Set.of("a" + tag, "c" + tag), after, Set.of("a" + tag, "d" + tag));
        ExecutorService background = Executors.newSingleThreadExecutor();
        try (PrimaryBackupSessionStore a = node("a", Duration.ofSeconds(5));
                PrimaryBackupSessionStore b = node("b", Duration.ofSeconds(5));
                PrimaryBackupSessionStore c = node("c", Duration.ofSeconds(5))) {
            CopiesAgreeIT.awaitMembers(a, 3);
            CopiesAgreeIT.awaitMembers(c, 3);
            HoldBack.of("c" + tag).hold(HoldBack.savesFrom("a" + tag));
            a.save(create(id, "1 item")); // asynchronous: a applies it, c's copy is held back
            HoldBack.of("c" + tag).awaitHeld(1, 5);
            try (PrimaryBackupSessionStore d = node("d", Duration.ofSeconds(5))) {
                CopiesAgreeIT.awaitMembers(c, 4);
                HoldBack.of("c" + tag).release();
                CartCopies.awaitCart(() -> d.heldCopy(id), "1 item", "the new replica's copy");
                CartCopies.awaitGone(() -> c.heldCopy(id), "the copy that landed on a node no longer a replica");
                assertThat(CartCopies.cart(c.load(id))).as("read through c").isEqualTo("1 item");
            }
        } finally {
            background.shutdownNow();
        }
    }

    /**
     * Issue 11 item 12: a joiner whose pull is never answered must not start serving with its
     * sessions missing (pages were skipped before), nor stay in the cluster as a member whose
     * gate never opens, holding every save sent to it.
     */
    @Test
    void aJoinerWhosePullIsNeverAnswered_failsToStart_andLeaves() throws Exception {
        try (PrimaryBackupSessionStore a = node("a", Duration.ofMillis(200))) {
            a.save(create(SessionId.random(), "1 item"));
            HoldBack.holdOnStart("j" + tag, HoldBack.pullAnswersFrom("a" + tag));
            assertThatThrownBy(() -> node("j", Duration.ofMillis(200)))
                    .isInstanceOf(SessionStoreUnavailableException.class)
                    .hasMessageContaining("could not receive this node's sessions");
            Await.until(
                    Duration.ofSeconds(10),
                    a::members,
                    view -> view.size() == 1,
                    "the cluster after the failed join to be a alone");
        }
    }

    private static SessionId rankedFor(List<String> view, Set<String> before, List<String> grown, Set<String> after) {
        for (int i = 0; i < 100_000; i++) {
            SessionId id = SessionId.random();
            if (Set.copyOf(Rendezvous.top(id.value(), view, 2)).equals(before)
                    && Set.copyOf(Rendezvous.top(id.value(), grown, 2)).equals(after)) {
                return id;
            }
        }
        throw new IllegalStateException("no session id ranks that way");
    }
}
