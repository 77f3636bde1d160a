package dev.satchel.bench.cluster;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * What the app does on each request, the same for every contender: a session of 10 string
 * attributes (about 40 characters each) made on the first request; then each request reads all 10
 * and replaces one, the cart, with a new 64-character value. With {@code ?read} it only reads.
 */
final class CartWorkload {
    static final int ATTRIBUTES = 10;
    static final String CART = "a0";

    private CartWorkload() {}

    static String name(int attribute) {
        return "a" + attribute;
    }

    static String initial(int attribute) {
        return "value-" + attribute + "-of-a-typical-session-attribute-0000";
    }

    /** How many times the cart was changed: 0 for a new session. */
    static long counter(String cart) {
        return cart != null && cart.startsWith("cart:") ? Long.parseLong(cart.substring(5, 21), 16) : 0;
    }

    /** The next cart: 64 characters, its counter one more than the last. */
    static String next(String cart) {
        return String.format("cart:%016x:%s", counter(cart) + 1, "sku-1042x2,sku-2071x1,sku-3310x4,sku-77x1");
    }

    /**
     * The answer: the length of what was read, then the cart counter as read, before this
     * request's change. A client that knows which changes were acknowledged sees a lost one as a
     * counter lower than its own.
     */
    static void answer(HttpServletResponse response, int length, long counterRead) throws IOException {
        byte[] body = ("ok " + length + " " + counterRead + "\n").getBytes(StandardCharsets.US_ASCII);
        response.setContentType("text/plain");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }
}
