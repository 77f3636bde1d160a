package dev.satchel.balancer;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a node's final response head must be for the balancer to pass it on. Netty's decoder accepts
 * some heads a proxy must not forward: a status outside 100 to 599, a version other than HTTP/1.x,
 * conflicting Content-Length values on HTTP/1.0, a 101 that no request asked for, and a transfer
 * coding other than plain chunked. Each is
 * answered 502 instead (RFC 9110 section 15, RFC 9112 section 6.3).
 */
final class ResponseHeads {
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,18}");

    private ResponseHeads() {}

    /** What makes a final response head unfit to forward, if anything. */
    static Optional<String> problem(HttpResponse response) {
        if (!response.protocolVersion().protocolName().equals("HTTP")
                || response.protocolVersion().majorVersion() != 1) {
            return Optional.of("version " + response.protocolVersion() + " is not HTTP/1.x");
        }
        int code = response.status().code();
        if (code < 100 || code > 599) {
            return Optional.of("status " + code + " is outside 100 to 599");
        }
        if (code == 101) {
            // The balancer forwards no Upgrade, so no switch was asked for; what follows is not HTTP.
            return Optional.of("101 Switching Protocols, which no request asked for");
        }
        HttpHeaders h = response.headers();
        List<String> lengths = h.getAll(HttpHeaderNames.CONTENT_LENGTH);
        String first = null;
        for (String field : lengths) {
            for (String value : field.split(",", -1)) {
                String v = value.strip();
                if (!DIGITS.matcher(v).matches()) {
                    return Optional.of("Content-Length is not a number");
                }
                if (first != null && !first.equals(v)) {
                    return Optional.of("Content-Length values differ");
                }
                first = v;
            }
        }
        if (first != null && h.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            return Optional.of("both Transfer-Encoding and Content-Length are present");
        }
        List<String> codings = h.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (!codings.isEmpty()
                && !(codings.size() == 1 && codings.get(0).strip().equalsIgnoreCase("chunked"))) {
            // Re-framing such a body would drop its coding (the client gets gzip it cannot know is
            // gzip), and an HTTP/1.0 client can take no transfer coding at all; nodes send none.
            return Optional.of("a transfer coding other than chunked");
        }
        return Optional.empty();
    }
}
