package dev.satchel.cli;

import java.io.PrintWriter;
import java.net.URI;

/** The "what to try" text that {@code satchel demo} prints. */
final class DemoGuide {
    private DemoGuide() {}

    static void print(PrintWriter out, URI uri) {
        String u = uri.toString().replace("127.0.0.1", "localhost");
        out.println();
        out.println("Open " + u + "/ in a browser: sign up, log in, fill a cart.");
        out.println("Or with curl (the cookie jar keeps your session):");
        out.println(
                "  curl -si -c jar -b jar -H 'Content-Type: application/json' -d '{\"username\":\"alice\",\"password\":\"correct horse battery\"}' "
                        + u + "/api/signup");
        out.println(
                "  curl -si -c jar -b jar -H 'Content-Type: application/json' -d '{\"username\":\"alice\",\"password\":\"correct horse battery\"}' "
                        + u + "/api/login");
        out.println("  curl -s  -c jar -b jar -H 'Content-Type: application/json' -d '{\"sku\":\"HAT-01\",\"qty\":2}' "
                + u + "/api/cart/items");
        out.println("  curl -s  -c jar -b jar " + u + "/api/me");
        out.println("  curl -si -c jar -b jar -X POST " + u + "/api/logout");
        out.println("Press Ctrl-C to stop.");
    }
}
