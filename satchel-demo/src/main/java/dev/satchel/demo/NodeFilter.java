package dev.satchel.demo;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
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
        // A filter further in (the session filter answering 503 when the store is down) resets the
        // response; the node's name and its security headers must survive that.
        HttpServletResponse response = new HttpServletResponseWrapper((HttpServletResponse) res) {
            @Override
            public void reset() {
                super.reset();
                nameTheNode(this);
            }
        };
        nameTheNode(response);
        try {
            chain.doFilter(req, response);
        } catch (IOException | ServletException | RuntimeException e) {
            if (clientWentAway(e)) {
                // Routine (an aborted upload, say), and no answer can reach the client: one line, no trace.
                LOG.info("client went away mid-request: {}", e.toString());
                return;
            }
            LOG.error("unexpected failure serving a request", e);
            if (!response.isCommitted()) {
                response.reset();
                JsonIo.error(response, 500, "internal_error", "the server failed; the failure was logged");
            }
        }
    }

    private void nameTheNode(HttpServletResponse response) {
        response.setHeader("X-Served-By", nodeName);
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("Cache-Control", "no-store");
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
