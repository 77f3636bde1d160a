package dev.satchel.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.satchel.servlet.SatchelSessions;
import dev.satchel.servlet.SessionInfo;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpSession;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * The shop's JSON API under {@code /api}. Every refusal is a 4xx (or a 503 when too busy to hash a
 * password) with {@code {"error","message"}}; nothing the client sends can produce a 500 or a stack
 * trace.
 */
final class ShopApiServlet extends HttpServlet {
    private static final long serialVersionUID = 1L;

    static final String USER = "user";
    static final String VISITS = "visits";
    static final String CART = "cart";
    static final String NODE = "node";

    private static final String USERNAME_PATTERN = "[a-z0-9][a-z0-9_.-]{2,31}";

    private final transient UserStore users;
    private final transient PasswordHasher hasher;
    private final transient PasswordPolicy policy = new PasswordPolicy();
    private final transient LoginThrottle throttle;
    private final transient Catalog catalog = new Catalog();
    private final transient Clock clock;
    private final String nodeName;

    ShopApiServlet(UserStore users, PasswordHasher hasher, Clock clock, String nodeName) {
        this.users = users;
        this.hasher = hasher;
        this.clock = clock;
        this.throttle = new LoginThrottle(users, clock);
        this.nodeName = nodeName;
    }

    @Override
    protected void service(HttpServletRequest req, HttpServletResponse res) throws IOException {
        try {
            CrossSiteGuard.check(req);
            route(req, res);
        } catch (ApiException e) {
            if (e.status == 405) {
                res.setHeader("Allow", e.getMessage().substring(e.getMessage().indexOf(':') + 2));
            }
            if (e.retryAfterSeconds > 0) {
                res.setHeader("Retry-After", Long.toString(e.retryAfterSeconds));
            }
            JsonIo.discardUnread(req);
            JsonIo.error(res, e.status, e.code, e.getMessage());
        }
    }

    private void route(HttpServletRequest req, HttpServletResponse res) throws IOException {
        String path = req.getPathInfo() == null ? "/" : req.getPathInfo();
        String method = req.getMethod();
        switch (path) {
            case "/signup" -> only(method, "POST", () -> signup(req, res));
            case "/login" -> only(method, "POST", () -> login(req, res));
            case "/logout" -> only(method, "POST", () -> logout(req, res));
            case "/logout-everywhere" -> only(method, "POST", () -> logoutEverywhere(req, res));
            case "/me" -> only(method, "GET", () -> me(req, res));
            case "/catalog" -> only(method, "GET", () -> catalog(res));
            case "/sessions" -> only(method, "GET", () -> sessions(req, res));
            case "/cart" -> only(method, "GET", () -> JsonIo.write(res, 200, cartOf(req.getSession(false))));
            case "/cart/items" -> only(method, "POST", () -> addToCart(req, res));
            default -> {
                if (path.startsWith("/cart/items/")) {
                    only(method, "DELETE", () -> removeFromCart(req, res, path.substring("/cart/items/".length())));
                } else {
                    throw new ApiException(404, "not_found", "no such API path");
                }
            }
        }
    }

    @FunctionalInterface
    private interface Action {
        void run() throws IOException;
    }

    private static void only(String method, String allowed, Action action) throws IOException {
        if (!allowed.equals(method)) {
            throw new ApiException(405, "method_not_allowed", "allowed: " + allowed);
        }
        action.run();
    }

    private void signup(HttpServletRequest req, HttpServletResponse res) throws IOException {
        JsonNode body = JsonIo.readObject(req);
        String username = username(body);
        String password = JsonIo.text(body, "password", 4 * PasswordPolicy.MAX_LENGTH);
        String problem = policy.problem(password, username);
        if (problem != null) {
            throw new ApiException(400, "weak_password", problem);
        }
        String address = ClientAddress.of(req);
        Optional<Duration> wait = throttle.signupWait(address);
        if (wait.isPresent()) {
            throw new ApiException(
                    429,
                    "too_many_signups",
                    "too many sign-ups from your address; try again later",
                    seconds(wait.get()));
        }
        String hash = hasher.hash(password);
        throttle.signedUp(address); // counted once hashed: the hash is the cost a flood of sign-ups imposes
        if (!users.create(username, hash, clock.instant())) {
            throw new ApiException(409, "username_taken", "that user name is taken");
        }
        JsonIo.write(res, 201, JsonIo.MAPPER.createObjectNode().put("username", username));
    }

    private void login(HttpServletRequest req, HttpServletResponse res) throws IOException {
        JsonNode body = JsonIo.readObject(req);
        String username = JsonIo.text(body, "username", 64).strip().toLowerCase(Locale.ROOT);
        String password = JsonIo.text(body, "password", 4 * PasswordPolicy.MAX_LENGTH);
        String address = ClientAddress.of(req);
        Optional<Duration> wait = throttle.loginWait(username, address);
        if (wait.isPresent()) {
            throw new ApiException(
                    429, "too_many_attempts", "too many failed logins; try again later", seconds(wait.get()));
        }
        Optional<String> stored = users.passwordHash(username);
        boolean ok;
        if (stored.isPresent()) {
            ok = hasher.matches(password, stored.get());
        } else {
            hasher.burnDummyCheck(password);
            ok = false;
        }
        if (!ok) {
            throttle.loginFailed(username, address);
            throw new ApiException(401, "invalid_credentials", "user name or password is wrong");
        }
        throttle.loginSucceeded(username, address);
        HttpSession existing = req.getSession(false);
        if (existing != null) {
            req.changeSessionId(); // keeps the anonymous cart, but never the id an attacker may have planted
        }
        HttpSession session = req.getSession(true);
        session.setAttribute(USER, username);
        session.setAttribute(SatchelSessions.PRINCIPAL_ATTRIBUTE, username);
        session.setAttribute(VISITS, 0);
        session.setAttribute(NODE, nodeName);
        JsonIo.write(res, 200, JsonIo.MAPPER.createObjectNode().put("username", username));
    }

