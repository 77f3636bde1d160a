package dev.satchel.cluster;

import static dev.satchel.cluster.CartCopies.create;
import static dev.satchel.cluster.CartCopies.setCart;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStore.SaveOutcome;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.placement.Rendezvous;
import dev.satchel.testkit.Await;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Once one node holds a session's tombstone, that session is over, and no node may go on showing
 * it. The lab's partition found the replicated store breaking this: a login's rename took the old
 * session on its deciding node, the creation of the new one then failed (a node cut off did not
 * answer), and the old id's end, sent after it, never left; the other nodes showed the old cart
 * until the partition healed, when the decider's tombstone won and it was gone for good. A shopper
 * saw the session gone, back, and gone again. A save that meets such a tombstone must end the
 * session too, rather than leave its refused change readable on the node that made it.
 */
class EndedEverywhereIT {
    private static final Duration TIMEOUT = Duration.ofMillis(300);
    private final String cluster = "satchel-ended-" + UUID.randomUUID();
    private final String tag = "-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void aLoginCutShortEndsTheOldIdOnEveryNode_replicated() throws Exception {
        try (ReplicatedSessionStore a = replicated("a");
                ReplicatedSessionStore b = replicated("b");
                ReplicatedSessionStore c = replicated("c")) {
            awaitViews(3, a, b, c);
            SessionId old = decidedBy("b");
            assertThat(a.save(create(old, "1 item"))).isEqualTo(SaveOutcome.CREATED);
            CartCopies.awaitCart(() -> c.load(old), "1 item", "the session on c");
            HoldBack.of("c" + tag).hold(HoldBack.savesFrom("a" + tag)); // c does not answer a in time

            assertThatThrownBy(() -> a.save(login(old)))
                    .as("a login on a that c never acknowledged")
                    .isInstanceOf(SessionStoreUnavailableException.class);

            assertThat(b.load(old)).as("the old id on b, which took it").isEmpty();
            assertThat(readOrRefused(() -> a.load(old)))
                    .as("the old id on a, where the login failed")
                    .isNotEqualTo("1 item");
            HoldBack.of("c" + tag).release();
            for (ReplicatedSessionStore node : List.of(a, b, c)) {
                Await.until(
                        Duration.ofSeconds(10),
                        () -> readOrRefused(() -> node.load(old)),
                        "<none>"::equals,
                        "the old id to be ended on " + node.members());
            }
        }
    }

    @Test
    void aSaveThatMeetsATombstoneEndsTheSessionOnEveryNode_replicated() throws Exception {
        try (ReplicatedSessionStore a = replicated("a");
                ReplicatedSessionStore b = replicated("b");
                ReplicatedSessionStore c = replicated("c")) {
            awaitViews(3, a, b, c);
            SessionId old = decidedBy("b");
            assertThat(a.save(create(old, "1 item"))).isEqualTo(SaveOutcome.CREATED);
            CartCopies.awaitCart(() -> c.load(old), "1 item", "the session on c");
            // b ends the session with a login whose messages to a and c are held: only b knows.
            HoldBack.of("a" + tag).hold(HoldBack.requestsFrom("b" + tag));
            HoldBack.of("c" + tag).hold(HoldBack.requestsFrom("b" + tag));
            assertThatThrownBy(() -> b.save(login(old))).isInstanceOf(SessionStoreUnavailableException.class);
            assertThat(CartCopies.cart(c.load(old)))
                    .as("c, before it hears of it")
                    .isEqualTo("1 item");

            assertThat(c.save(setCart(old, "2 items")))
                    .as("a save on c that b refuses")
                    .isEqualTo(SaveOutcome.GONE);

            // Before anything held is let go: c and a learned it from b's refusal.
            assertThat(CartCopies.cart(c.load(old))).as("the session on c").isEqualTo("<none>");
            assertThat(CartCopies.cart(a.load(old))).as("the session on a").isEqualTo("<none>");
            HoldBack.of("a" + tag).release();
            HoldBack.of("c" + tag).release();
        }
    }

    @Test
    void aLoginCutShortLeavesNoBackupToServeTheOldIdWhenTheOwnerDies_primaryBackup() throws Exception {
        try (PrimaryBackupSessionStore a = primaryBackup("a");
                PrimaryBackupSessionStore c = primaryBackup("c")) {
            SessionId old;
            try (PrimaryBackupSessionStore b = primaryBackup("b")) {
                awaitViews(3, a, b, c);
                old = ownedBy("b", "c"); // b owns it, c backs it up, a only serves the login
                assertThat(a.save(create(old, "1 item"))).isEqualTo(SaveOutcome.CREATED);
                CartCopies.awaitCart(() -> c.heldCopy(old), "1 item", "the backup on c");
                HoldBack.of("c" + tag).hold(HoldBack.savesFrom("a" + tag));

                assertThatThrownBy(() -> a.save(login(old)))
                        .as("a login on a that c never acknowledged")
                        .isInstanceOf(SessionStoreUnavailableException.class);
                assertThat(b.heldCopy(old))
                        .as("the old id on its owner, which took it")
                        .isEmpty();
                HoldBack.of("c" + tag).release();
            }
            awaitViews(2, a, c); // b is gone: c is the old id's owner now
            Await.until(
                    Duration.ofSeconds(10),
                    () -> readOrRefused(() -> a.load(old)),
                    "<none>"::equals,
                    "the old id to stay ended once its owner left");
            assertThat(c.heldCopy(old)).as("the old id on c").isEmpty();
        }
    }

    /** A login: the session moves to a new id, and the old one ends. */
    private static ChangeSet login(SessionId old) {
        Instant now = Instant.now();
        return ChangeSet.builder(old, now, now.plus(Duration.ofHours(8)))
                .changeId(SessionId.random())
                .accessedAt(now)
                .build();
    }

    /** A session id whose conditional saves and renames node {@code decider} decides. */
    private SessionId decidedBy(String decider) {
        List<String> names = List.of("a" + tag, "b" + tag, "c" + tag);
        while (true) {
            SessionId id = SessionId.random();
            if (Rendezvous.owner(id.value(), names).orElseThrow().equals(decider + tag)) {
                return id;
            }
        }
    }

    /** A primary-backup session id with these two replicas, owner first. */
    private SessionId ownedBy(String owner, String backup) {
        List<String> names = List.of("a" + tag, "b" + tag, "c" + tag);
        while (true) {
            SessionId id = SessionId.random();
            if (Rendezvous.top(id.value(), names, 2).equals(List.of(owner + tag, backup + tag))) {
                return id;
            }
        }
    }

    private static String readOrRefused(Supplier<Optional<SessionRecord>> read) {
        try {
            return CartCopies.cart(read.get());
        } catch (SessionStoreUnavailableException e) {
            return "refused";
        }
    }

    private static void awaitViews(int size, SessionStore... nodes) {
        for (SessionStore node : nodes) {
            Supplier<List<String>> members =
                    node instanceof ReplicatedSessionStore r ? r::members : ((PrimaryBackupSessionStore) node)::members;
            CopiesAgreeIT.awaitView(members, size);
        }
    }

    private ReplicatedSessionStore replicated(String name) {
        return ReplicatedSessionStore.builder(cluster)
                .config("dev/satchel/cluster/loopback-hold.xml")
                .nodeName(name + tag)
                .timeout(TIMEOUT)
                .build();
    }

    private PrimaryBackupSessionStore primaryBackup(String name) {
        return PrimaryBackupSessionStore.builder(cluster)
                .config("dev/satchel/cluster/loopback-hold.xml")
                .nodeName(name + tag)
                .timeout(TIMEOUT)
                .build();
    }
}
