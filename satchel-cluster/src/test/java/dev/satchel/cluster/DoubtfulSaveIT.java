package dev.satchel.cluster;

import static dev.satchel.cluster.CartCopies.create;
import static dev.satchel.cluster.CartCopies.setCart;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.testkit.Await;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A synchronous save that the other node does not acknowledge in time fails, but its change is
 * already in the saving node's copy. That node must not show it: the lab's partition saw such a
 * save read back on the saving node, then missing once the node that never got it served the
 * session. The session is refused there until its copy has been sent again and taken.
 */
class DoubtfulSaveIT {
    private static final Duration TIMEOUT = Duration.ofMillis(300);
    private final String cluster = "satchel-doubt-" + UUID.randomUUID();
    private final String tag = "-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void aSaveNotAcknowledgedIsNotReadUntilTheOtherNodeHasIt_replicated() throws Exception {
        try (ReplicatedSessionStore a = ReplicatedSessionStore.builder(cluster)
                        .config("dev/satchel/cluster/loopback-hold.xml")
                        .nodeName("a" + tag)
                        .timeout(TIMEOUT)
                        .build();
                ReplicatedSessionStore b = ReplicatedSessionStore.builder(cluster)
                        .config("dev/satchel/cluster/loopback-hold.xml")
                        .nodeName("b" + tag)
                        .timeout(TIMEOUT)
                        .build()) {
            CopiesAgreeIT.awaitView(a::members, 2);
            CopiesAgreeIT.awaitView(b::members, 2);
            notReadUntilTaken(a, b);
        }
    }

    @Test
    void aSaveNotAcknowledgedIsNotReadUntilTheOtherNodeHasIt_primaryBackup() throws Exception {
        try (PrimaryBackupSessionStore a = PrimaryBackupSessionStore.builder(cluster)
                        .config("dev/satchel/cluster/loopback-hold.xml")
                        .nodeName("a" + tag)
                        .timeout(TIMEOUT)
                        .build();
                PrimaryBackupSessionStore b = PrimaryBackupSessionStore.builder(cluster)
                        .config("dev/satchel/cluster/loopback-hold.xml")
                        .nodeName("b" + tag)
                        .timeout(TIMEOUT)
                        .build()) {
            CopiesAgreeIT.awaitMembers(a, 2);
            CopiesAgreeIT.awaitMembers(b, 2);
            notReadUntilTaken(a, b);
        }
    }

    private void notReadUntilTaken(SessionStore a, SessionStore b) {
        SessionId id = SessionId.random();
        assertThat(a.save(create(id, "1 item"))).isEqualTo(SessionStore.SaveOutcome.CREATED);
        HoldBack onB = HoldBack.of("b" + tag);
        String from = "a" + tag;
        onB.hold(m -> m.getSrc() != null && m.getSrc().toString().equals(from)); // a slow link from a to b
        assertThatThrownBy(() -> a.save(setCart(id, "2 items")))
                .as("a save b never acknowledged")
                .isInstanceOf(SessionStoreUnavailableException.class);
        assertThatThrownBy(() -> a.load(id))
                .as("a read on the node whose save failed, before b has it")
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("not acknowledged");
        onB.release();
        String read = Await.until(
                Duration.ofSeconds(10),
                () -> {
                    try {
                        return CartCopies.cart(a.load(id));
                    } catch (SessionStoreUnavailableException e) {
                        return "refused";
                    }
                },
                cart -> !cart.equals("refused"),
                "the session in doubt to be sent to b again and read on a");
        assertThat(read).as("read on a once b took it").isEqualTo("2 items");
        assertThat(CartCopies.cart(b.load(id))).as("read on b").isEqualTo("2 items");
    }
}
