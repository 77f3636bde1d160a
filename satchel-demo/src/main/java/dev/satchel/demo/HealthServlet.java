package dev.satchel.demo;

import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * {@code GET /health}: 200 while the node serves, for the balancer's active checks, with the
 * session store's counters when it keeps any (remote reads of a primary-backup cluster, say).
 */
final class HealthServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final String nodeName;
    private final transient Supplier<Map<String, Long>> storeCounters;

    HealthServlet(String nodeName, Supplier<Map<String, Long>> storeCounters) {
        this.nodeName = nodeName;
        this.storeCounters = storeCounters;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
        ObjectNode body = JsonIo.MAPPER.createObjectNode().put("status", "up").put("node", nodeName);
        ObjectNode store = body.putObject("store");
        new TreeMap<>(storeCounters.get()).forEach(store::put);
        JsonIo.write(res, 200, body);
    }
}
