package dev.satchel.demo;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/** Serves the few static pages of the shop from the jar, held in memory. */
final class PagesServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private record Page(String contentType, byte[] body) {}

    private static final Map<String, Page> PAGES = Map.of(
            "/", load("index.html", "text/html; charset=utf-8"),
            "/login", load("login.html", "text/html; charset=utf-8"),
            "/cart", load("cart.html", "text/html; charset=utf-8"),
            "/app.js", load("app.js", "text/javascript; charset=utf-8"),
            "/style.css", load("style.css", "text/css; charset=utf-8"));

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
        Page page = PAGES.get(req.getRequestURI());
        if (page == null) {
            JsonIo.error(res, 404, "not_found", "no such page");
            return;
        }
        res.setContentType(page.contentType());
        res.setHeader("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
        res.setContentLength(page.body().length);
        res.getOutputStream().write(page.body());
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse res) throws IOException {
        if (!"GET".equals(req.getMethod()) && !"HEAD".equals(req.getMethod())) {
            res.setHeader("Allow", "GET, HEAD");
            JsonIo.error(res, 405, "method_not_allowed", "allowed: GET, HEAD");
            return;
        }
        try {
            super.service(req, res);
        } catch (jakarta.servlet.ServletException e) {
            throw new IOException(e);
        }
    }

    private static Page load(String name, String type) {
        try (InputStream in = PagesServlet.class.getResourceAsStream("/static/" + name)) {
            if (in == null) {
                throw new IllegalStateException("page missing from the jar: " + name);
            }
            return new Page(type, in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
