package dev.satchel.sample;

import dev.satchel.servlet.SatchelSessions;
import dev.satchel.servlet.SessionInfo;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpSession;
import java.security.Principal;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.util.HtmlUtils;

/**
 * The pages: a counter and a cart in the session, and the user's sessions, as HTML for a browser
 * ({@code /}) and as plain text for scripts ({@code /counter}, {@code /cart}).
 */
@RestController
class ShopPages {
    /** At most this many items in a cart, and this long an item's name: a session is not a dump. */
    static final int MAX_ITEMS = 50;

    static final int MAX_ITEM_LENGTH = 40;

    private final String instance;

    ShopPages(@Value("${sample.instance:${server.port}}") String instance) {
        this.instance = instance;
    }

    /** Counts this session's visits: the number goes on whichever instance serves the next one. */
    @GetMapping(value = "/counter", produces = MediaType.TEXT_PLAIN_VALUE)
    String counter(HttpSession session) {
        return Integer.toString(nextVisit(session));
    }

    @GetMapping(value = "/cart", produces = MediaType.TEXT_PLAIN_VALUE)
    String cart(HttpSession session) {
        return String.join(",", items(session));
    }

    /**
     * Adds an item. Two tabs adding at once both count: the cart is changed atomically in the store
     * ({@link SatchelSessions#update}), not read, changed and written back.
     */
    @PostMapping(value = "/cart", produces = MediaType.TEXT_PLAIN_VALUE)
    String add(HttpServletRequest request, @RequestParam("item") String item) {
        String name = item.strip();
        if (name.isEmpty() || name.length() > MAX_ITEM_LENGTH) {
            throw new ResponseStatusException(
                    HttpStatus.BAD_REQUEST, "an item is 1 to " + MAX_ITEM_LENGTH + " characters");
        }
        @SuppressWarnings("unchecked")
        List<String> cart = SatchelSessions.update(request.getSession(), "cart", List.class, current -> {
            List<String> items = new ArrayList<>(current.orElse(List.of()));
            if (items.size() >= MAX_ITEMS) {
                throw new ResponseStatusException(HttpStatus.CONFLICT, "the cart is full");
            }
            items.add(name);
            return items;
        });
        return String.join(",", cart);
    }

    /** The page a browser sees. */
    @GetMapping(value = "/", produces = MediaType.TEXT_HTML_VALUE)
    String home(HttpServletRequest request, HttpSession session, Principal user, CsrfToken csrf) {
        int visits = nextVisit(session);
        String token = "<input type=\"hidden\" name=\"" + csrf.getParameterName() + "\" value=\""
                + HtmlUtils.htmlEscape(csrf.getToken()) + "\">";
        StringBuilder html = new StringBuilder()
                .append("<!doctype html><html><head><meta charset=\"utf-8\"><title>Satchel sample</title></head><body>")
                .append("<h1>Signed in as ")
                .append(HtmlUtils.htmlEscape(user.getName()))
                .append("</h1><p>Served by instance ")
                .append(HtmlUtils.htmlEscape(instance))
                .append(". Visits in this session: <b id=\"visits\">")
                .append(visits)
                .append("</b></p><h2>Cart</h2><ul id=\"cart\">");
        for (String item : items(session)) {
            html.append("<li>").append(HtmlUtils.htmlEscape(item)).append("</li>");
        }
        html.append("</ul><form method=\"post\" action=\"/cart\">")
                .append(token)
                .append("<input name=\"item\" maxlength=\"")
                .append(MAX_ITEM_LENGTH)
                .append("\"> <button>Add</button></form><h2>Your sessions</h2><ul id=\"sessions\">");
        String mine = SatchelSessions.handleOf(session.getId());
        sessions(request).ifPresent(all -> {
            for (SessionInfo info : all.sessionsOf(user.getName())) {
                html.append("<li>")
                        .append(info.handle())
                        .append(info.handle().equals(mine) ? " (this one)" : "")
                        .append(", last used ")
                        .append(info.lastAccessedAt())
                        .append("</li>");
            }
        });
        return html.append("</ul><form method=\"post\" action=\"/logout\">")
                .append(token)
                .append("<button>Log out</button></form><form method=\"post\" action=\"/logout-everywhere\">")
                .append(token)
                .append("<button>Log out everywhere</button></form></body></html>")
                .toString();
    }

    private static int nextVisit(HttpSession session) {
        Object n = session.getAttribute("visits");
        int next = n instanceof Integer i ? i + 1 : 1;
        session.setAttribute("visits", next);
        return next;
    }

    private static List<String> items(HttpSession session) {
        List<String> items = new ArrayList<>();
        if (session.getAttribute("cart") instanceof List<?> cart) {
            cart.forEach(item -> items.add(String.valueOf(item)));
        }
        return items;
    }

    private static Optional<SatchelSessions> sessions(HttpServletRequest request) {
        return SatchelSessions.of(request.getServletContext()).filter(SatchelSessions::supportsPrincipalIndex);
    }
}