    private void logout(HttpServletRequest req, HttpServletResponse res) {
        HttpSession session = req.getSession(false);
        if (session != null) {
            session.invalidate();
        }
        res.setStatus(204);
    }

    private void logoutEverywhere(HttpServletRequest req, HttpServletResponse res) throws IOException {
        HttpSession session = req.getSession(false);
        String user = requireUser(session);
        session.invalidate();
        int others = sessions(req).invalidateAll(user);
        JsonIo.write(res, 200, JsonIo.MAPPER.createObjectNode().put("ended", others + 1));
    }

    private void me(HttpServletRequest req, HttpServletResponse res) throws IOException {
        HttpSession session = req.getSession(false);
        String user = requireUser(session);
        int visits = session.getAttribute(VISITS) instanceof Integer n ? n + 1 : 1;
        session.setAttribute(VISITS, visits);
        JsonIo.write(
                res, 200, JsonIo.MAPPER.createObjectNode().put("username", user).put("visits", visits));
    }

    private void catalog(HttpServletResponse res) throws IOException {
        ObjectNode body = JsonIo.MAPPER.createObjectNode();
        ArrayNode items = body.putArray("items");
        catalog.items().forEach(i -> items.addObject()
                .put("sku", i.sku())
                .put("name", i.name())
                .put("priceCents", i.priceCents()));
        JsonIo.write(res, 200, body);
    }

    private void sessions(HttpServletRequest req, HttpServletResponse res) throws IOException {
        HttpSession session = req.getSession(false);
        String user = requireUser(session);
        String current = SatchelSessions.handleOf(session.getId());
        ObjectNode body = JsonIo.MAPPER.createObjectNode();
        ArrayNode list = body.putArray("sessions");
        if (!sessions(req).supportsPrincipalIndex()) {
            // Sealed-cookie sessions live with their clients: nobody can list them, only end them.
            body.put("listable", false);
            JsonIo.write(res, 200, body);
            return;
        }
        body.put("listable", true);
        for (SessionInfo info : sessions(req).sessionsOf(user)) {
            list.addObject()
                    .put("handle", info.handle())
                    .put("current", info.handle().equals(current))
                    .put("created", info.createdAt().toString())
                    .put("lastAccess", info.lastAccessedAt().toString())
                    .put("expires", info.expiresAt().toString())
                    .put("node", String.valueOf(info.attributes().getOrDefault(NODE, "unknown")));
        }
        JsonIo.write(res, 200, body);
    }

    private void addToCart(HttpServletRequest req, HttpServletResponse res) throws IOException {
        JsonNode body = JsonIo.readObject(req);
        String sku = JsonIo.text(body, "sku", 32);
        int qty = JsonIo.integer(body, "qty", 1, Cart.MAX_QTY_PER_LINE);
        requireKnown(sku);
        HttpSession session = req.getSession(true);
        JsonIo.write(res, 200, changeCart(req, session, cart -> cart.add(sku, qty)));
    }

    private void removeFromCart(HttpServletRequest req, HttpServletResponse res, String sku) throws IOException {
        requireKnown(sku);
        HttpSession session = req.getSession(false);
        if (session == null) {
            JsonIo.write(res, 200, Cart.EMPTY);
            return;
        }
        // Checked on the newest cart, inside the update: a line another tab just added goes too.
        JsonIo.write(res, 200, changeCart(req, session, cart -> cart.remove(sku)));
    }

    /**
     * Changes the cart atomically where the store can (two tabs adding at once both count), else
     * by setAttribute (sealed cookies: each request carries its own copy, the last one wins).
     */
    private Cart changeCart(HttpServletRequest req, HttpSession session, UnaryOperator<Cart> change) {
        if (sessions(req).supportsAtomicUpdates()) {
            return SatchelSessions.update(session, CART, Cart.class, cart -> change.apply(cart.orElse(Cart.EMPTY)));
        }
        Cart after = change.apply(cartOf(session));
        session.setAttribute(CART, after);
        return after;
    }

    private void requireKnown(String sku) {
        if (catalog.find(sku).isEmpty()) {
            throw new ApiException(404, "unknown_sku", "no item with that SKU");
        }
    }

    private static Cart cartOf(HttpSession session) {
        return session != null && session.getAttribute(CART) instanceof Cart c ? c : Cart.EMPTY;
    }

    private static String requireUser(HttpSession session) {
        if (session == null || !(session.getAttribute(USER) instanceof String user)) {
            throw new ApiException(401, "not_logged_in", "log in first");
        }
        return user;
    }

    private SatchelSessions sessions(HttpServletRequest req) {
        return SatchelSessions.of(req.getServletContext())
                .orElseThrow(() -> new IllegalStateException("the Satchel filter is not installed"));
    }

    /** Whole seconds for Retry-After, rounded up so a client that obeys it is not refused again. */
    private static long seconds(Duration wait) {
        return Math.max(1, wait.plusNanos(999_999_999).toSeconds());
    }

    private static String username(JsonNode body) {
        String username = JsonIo.text(body, "username", 64).strip().toLowerCase(Locale.ROOT);
        if (!username.matches(USERNAME_PATTERN)) {
            throw new ApiException(
                    400, "invalid_username", "user name must be 3 to 32 characters of a-z, 0-9, '_', '.', '-'");
        }
        return username;
    }
}
