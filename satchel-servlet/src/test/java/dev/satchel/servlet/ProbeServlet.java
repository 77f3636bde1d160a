package dev.satchel.servlet;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** A servlet whose paths exercise one session operation each, for the container tests. */
final class ProbeServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    /** Released by a test while a request waits after committing its response. */
    volatile CountDownLatch hold = new CountDownLatch(0);
    /** Counted down once the waiting request has committed. */
    volatile CountDownLatch committed = new CountDownLatch(1);

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        String op = req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo());
        op = op.substring(op.lastIndexOf('/') + 1);
        int semicolon = op.indexOf(';');
        if (semicolon >= 0) {
            op = op.substring(0, semicolon);
        }
        String name = req.getParameter("name");
        String value = req.getParameter("value");
        resp.setContentType("text/plain");
        switch (op) {
            case "set" -> {
                req.getSession().setAttribute(name, value);
                resp.getWriter().print("ok");
            }
            case "set-int" -> {
                req.getSession().setAttribute(name, Integer.parseInt(value));
                resp.getWriter().print("ok");
            }
            case "get" -> {
                HttpSession s = req.getSession(false);
                resp.getWriter().print(s == null ? "no-session" : String.valueOf(s.getAttribute(name)));
            }
            case "remove" -> {
                req.getSession().removeAttribute(name);
                resp.getWriter().print("ok");
            }
            case "id" -> {
                HttpSession s = req.getSession(false);
                resp.getWriter().print(s == null ? "no-session" : s.getId());
            }
            case "new" -> resp.getWriter().print(req.getSession().isNew());
            case "rotate" -> {
                req.getSession().setAttribute("rotated", "yes");
                resp.getWriter().print(req.changeSessionId());
            }
            case "invalidate" -> {
                HttpSession s = req.getSession(false);
                if (s != null) {
                    s.invalidate();
                }
                resp.getWriter().print("ok");
            }
            case "relogin" -> {
                req.getSession().invalidate();
                req.getSession().setAttribute("fresh", "yes");
                resp.getWriter().print("ok");
            }
            case "max-inactive" -> {
                req.getSession().setMaxInactiveInterval(Integer.parseInt(value));
                resp.getWriter().print(req.getSession().getMaxInactiveInterval());
            }
            case "principal" -> {
                req.getSession().setAttribute(SatchelSessions.PRINCIPAL_ATTRIBUTE, value);
                resp.getWriter().print("ok");
            }
            case "end" -> resp.getWriter()
                    .print(SatchelSessions.of(getServletContext()).orElseThrow().invalidate(name, value));
            case "requested" -> resp.getWriter()
                    .print(req.getRequestedSessionId() + "|" + req.isRequestedSessionIdValid() + "|"
                            + req.isRequestedSessionIdFromCookie() + "|" + req.isRequestedSessionIdFromURL());
            case "encode" -> {
                req.getSession();
                resp.getWriter().print(resp.encodeURL("/app/page?x=1"));
            }
            case "set-flush-wait" -> {
                req.getSession().setAttribute(name, value);
                resp.getWriter().print("committed");
                resp.flushBuffer();
                awaitRelease();
            }
            case "set-overflow-wait" -> {
                req.getSession().setAttribute(name, value);
                byte[] chunk = new byte[1024];
                java.util.Arrays.fill(chunk, (byte) 'x');
                var out = resp.getOutputStream();
                for (int i = 0; i < 256; i++) {
                    out.write(chunk);
                }
                awaitRelease();
            }
            case "set-wait-before-commit" -> {
                req.getSession().setAttribute(name, value);
                committed.countDown();
                awaitHold();
                resp.getWriter().print("ok");
            }
            case "add" -> {
                try {
                    int now = SatchelSessions.update(req.getSession(), name, Integer.class, c -> c.orElse(0) + 1);
                    resp.getWriter().print(now);
                } catch (UnsupportedOperationException | IllegalStateException e) {
                    resp.getWriter().print(e.getClass().getName());
                }
            }
            case "add-nested" -> {
                try {
                    SatchelSessions.update(req.getSession(), name, Integer.class, c -> {
                        SatchelSessions.update(req.getSession(), name, Integer.class, d -> d.orElse(0) + 100);
                        return c.orElse(0) + 1;
                    });
                    resp.getWriter().print("applied");
                } catch (IllegalStateException e) {
                    resp.getWriter().print(e.getMessage());
                }
            }
            case "get-then-add" -> {
                HttpSession s = req.getSession();
                Object seen = s.getAttribute(name);
                SatchelSessions.update(s, name, Integer.class, c -> c.orElse(0) + 1);
                resp.getWriter().print(seen + "->" + s.getAttribute(name));
            }
            case "add-then-get" -> {
                HttpSession s = req.getSession();
                s.setAttribute("note", "set before the update");
                SatchelSessions.update(s, name, Integer.class, c -> c.orElse(0) + 1);
                resp.getWriter().print(s.getAttribute(name) + "|" + s.getAttribute("note"));
            }
            case "fail" -> throw new IllegalStateException("application failure");
            default -> resp.sendError(404, "no such probe: " + op);
        }
    }

    private void awaitRelease() {
        committed.countDown();
        awaitHold();
    }

    private void awaitHold() {
        try {
            if (!hold.await(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("test never released the request");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
