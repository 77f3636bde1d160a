package dev.satchel.demo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.satchel.core.ClusterView;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * {@code GET /health}: 200 while the node serves, for the balancer's active checks, with the
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
        ObjectNode body = JsonIo.MAPPER.createObjectNode().put("status", "up").put("node", nodeName);
        ObjectNode store = body.putObject("store");
        new TreeMap<>(storeCounters.get()).forEach(store::put);
        view.get().ifPresent(v -> {
            ObjectNode out = body.putObject("view").put("id", v.id());
            ArrayNode members = out.putArray("members");
            v.members().forEach(members::add);
        });
        JsonIo.write(res, 200, body);
    }
}
