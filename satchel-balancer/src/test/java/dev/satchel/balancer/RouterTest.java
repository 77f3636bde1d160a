package dev.satchel.balancer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.SessionId;
import dev.satchel.core.placement.Rendezvous;
import dev.satchel.testkit.MutableClock;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class RouterTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final byte[] key = new byte[32];

    private record Setup(NodeRegistry nodes, Router router, AffinityCookie cookie) {}

    private Setup setup(Policy policy, int count, java.util.function.UnaryOperator<BalancerConfig.Builder> extra) {
        BalancerConfig.Builder b =
                BalancerConfig.builder().policy(policy).cookieKey(key).drainDeadline(Duration.ofMinutes(5));
        IntStream.rangeClosed(1, count).forEach(i -> b.node(new NodeAddress("node-" + i, "127.0.0.1", 9000 + i)));
        BalancerConfig config = extra.apply(b).build();
        NodeRegistry nodes = new NodeRegistry(config, clock);
        AffinityCookie cookie = new AffinityCookie(key);
        return new Setup(nodes, new Router(config, nodes, cookie), cookie);
    }

    private Setup setup(Policy policy, int count) {
        return setup(policy, count, b -> b);
    }

    private static HttpRequest request(String cookie) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        if (cookie != null) {
            r.headers().add("Cookie", cookie);
        }
        return r;
    }

    private static String first(Route route) {
        return route.candidates().get(0).name();
    }

    @Test
    void roundRobin_takesEachNodeInTurn_andListsTheRestAsFallbacks() {
        Setup s = setup(Policy.ROUND_ROBIN, 3);
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            Route r = s.router().route(request(null), "10.0.0.1");
            assertThat(r.candidates()).hasSize(3);
            counts.merge(first(r), 1, Integer::sum);
        }
        assertThat(counts).containsOnly(Map.entry("node-1", 100), Map.entry("node-2", 100), Map.entry("node-3", 100));
    }

    @Test
    void leastConnections_prefersTheIdlestNode() {
        Setup s = setup(Policy.LEAST_CONNECTIONS, 3);
        s.nodes().find("node-1").orElseThrow().active.set(5);
        s.nodes().find("node-2").orElseThrow().active.set(1);
        s.nodes().find("node-3").orElseThrow().active.set(3);
        for (int i = 0; i < 10; i++) {
            assertThat(s.router().route(request(null), "x").candidates())
                    .extracting(Node::name)
                    .containsExactly("node-2", "node-3", "node-1");
        }
    }

    @Test
    void downNodes_areNeverCandidates_forAnyPolicy() {
        for (Policy p : Policy.values()) {
            Setup s = setup(p, 3);
            Node down = s.nodes().find("node-2").orElseThrow();
            for (int i = 0; i < 5; i++) {
                down.passiveFailure("refused");
            }
            String cookie = "SATCHEL_NODE=" + s.cookie().valueFor("node-2") + "; SID="
                    + SessionId.random().value();
            for (int i = 0; i < 50; i++) {
                assertThat(s.router().route(request(cookie), "10.0.0." + i).candidates())
                        .as(p.label())
                        .extracting(Node::name)
                        .doesNotContain("node-2")
                        .isNotEmpty();
            }
        }
    }

    @Test
    void sticky_genuineCookie_pinsToItsNode_forgedOrForeignCookiesDoNot() {
        Setup s = setup(Policy.STICKY_COOKIE, 3);
        String genuine = "SATCHEL_NODE=" + s.cookie().valueFor("node-3");
        for (int i = 0; i < 10; i++) {
            Route r = s.router().route(request(genuine), "x");
            assertThat(first(r)).isEqualTo("node-3");
            assertThat(r.pins()).isTrue();
            assertThat(r.pinnedTo()).contains("node-3");
        }
        String forged = "SATCHEL_NODE=node-3.AAAAAAAAAAAAAAAAAAAAAA";
        String foreignKey = "SATCHEL_NODE="
                + new AffinityCookie(new byte[] {
                            1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
                            26, 27, 28, 29, 30, 31, 32
                        })
                        .valueFor("node-3");
        for (String bad : List.of(forged, foreignKey, "SATCHEL_NODE=node-3", "SATCHEL_NODE=" + "x".repeat(500))) {
            assertThat(s.router().route(request(bad), "x").pinnedTo()).as(bad).isEmpty();
        }
    }

    @Test
    void sticky_followsTheRouteSuffixOfTheSessionId() {
        Setup s = setup(Policy.STICKY_COOKIE, 3);
        String sid = "SID=" + SessionId.random().withRoute("node-2");
        for (int i = 0; i < 10; i++) {
            assertThat(first(s.router().route(request(sid), "x"))).isEqualTo("node-2");
        }
    }

    @Test
    void drain_takesNoNewClients_keepsPinnedOnesUntilTheDeadline() {
        Setup s = setup(Policy.STICKY_COOKIE, 3);
        Node draining = s.nodes().find("node-1").orElseThrow();
        draining.drain();
        assertThat(draining.state()).isEqualTo(NodeState.DRAINING);
        for (int i = 0; i < 30; i++) {
            assertThat(s.router().route(request(null), "x").candidates())
                    .extracting(Node::name)
                    .doesNotContain("node-1");
        }
        String pinned = "SATCHEL_NODE=" + s.cookie().valueFor("node-1");
        assertThat(first(s.router().route(request(pinned), "x"))).isEqualTo("node-1");
        clock.advance(Duration.ofMinutes(5));
        assertThat(first(s.router().route(request(pinned), "x"))).isNotEqualTo("node-1");
        draining.enable();
        assertThat(draining.state()).isEqualTo(NodeState.UP);
        assertThat(first(s.router().route(request(pinned), "x"))).isEqualTo("node-1");
    }

    @Test
    void sessionHash_routesAnIdToItsRendezvousOwner_andNewClientsByRoundRobin() {
        Setup s = setup(Policy.SESSION_HASH, 5);
        for (int i = 0; i < 200; i++) {
            SessionId id = SessionId.random();
            String expected = Rendezvous.owner(id.value(), s.nodes().names()).orElseThrow();
            assertThat(first(s.router().route(request("SID=" + id.withRoute("elsewhere")), "x")))
                    .isEqualTo(expected);
            HttpRequest viaHeader = request(null);
            viaHeader.headers().set("X-Session-Id", id.value());
            assertThat(first(s.router().route(viaHeader, "x"))).isEqualTo(expected);
        }
        Map<String, Integer> fresh = new HashMap<>();
        for (int i = 0; i < 50; i++) {
            fresh.merge(first(s.router().route(request(null), "x")), 1, Integer::sum);
        }
        assertThat(fresh).hasSize(5);
    }

    @Test
    void ipHash_isStablePerAddress_andSpreads() {
        Setup s = setup(Policy.IP_HASH, 3);
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 3000; i++) {
            String ip = "10." + (i / 256) + "." + (i % 256) + ".7";
            String node = first(s.router().route(request(null), ip));
            assertThat(first(s.router().route(request(null), ip))).isEqualTo(node);
            counts.merge(node, 1, Integer::sum);
        }
        counts.values().forEach(c -> assertThat(c).isBetween(850, 1150));
    }

    @Test
    void boundedLoad_skipsAnOverloadedOwner_butKeepsItAsLastResort() {
        Setup s = setup(Policy.SESSION_HASH, 3, b -> b.boundedLoad(1.25));
        SessionId id = SessionId.random();
        List<String> ranking = Rendezvous.rank(id.value(), s.nodes().names());
        s.nodes().find(ranking.get(0)).orElseThrow().active.set(30);
        Route r = s.router().route(request("SID=" + id.value()), "x");
        assertThat(r.candidates())
                .extracting(Node::name)
                .containsExactly(ranking.get(1), ranking.get(2), ranking.get(0));
    }

    @Test
    void activeChecks_needFallFailuresToGoDown_andRiseSuccessesToComeBack() {
        Setup s = setup(Policy.ROUND_ROBIN, 1, b -> b.healthCheck("/health", Duration.ofSeconds(1), 2, 3));
        Node n = s.nodes().find("node-1").orElseThrow();
        n.checked(false);
        n.checked(false);
        assertThat(n.state()).isEqualTo(NodeState.UP);
        n.checked(false);
        assertThat(n.state()).isEqualTo(NodeState.DOWN);
        n.checked(true);
        assertThat(n.state()).isEqualTo(NodeState.DOWN);
        n.checked(true);
        assertThat(n.state()).isEqualTo(NodeState.UP);
    }
}
