package dev.satchel.cluster;

import static dev.satchel.cluster.CartCopies.create;
import static dev.satchel.cluster.CartCopies.setCart;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.placement.Rendezvous;
import dev.satchel.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jgroups.Address;
import org.jgroups.JChannel;
import org.jgroups.MergeView;
import org.jgroups.View;
import org.jgroups.ViewId;
import org.jgroups.protocols.pbcast.GMS;
import org.junit.jupiter.api.Test;

/**
 * A partition and its healing, made to happen inside one JVM by installing the views each side
 * would see: a alone, b and c together; then the merge. While apart, the side of two keeps
 * working: carts change, some users log out, and the lone node writes too, earlier. After the
 * merge every copy must hold what the side of two wrote last, and every logout must stand
 * (before the version scheme: whichever copy arrived last won, and logouts were undone).
 */
class PartitionIT {
    private final String cluster = "satchel-partition-" + UUID.randomUUID();
    private final String tag = "-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void afterAPartitionHeals_theLatestWritesWinAndLogoutsStand_primaryBackup() throws Exception {
        try (PrimaryBackupSessionStore a = primaryBackup("a");
                PrimaryBackupSessionStore b = primaryBackup("b");
                PrimaryBackupSessionStore c = primaryBackup("c")) {
            CopiesAgreeIT.awaitMembers(a, 3);
            Map<String, PrimaryBackupSessionStore> byName = Map.of("a", a, "b", b, "c", c);
            Scenario s = new Scenario(b, a);
            s.before();
            Views views = Views.split(a.channel(), b.channel(), c.channel());
            CopiesAgreeIT.awaitView(a::members, 1);
            CopiesAgreeIT.awaitView(b::members, 2);
            s.whileApart();
            views.merge();
            CopiesAgreeIT.awaitView(a::members, 3);
            awaitEmpty(() -> {
                List<String> wrong = new ArrayList<>();
                s.expected.forEach((id, cart) -> {
                    for (String replica : Rendezvous.top(
                            id.value(),
                            byName.keySet().stream().map(n -> n + tag).toList(),
                            2)) {
                        String held = CartCopies.cart(
                                byName.get(replica.substring(0, 1)).heldCopy(id));
                        if (!held.equals(cart)) {
                            wrong.add(replica + " holds " + held + " for " + cart);
                        }
                    }
                });
                for (SessionId out : s.loggedOut) {
                    byName.forEach((name, node) -> {
                        if (node.heldCopy(out).isPresent()) {
                            wrong.add(name + " holds a session logged out during the partition");
                        }
                    });
                }
                return wrong;
            });
            for (SessionId out : s.loggedOut) {
                assertThat(a.load(out))
                        .as("a logout made during the partition, read through a")
                        .isEmpty();
            }
        }
    }

    @Test
    void afterAPartitionHeals_theLatestWritesWinAndLogoutsStand_replicated() throws Exception {
        try (ReplicatedSessionStore a = replicated("a");
                ReplicatedSessionStore b = replicated("b");
                ReplicatedSessionStore c = replicated("c")) {
            CopiesAgreeIT.awaitView(a::members, 3);
            CopiesAgreeIT.awaitView(c::members, 3);
            Scenario s = new Scenario(b, a);
            s.before();
            Views views = Views.split(a.channel(), b.channel(), c.channel());
            CopiesAgreeIT.awaitView(a::members, 1);
            CopiesAgreeIT.awaitView(b::members, 2);
            s.whileApart();
            views.merge();
            CopiesAgreeIT.awaitView(a::members, 3);
            Map<String, ReplicatedSessionStore> byName = Map.of("a", a, "b", b, "c", c);
            awaitEmpty(() -> {
                List<String> wrong = new ArrayList<>();
                s.expected.forEach((id, cart) -> byName.forEach((name, node) -> {
                    String held = CartCopies.cart(node.load(id));
                    if (!held.equals(cart)) {
                        wrong.add(name + " holds " + held + " for " + cart);
                    }
                }));
                for (SessionId out : s.loggedOut) {
                    byName.forEach((name, node) -> {
                        if (node.load(out).isPresent()) {
                            wrong.add(name + " holds a session logged out during the partition");
                        }
                    });
                }
                return wrong;
            });
        }
    }

    @Test
    void aNodeBackFromTheSmallerSideServesNothingUntilItHasTheOtherSidesSessions_replicated() throws Exception {
        try (ReplicatedSessionStore a = replicated("a");
                ReplicatedSessionStore b = replicated("b");
                ReplicatedSessionStore c = replicated("c")) {
            CopiesAgreeIT.awaitView(a::members, 3);
            CopiesAgreeIT.awaitView(c::members, 3);
            backFromTheSmallerSide(a, b, Map.of("a", a, "b", b, "c", c), a::view);
        }
    }

    @Test
    void aNodeBackFromTheSmallerSideServesNothingUntilItHasTheOtherSidesSessions_primaryBackup() throws Exception {
        try (PrimaryBackupSessionStore a = primaryBackup("a");
                PrimaryBackupSessionStore b = primaryBackup("b");
                PrimaryBackupSessionStore c = primaryBackup("c")) {
            CopiesAgreeIT.awaitMembers(a, 3);
            backFromTheSmallerSide(a, b, Map.of("a", a, "b", b, "c", c), a::view);
        }
    }

    /**
     * Splits a from b and c, lets b's side write, then merges while a receives nothing from b and
     * c: a must refuse reads and saves (before: it answered from its copies, which missed every
     * write of the other side) and say it is not ready, then serve what b's side acknowledged once
     * the other side's sessions reach it.
     */
    private void backFromTheSmallerSide(
            SessionStore lone,
            SessionStore majority,
            Map<String, ? extends SessionStore> byName,
            Supplier<dev.satchel.core.ClusterView> loneView)
            throws Exception {
        Scenario s = new Scenario(majority, lone);
        s.before();
        List<JChannel> channels = byName.keySet().stream()
                .sorted()
                .map(name -> channelOf(byName.get(name)))
                .toList();
        Views views = Views.split(channels.get(0), channels.get(1), channels.get(2));
        CopiesAgreeIT.awaitView(() -> memberNames(channels.get(0)), 1);
        CopiesAgreeIT.awaitView(() -> memberNames(channels.get(1)), 2);
        s.whileApart();
        HoldBack loneHold = HoldBack.of(channels.get(0).getName());
        String bName = channels.get(1).getName();
        String cName = channels.get(2).getName();
        loneHold.hold(HoldBack.savesFrom(bName)
                .or(HoldBack.savesFrom(cName))
                .or(HoldBack.pullAnswersFrom(bName))
                .or(HoldBack.pullAnswersFrom(cName)));
        views.mergeAll();
        SessionId someCart = s.expected.keySet().iterator().next();
        Await.until(Duration.ofSeconds(5), () -> !loneView.get().ready(), "the lone node to count itself behind");
        assertThatThrownBy(() -> lone.load(someCart))
                .as("a read on the node back from the smaller side, before it has the other side's sessions")
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("smaller side");
        assertThatThrownBy(() -> lone.save(setCart(someCart, "based on a copy that missed the other side")))
                .isInstanceOf(SessionStoreUnavailableException.class);
        loneHold.release();
        Await.until(Duration.ofSeconds(10), () -> loneView.get().ready(), "the lone node to catch up");
        s.expected.forEach((id, cart) -> assertThat(CartCopies.cart(lone.load(id)))
                .as("read through the node back from the smaller side")
                .isEqualTo(cart));
        for (SessionId out : s.loggedOut) {
            assertThat(lone.load(out)).as("a logout made on the other side").isEmpty();
        }
    }

    private static JChannel channelOf(SessionStore store) {
        return store instanceof ReplicatedSessionStore r ? r.channel() : ((PrimaryBackupSessionStore) store).channel();
    }

    private static List<String> memberNames(JChannel channel) {
        return channel.getView().getMembers().stream().map(Address::toString).toList();
    }

    /** What users do before, during and after the partition, and what must be true after it. */
    private static final class Scenario {
        private final SessionStore majority;
        private final SessionStore minority;
        private final List<SessionId> carts = new ArrayList<>();
        final Map<SessionId, String> expected = new LinkedHashMap<>();
        final List<SessionId> loggedOut = new ArrayList<>();

        Scenario(SessionStore majority, SessionStore minority) {
            this.majority = majority;
            this.minority = minority;
        }

        void before() {
            for (int i = 0; i < 60; i++) {
                SessionId id = SessionId.random();
                majority.save(create(id, "1 item"));
                (i % 3 == 0 ? loggedOut : carts).add(id);
            }
        }

        void whileApart() throws InterruptedException {
            // The lone node writes first (what a node cut off from the balancer still accepts
            // from a client that reaches it), the side of two later: later writes win.
            for (SessionId id : carts) {
                minority.load(id).ifPresent(r -> minority.save(setCart(id, "stale, from the lone node")));
            }
            for (SessionId id : loggedOut) {
                minority.load(id).ifPresent(r -> minority.save(setCart(id, "written where no logout was seen")));
            }
            TimeUnit.MILLISECONDS.sleep(5); // a later millisecond, so the side of two writes later
            int n = 0;
            for (SessionId id : carts) {
                String cart = (2 + n++ % 5) + " items";
                assertThat(majority.save(setCart(id, cart))).isEqualTo(SessionStore.SaveOutcome.UPDATED);
                expected.put(id, cart);
            }
            for (SessionId id : loggedOut) {
                assertThat(majority.delete(id))
                        .as("a logout during the partition")
                        .isTrue();
            }
        }
    }

    /** Views installed by hand: a alone and b with c, then the merge of both. */
    private record Views(List<JChannel> channels, View alone, View pair, long next) {
        static Views split(JChannel a, JChannel b, JChannel c) {
            long id = a.getView().getViewId().getId();
            View alone = View.create(a.getAddress(), id + 1, a.getAddress());
            View pair = View.create(b.getAddress(), id + 2, b.getAddress(), c.getAddress());
            install(a, alone);
            install(b, pair);
            install(c, pair);
            return new Views(List.of(a, b, c), alone, pair, id + 3);
        }

        /**
         * Installs the merged view on every node, the lone node first, and holds its copies back
         * on their way to the others until they have sent theirs: its stale copies then arrive
         * last, and only the stamps keep them from winning (whichever arrived last won before).
         */
        void merge() throws InterruptedException {
            List<Address> all = new ArrayList<>(alone.getMembers());
            all.addAll(pair.getMembers());
            MergeView merged = new MergeView(new ViewId(all.get(0), next), all, List.of(alone, pair));
            String lone = channels.get(0).getName();
            List<HoldBack> others = List.of(
                    HoldBack.of(channels.get(1).getName()),
                    HoldBack.of(channels.get(2).getName()));
            others.forEach(h -> h.hold(HoldBack.savesFrom(lone)));
            install(channels.get(0), merged);
            for (HoldBack h : others) {
                h.awaitHeld(1, 5);
            }
            install(channels.get(1), merged);
            install(channels.get(2), merged);
            TimeUnit.MILLISECONDS.sleep(300); // their copies reach the lone node, which keeps the newer
            others.forEach(HoldBack::release);
        }

        /** Installs the merged view on every node, with nothing held back. */
        void mergeAll() {
            List<Address> all = new ArrayList<>(alone.getMembers());
            all.addAll(pair.getMembers());
            MergeView merged = new MergeView(new ViewId(all.get(0), next), all, List.of(alone, pair));
            channels.forEach(c -> install(c, merged));
        }

        private static void install(JChannel channel, View view) {
            GMS gms = channel.getProtocolStack().findProtocol(GMS.class);
            gms.installView(view);
        }
    }

    private PrimaryBackupSessionStore primaryBackup(String name) {
        return PrimaryBackupSessionStore.builder(cluster)
                .config("dev/satchel/cluster/loopback-hold.xml")
                .nodeName(name + tag)
                .build();
    }

    private ReplicatedSessionStore replicated(String name) {
        return ReplicatedSessionStore.builder(cluster)
                .config("dev/satchel/cluster/loopback-hold.xml")
                .nodeName(name + tag)
                .build();
    }

    /** Waits up to 10 s for the list of what is wrong to be empty; a timeout shows what still is. */
    private static void awaitEmpty(Supplier<List<String>> wrong) {
        Await.until(
                Duration.ofSeconds(10), wrong::get, List::isEmpty, "every copy to match what was acknowledged last");
    }
}
