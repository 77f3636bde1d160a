package dev.satchel.demo;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/** {@code GET /health}: 200 while the node serves, for the balancer's active checks. */
final class HealthServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final String nodeName;

    HealthServlet(String nodeName) {
        this.nodeName = nodeName;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
        JsonIo.write(
                res, 200, JsonIo.MAPPER.createObjectNode().put("status", "up").put("node", nodeName));
    }
}
