package dev.satchel.demo;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /metrics}: the node's session metrics in Prometheus' text format, for a scraper. It
 * says what {@code /health} says in numbers (no session ids, no user names), so it is as public.
 */
final class MetricsServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final transient PrometheusMeterRegistry meters;

    MetricsServlet(PrometheusMeterRegistry meters) {
        this.meters = meters;
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
        res.setStatus(200);
        res.setContentType("text/plain; version=0.0.4");
        res.setCharacterEncoding(StandardCharsets.UTF_8.name());
        res.getWriter().write(meters.scrape());
    }
}
