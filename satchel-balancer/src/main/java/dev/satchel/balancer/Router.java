package dev.satchel.balancer;

import dev.satchel.core.SessionId;
import dev.satchel.core.placement.Rendezvous;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Turns a request into a {@link Route} according to the policy. For every policy, a node that is
 * down is never chosen, the next in the policy's order is (redispatch), and a pinning policy pins
 * the client again to whichever node answers. Thread-safe.
 */
final class Router {
    private final BalancerConfig config;
    private final NodeRegistry nodes;
    private final AffinityCookie affinity;
    private final AtomicLong turn = new AtomicLong();

    Router(BalancerConfig config, NodeRegistry nodes, AffinityCookie affinity) {
        this.config = config;
        this.nodes = nodes;
        this.affinity = affinity;
    }

    Route route(HttpRequest request, String clientIp) {
        return switch (config.policy) {
            case ROUND_ROBIN, LEAST_CONNECTIONS -> new Route(spread(config.policy), false, Optional.empty());
            case STICKY_COOKIE -> sticky(request);
            case IP_HASH -> new Route(hashed(clientIp), false, Optional.empty());
            case SESSION_HASH -> sessionId(request)
                    .map(id -> new Route(hashed(id.value()), false, Optional.<String>empty()))
                    .orElseGet(() -> new Route(spread(config.newSessionBalance), false, Optional.empty()));
        };
    }

    /**
     * Where this request would go now and why, without taking a turn of round-robin: the live
     * view's "you are served by". Empty node when the policy spreads requests or nothing pins them yet.
     */
    ViewerRoute preview(HttpRequest request, String clientIp) {
        return switch (config.policy) {
            case ROUND_ROBIN, LEAST_CONNECTIONS -> new ViewerRoute(
                    Optional.empty(), config.policy.label() + ": each request may go to a different node");
            case IP_HASH -> first(hashed(clientIp), "the hash of your address " + clientIp);
            case SESSION_HASH -> sessionId(request)
                    .map(id -> first(hashed(id.value()), "the hash of your session id"))
                    .orElseGet(() -> new ViewerRoute(Optional.empty(), "no session cookie yet"));
            case STICKY_COOKIE -> {
                Optional<String> pinned = pinnedTo(request);
                if (pinned.isEmpty()) {
                    yield new ViewerRoute(Optional.empty(), "no affinity cookie yet");
                }
                Optional<Node> node = pinned.flatMap(nodes::find).filter(Node::takesPinnedClients);
                yield node.isPresent()
                        ? new ViewerRoute(node.map(Node::name), "your affinity cookie")
                        : new ViewerRoute(
                                Optional.empty(),
                                "your cookie pins you to " + pinned.get()
                                        + ", which is down: you move on your next request");
            }
        };
    }

    private static ViewerRoute first(List<Node> ranked, String how) {
        return ranked.isEmpty()
                ? new ViewerRoute(Optional.empty(), "no node is up")
                : new ViewerRoute(Optional.of(ranked.get(0).name()), how);
    }

    /** The node a viewer's requests go to, if one, and how the policy chose it. */
    record ViewerRoute(Optional<String> node, String how) {}

    /** Nodes taking new clients, in round-robin or least-connections order. */
    List<Node> spread(Policy balance) {
        List<Node> up = new ArrayList<>();
        for (Node n : nodes.all()) {
            if (n.takesNewClients()) {
                up.add(n);
            }
        }
        if (up.isEmpty()) {
            return up;
        }
        int start = (int) Math.floorMod(turn.getAndIncrement(), (long) up.size());
        List<Node> ordered = new ArrayList<>(up.size());
        for (int i = 0; i < up.size(); i++) {
            ordered.add(up.get((start + i) % up.size()));
        }
        if (balance == Policy.LEAST_CONNECTIONS) {
            ordered.sort(Comparator.comparingInt(n -> n.active.get())); // stable: ties keep their turn
        }
        return ordered;
    }

    /** The node a sticky client is pinned to: its affinity cookie's, else its session id's route suffix. */
    private Optional<String> pinnedTo(HttpRequest request) {
        Optional<String> pinned = cookie(request, config.affinityCookie).flatMap(affinity::nodeOf);
        // The application's own session id may carry the node as a route suffix (jvmRoute).
        return pinned.isPresent()
                ? pinned
                : cookie(request, config.sessionCookie).flatMap(SessionId::routeOf);
    }

    private Route sticky(HttpRequest request) {
        Optional<String> pinned = pinnedTo(request);
        List<Node> candidates = new ArrayList<>();
        pinned.flatMap(nodes::find).filter(Node::takesPinnedClients).ifPresent(candidates::add);
        for (Node n : spread(config.newSessionBalance)) {
            if (!candidates.contains(n)) {
                candidates.add(n);
            }
        }
        return new Route(candidates, true, pinned);
    }

    /**
     * Nodes in rendezvous order for the key: pinned-capable nodes (a draining owner keeps its
     * clients until the deadline), skipping, under bounded load, nodes carrying too much.
     */
    List<Node> hashed(String key) {
        List<String> ranking = Rendezvous.rank(key, nodes.names());
        List<Node> candidates = new ArrayList<>(ranking.size());
        List<Node> overloaded = new ArrayList<>();
        double cap = Double.MAX_VALUE;
        if (config.boundedLoad.isPresent()) {
            int total = 0;
            int live = 0;
            for (Node n : nodes.all()) {
                if (n.takesPinnedClients()) {
                    total += n.active.get();
                    live++;
                }
            }
            cap = live == 0 ? 0 : Math.ceil(config.boundedLoad.getAsDouble() * (total + 1) / live);
        }
        for (String name : ranking) {
            Optional<Node> node = nodes.find(name).filter(Node::takesPinnedClients);
            if (node.isPresent()) {
                (node.get().active.get() + 1 > cap ? overloaded : candidates).add(node.get());
            }
        }
        candidates.addAll(overloaded); // overloaded nodes stay last resorts, in ranking order
        return candidates;
    }

    private Optional<SessionId> sessionId(HttpRequest request) {
        String header = request.headers().get(config.sessionHeader);
        if (header != null) {
            Optional<SessionId> id = SessionId.parse(header.strip());
            if (id.isPresent()) {
                return id;
            }
        }
        return cookie(request, config.sessionCookie).flatMap(SessionId::parse);
    }

    /**
     * The value of the first cookie called {@code name}. Scans the Cookie headers for that one pair
     * rather than decoding them all: this runs on every request.
     */
    static Optional<String> cookie(HttpRequest request, String name) {
        for (String header : request.headers().getAll(HttpHeaderNames.COOKIE)) {
            int from = 0;
            while (from < header.length()) {
                int end = header.indexOf(';', from);
                if (end < 0) {
                    end = header.length();
                }
                int start = from;
                while (start < end && header.charAt(start) == ' ') {
                    start++;
                }
                if (end - start > name.length()
                        && header.charAt(start + name.length()) == '='
                        && header.startsWith(name, start)) {
                    String value =
                            header.substring(start + name.length() + 1, end).strip();
                    if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                        value = value.substring(1, value.length() - 1);
                    }
                    return Optional.of(value);
                }
                from = end + 1;
            }
        }
        return Optional.empty();
    }
}
