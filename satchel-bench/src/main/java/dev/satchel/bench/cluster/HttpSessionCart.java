package dev.satchel.bench.cluster;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;

/**
 * The benchmark's app through the servlet API, for every contender that provides an
 * {@code HttpSession} (Satchel's filter, Tomcat's managers): see {@link CartWorkload}.
 */
final class HttpSessionCart extends HttpServlet {
    private static final long serialVersionUID = 1L;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        HttpSession session = request.getSession();
        if (session.isNew()) {
            for (int a = 0; a < CartWorkload.ATTRIBUTES; a++) {
                session.setAttribute(CartWorkload.name(a), CartWorkload.initial(a));
            }
            CartWorkload.answer(response, 0, 0);
            return;
        }
        int length = 0;
        for (int a = 0; a < CartWorkload.ATTRIBUTES; a++) {
            Object value = session.getAttribute(CartWorkload.name(a));
            length += value == null ? 0 : value.toString().length();
        }
        String cart = (String) session.getAttribute(CartWorkload.CART);
        if (request.getParameter("read") == null) {
            session.setAttribute(CartWorkload.CART, CartWorkload.next(cart));
        }
        CartWorkload.answer(response, length, CartWorkload.counter(cart));
    }
}
