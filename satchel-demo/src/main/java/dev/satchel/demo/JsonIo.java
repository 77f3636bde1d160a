package dev.satchel.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** Reads bounded JSON bodies and writes JSON answers. Thread-safe. */
final class JsonIo {
    /** Largest request body the API reads; anything more is refused with 413. */
    static final int MAX_BODY_BYTES = 16 * 1024;

    /** How much of an oversized body is read and dropped so its 413 reaches the client. */
    private static final long DRAIN_BYTES = 1024 * 1024;

    static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonIo() {}

    /** Reads the body as a JSON object, refusing oversized, empty or malformed bodies with a 4xx. */
    static JsonNode readObject(HttpServletRequest req) throws IOException {
        long declared = req.getContentLengthLong();
        byte[] body;
        try (InputStream in = req.getInputStream()) {
            if (declared > MAX_BODY_BYTES) {
                throw tooLarge(in);
            }
            body = in.readNBytes(MAX_BODY_BYTES + 1);
            if (body.length > MAX_BODY_BYTES) {
                throw tooLarge(in);
            }
        }
        if (body.length == 0) {
            throw new ApiException(400, "empty_body", "a JSON object is required");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new ApiException(400, "malformed_json", "body is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw new ApiException(400, "malformed_json", "body must be a JSON object");
        }
        return node;
    }

    /**
     * The 413 for an oversized body, after reading (and dropping) up to {@link #DRAIN_BYTES} of it.
     * A server that answers and closes with the body still unread makes the kernel reset the
     * connection, and the client may lose the answer with it (CI saw "no bytes" instead of 413).
     * Beyond that bound the connection is closed anyway: a refusal must not cost a full upload.
     */
    private static ApiException tooLarge(InputStream in) throws IOException {
        long left = DRAIN_BYTES;
        byte[] sink = new byte[8192];
        for (int n = in.read(sink); n > 0 && left > 0; n = in.read(sink, 0, (int) Math.min(sink.length, left))) {
            left -= n;
        }
        return new ApiException(413, "body_too_large", "request body exceeds " + MAX_BODY_BYTES + " bytes");
    }

    /**
     * Reads and drops up to {@link #DRAIN_BYTES} of a body the API refused before reading it (a
     * cross-site login, say), so the refusal reaches the client: a connection closed with a body
     * still unread may lose the answer with it (CI saw "no bytes" instead of a 403 on a kept-alive
     * connection). A body already read, or a stream already closed, leaves nothing to do.
     */
    static void discardUnread(HttpServletRequest req) {
        try {
            tooLarge(req.getInputStream());
        } catch (IOException | IllegalStateException alreadyReadOrClosed) {
            // nothing left to drop
        }
    }

    /** A required string field of at most {@code max} characters. */
    static String text(JsonNode body, String field, int max) {
        JsonNode v = body.get(field);
        if (v == null || !v.isTextual()) {
            throw new ApiException(400, "invalid_" + field, field + " must be a string");
        }
        String s = v.asText();
        if (s.length() > max) {
            throw new ApiException(400, "invalid_" + field, field + " must be at most " + max + " characters");
        }
        return s;
    }

    /** A required integer field within [min, max]. */
    static int integer(JsonNode body, String field, int min, int max) {
        JsonNode v = body.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
            throw new ApiException(
                    400, "invalid_" + field, field + " must be a whole number from " + min + " to " + max);
        }
        return v.asInt();
    }

    static void write(HttpServletResponse res, int status, Object body) throws IOException {
        byte[] bytes = MAPPER.writeValueAsBytes(body);
        res.setStatus(status);
        res.setContentType("application/json");
        res.setCharacterEncoding(StandardCharsets.UTF_8.name());
        res.setContentLength(bytes.length);
        res.getOutputStream().write(bytes);
    }

    static void error(HttpServletResponse res, int status, String code, String message) throws IOException {
        ObjectNode body = MAPPER.createObjectNode().put("error", code).put("message", message);
        write(res, status, body);
    }
}
