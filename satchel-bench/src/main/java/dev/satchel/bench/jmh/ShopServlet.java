package dev.satchel.bench.jmh;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;

/**
 * The request every session benchmark serves: a session of 10 attributes, all read, one changed
 * (a counter), and a short answer. The same class runs under every session implementation.
 */
public final class ShopServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    /** Attributes in the benchmark session. */
    public static final int ATTRIBUTES = 10;

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse res) throws IOException {
        res.setContentType("text/plain");
        if (req.getParameter("nosession") != null) {
            res.getWriter().print("0");
            return;
        }
        HttpSession session = req.getSession();
        if (session.getAttribute("a0") == null) {
            fill(session);
        }
        int length = 0;
        for (int i = 0; i < ATTRIBUTES - 1; i++) {
            Object v = session.getAttribute("a" + i);
            length += v == null ? 0 : v.toString().length();
        }
        Integer counter = (Integer) session.getAttribute("counter");
        int next = counter == null ? 1 : counter + 1;
        session.setAttribute("counter", next);
        res.getWriter().print(next + ":" + length);
    }

    static void fill(HttpSession session) {
        for (int i = 0; i < ATTRIBUTES - 1; i++) {
            session.setAttribute("a" + i, "value-" + i + "-of-a-typical-session-attribute");
        }
        session.setAttribute("counter", 0);
    }
}
