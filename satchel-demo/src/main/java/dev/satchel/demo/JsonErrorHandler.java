package dev.satchel.demo;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty raises before any servlet runs (a bad request line, headers over the limit) answer in
 * the same JSON shape as the API, with the node's name and never a stack trace.
 */
final class JsonErrorHandler extends ErrorHandler {
    private final String nodeName;

    JsonErrorHandler(String nodeName) {
        this.nodeName = nodeName;
        setShowStacks(false);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        int status = response.getStatus();
        String code =
                switch (status) {
                    case 400 -> "bad_request";
                    case 404 -> "not_found";
                    case 413 -> "body_too_large";
                    case 414 -> "uri_too_long";
                    case 431 -> "headers_too_large";
                    default -> status >= 500 ? "internal_error" : "request_refused";
                };
        String json = "{\"error\":\"" + code + "\",\"message\":\"HTTP " + status + "\"}";
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put("X-Served-By", nodeName);
        response.write(true, ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)), callback);
        return true;
    }
}
