package dev.satchel.demo;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;
import java.io.EOFException;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outermost filter: names the node on every response ({@code X-Served-By}), adds the usual security
 * headers, and turns anything unexpected into a JSON 500 without a stack trace.
 */
final class NodeFilter implements Filter {
    private static final Logger LOG = LoggerFactory.getLogger(NodeFilter.class);

    private final String nodeName;

    NodeFilter(String nodeName) {
        this.nodeName = nodeName;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain) throws IOException {
        HttpServletResponse response = (HttpServletResponse) res;
        response.setHeader("X-Served-By", nodeName);
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("Cache-Control", "no-store");
        try {
            chain.doFilter(req, res);
        } catch (IOException | ServletException | RuntimeException e) {
            if (clientWentAway(e)) {
                // Routine (an aborted upload, say), and no answer can reach the client: one line, no trace.
                LOG.info("client went away mid-request: {}", e.toString());
                return;
            }
            LOG.error("unexpected failure serving a request", e);
            if (!response.isCommitted()) {
                response.reset();
                response.setHeader("X-Served-By", nodeName);
                JsonIo.error(response, 500, "internal_error", "the server failed; the failure was logged");
            }
        }
    }

    /** Jetty reports a client that hung up mid-body as an EOFException, possibly wrapped. */
    private static boolean clientWentAway(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof EOFException) {
                return true;
            }
        }
        return false;
    }
}
