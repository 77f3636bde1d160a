package dev.satchel.servlet;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The conformance probes: forwards, includes, error pages, failures, binding listeners and the
 * smaller corners of the session API. Paths it does not know go to {@link ProbeServlet}, which is
 * also the target of every forward and include.
 */
final class DispatchProbeServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    private final ProbeServlet basic = new ProbeServlet();

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException, ServletException {
        String name = req.getParameter("name");
        String value = req.getParameter("value");
        // An included servlet sees the including request's paths; its own are in attributes.
        if (req.getDispatcherType() == DispatcherType.INCLUDE) {
            Object pathInfo = req.getAttribute(RequestDispatcher.INCLUDE_PATH_INFO);
            String included = req.getAttribute(RequestDispatcher.INCLUDE_SERVLET_PATH)
                    + (pathInfo == null ? "" : (String) pathInfo);
            switch (included) {
                case "/get" -> {
                    HttpSession s = req.getSession(false);
                    resp.getWriter().print(s == null ? "no-session" : String.valueOf(s.getAttribute(name)));
                }
                case "/set" -> {
                    req.getSession().setAttribute(name, value);
                    resp.getWriter().print("ok");
                }
                case "/rotate" -> resp.getWriter().print(req.changeSessionId());
                default -> throw new ServletException("no such include probe: " + included);
            }
            return;
        }
        String op = req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo());
        op = op.substring(op.lastIndexOf('/') + 1);
        resp.setContentType("text/plain");
        switch (op) {
                // ---- dispatches
            case "create-forward" -> {
                req.getSession().setAttribute(name, value);
                req.getRequestDispatcher("/get?name=" + name).forward(req, resp);
            }
            case "rotate-forward" -> {
                req.getSession().setAttribute("rotated", "yes");
                req.changeSessionId();
                req.getRequestDispatcher("/id").forward(req, resp);
            }
            case "rotate-context-forward" -> {
                req.getSession().setAttribute("rotated", "yes");
                req.changeSessionId();
                getServletContext().getRequestDispatcher("/id").forward(req, resp);
            }
            case "forward-to-set" -> req.getRequestDispatcher("/set").forward(req, resp);
            case "forward-to-throw" -> req.getRequestDispatcher("/set-then-throw")
                    .forward(req, resp);
            case "include-rotate" -> {
                req.getSession().setAttribute(name, value);
                resp.getWriter().print("[");
                req.getRequestDispatcher("/rotate").include(req, resp);
                resp.getWriter().print("]");
            }
            case "create-include" -> {
                req.getSession().setAttribute(name, value);
                resp.getWriter().print("[");
                req.getRequestDispatcher("/get?name=" + name).include(req, resp);
                resp.getWriter().print("]");
            }
            case "rotate-include" -> {
                req.getSession().setAttribute("rotated", "yes");
                resp.getWriter().print(req.changeSessionId() + "[");
                req.getRequestDispatcher("/get?name=rotated").include(req, resp);
                resp.getWriter().print("]");
            }
            case "include-set" -> {
                resp.getWriter().print("[");
                req.getRequestDispatcher("/set").include(req, resp);
                resp.getWriter().print("]");
            }
                // ---- Content-Length as an int header
            case "set-int-length", "add-int-length" -> {
                req.getSession().setAttribute(name, value);
                if (op.startsWith("set")) {
                    resp.setIntHeader("Content-Length", 2);
                } else {
                    resp.addIntHeader("Content-Length", 2);
                }
                resp.getOutputStream().write("ok".getBytes(StandardCharsets.US_ASCII));
            }
                // ---- failures and error pages
            case "set-then-throw" -> {
                req.getSession().setAttribute(name, value);
                throw new IllegalStateException("application failure after setting " + name);
            }
            case "set-then-send-error" -> {
                req.getSession().setAttribute(name, value);
                resp.sendError(500);
            }
            case "throw-fresh" -> throw new IllegalStateException("application failure without a session");
            case "set-commit-then-throw" -> {
                req.getSession().setAttribute("a", "before-commit");
                resp.getWriter().print("committed");
                resp.flushBuffer();
                req.getSession().setAttribute("b", "after-commit");
                throw new IllegalStateException("application failure after the commit");
            }
            case "error-page" -> {
                HttpSession s = req.getSession(req.getParameter("create") != null);
                if (s != null && req.getParameter("create") != null) {
                    s.setAttribute(name, "seen");
                }
                resp.getWriter().print("error-page:" + (s == null ? "no-session" : s.getAttribute(name)));
            }
                // ---- asynchronous requests
            case "async-complete" -> {
                // the session is first used on another thread, which writes and completes
                AsyncContext async = req.startAsync();
                async.start(() -> {
                    try {
                        HttpServletRequest r = (HttpServletRequest) async.getRequest();
                        r.getSession().setAttribute(name, value);
                        async.getResponse().getWriter().print("done");
                        async.complete();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
            }
            case "async-dispatch" -> {
                AsyncContext async = req.startAsync();
                async.start(() -> {
                    ((HttpServletRequest) async.getRequest()).getSession().setAttribute(name, value);
                    async.dispatch("/async-dispatched?name=" + name);
                });
            }
            case "async-dispatched" -> {
                HttpSession s = req.getSession();
                s.setAttribute(name + "-dispatched", req.getDispatcherType().name());
                resp.getWriter().print("dispatched:" + s.getAttribute(name));
            }
            case "async-timeout" -> {
                AsyncContext async = req.startAsync();
                async.setTimeout(200);
                req.getSession().setAttribute(name, value); // after the start; nothing completes
            }
            case "async-context" -> {
                // what the application reads back is the context it was given
                AsyncContext started = req.startAsync();
                resp.getWriter().print(req.getAsyncContext() == started ? "same" : "other");
                started.complete();
            }
                // ---- binding listeners and the smaller corners
            case "bind" -> {
                req.getSession().setAttribute(name, new BoundValue(value));
                resp.getWriter().print("ok");
            }
            case "set-unstorable" -> {
                try {
                    req.getSession().setAttribute(name, new AtomicInteger(1)); // Serializable, not storable
                    resp.getWriter().print("stored");
                } catch (RuntimeException e) {
                    resp.getWriter().print(e.getClass().getName());
                }
            }
            case "rotate-valid" -> {
                boolean before = req.isRequestedSessionIdValid();
                req.changeSessionId();
                resp.getWriter().print(before + "|" + req.isRequestedSessionIdValid());
            }
            case "relogin-valid" -> {
                req.getSession().invalidate();
                req.getSession().setAttribute("fresh", "yes");
                resp.getWriter().print(req.isRequestedSessionIdValid());
            }
            case "invalidate-then-max" -> {
                HttpSession s = req.getSession();
                s.invalidate();
                s.setMaxInactiveInterval(60);
                resp.getWriter().print("ok");
            }
            case "encode-many" -> {
                req.getSession();
                String self = "http://" + req.getServerName() + ":" + req.getServerPort() + "/in/app";
                for (String url : new String[] {
                    "/in/app?x=1",
                    "page",
                    self,
                    "http://elsewhere.example/x",
                    "//elsewhere.example/x",
                    "https://" + req.getServerName() + ":" + req.getServerPort() + "/other-scheme",
                    "mailto:someone@example.com",
                    "javascript:alert(1)",
                    "#top"
                }) {
                    resp.getWriter().println(resp.encodeURL(url));
                }
            }
            case "encode-hostile" -> {
                req.getSession();
                String here = req.getServerName() + ":" + req.getServerPort();
                for (String url : new String[] {
                    "/\\evil.example/x",
                    "\\\\evil.example/x",
                    "/\t/evil.example/x",
                    " //evil.example/x",
                    "http://" + here + "@evil.example/x",
                    "http://evil.example\\@" + here + "/x",
                    "/x;sid=planted",
                    "HTTP://" + here.toUpperCase(java.util.Locale.ROOT) + "/same"
                }) {
                    resp.getWriter().println(resp.encodeURL(url).replace("\t", "<TAB>"));
                }
            }
            default -> basic.service(req, resp);
        }
    }
}
