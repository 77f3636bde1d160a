package dev.satchel.balancer;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What a node's final response head must be for the balancer to pass it on. Netty's decoder accepts
 * some heads a proxy must not forward: a status outside 100 to 599, a version other than HTTP/1.x,
 * conflicting Content-Length values on HTTP/1.0, a 101 other than the WebSocket switch the request
 * asked for (which {@link Exchange} takes before this check), and a transfer
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
            // The balancer forwards only a WebSocket Upgrade: any other switch was not asked for, and
            // what follows it is not HTTP.
            return Optional.of("101 Switching Protocols, which the request did not ask for");
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

    /**
     * Frames a forwarded head for the client's version: no framing where there is no body, no
     * chunking for HTTP/1.0 (whose body then ends with the connection), chunking for an HTTP/1.1
     * body the node ends by closing. Sets the Connection header and returns whether the client
     * connection stays open.
     */
    static boolean frameForClient(
            HttpResponse response, boolean headRequest, HttpVersion clientVersion, boolean keepAlive) {
        int status = response.status().code();
        if (status == 204 || status == 304) {
            response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING); // no body, so no framing of one
        }
        boolean bodyless = headRequest || status == 204 || status == 304;
        boolean sized = HttpUtil.isContentLengthSet(response);
        boolean stays = keepAlive;
        if (clientVersion.minorVersion() == 0) {
            boolean chunked = HttpUtil.isTransferEncodingChunked(response);
            response.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
            stays &= bodyless || (sized && !chunked);
        } else if (!bodyless && !sized && !HttpUtil.isTransferEncodingChunked(response)) {
            HttpUtil.setTransferEncodingChunked(response, true);
        }
        HopByHop.markConnection(response, clientVersion, stays);
        return stays;
    }
}
