package dev.satchel.demo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.satchel.core.ClusterView;
import dev.satchel.servlet.SatchelSessions;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * {@code GET /health}: 200 while the node serves, 503 while its clustered store is not ready (see
 * {@link ClusterView#ready}), for the balancer's active checks, with the
 * session store's counters when it keeps any (remote reads of a primary-backup cluster, say), and
 * the cluster view of a clustered store, so an operator can see which nodes agree on whom.
 */
final class HealthServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final String nodeName;
    private final transient Supplier<Map<String, Long>> storeCounters;
    private final transient Supplier<Optional<ClusterView>> view;

    HealthServlet(String nodeName, Supplier<Map<String, Long>> storeCounters, Supplier<Optional<ClusterView>> view) {
        this.nodeName = nodeName;
        this.storeCounters = storeCounters;
        this.view = view;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
        Optional<ClusterView> now = view.get();
        boolean ready = now.map(ClusterView::ready).orElse(true);
        // 503 while not ready: the balancer's checks then keep this node's users elsewhere.
        ObjectNode body = JsonIo.MAPPER
                .createObjectNode()
                .put("status", ready ? "up" : "not ready")
                .put("node", nodeName);
        ObjectNode store = body.putObject("store");
        new TreeMap<>(storeCounters.get()).forEach(store::put);
        // Contention on the cart: atomic updates, and the attempts that found it changed.
        ObjectNode sessions = body.putObject("sessions");
        SatchelSessions.of(getServletContext()).ifPresent(s -> s.counters().forEach(sessions::put));
        now.ifPresent(v -> {
            ObjectNode out = body.putObject("view").put("id", v.id()).put("ready", v.ready());
            ArrayNode members = out.putArray("members");
            v.members().forEach(members::add);
        });
        JsonIo.write(res, ready ? 200 : 503, body);
    }
}
