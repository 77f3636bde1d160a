package dev.satchel.balancer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * A client on one raw connection to the balancer: writes bytes as given and reads responses exactly
 * as framed on the wire, so a test sees status lines, headers and chunking as sent. Every read gives
 * up after a few seconds, so a response that never comes fails the test instead of hanging it.
 */
final class RawClient implements AutoCloseable {
    /** One response as received: status line, head lines, body bytes, whether it came chunked. */
    record Response(String statusLine, List<String> headers, String body, boolean chunked) {
        int status() {
            return Integer.parseInt(statusLine.split(" ")[1]);
        }

        List<String> header(String name) {
            String prefix = name.toLowerCase(Locale.ROOT) + ":";
            return headers.stream()
                    .filter(h -> h.toLowerCase(Locale.ROOT).startsWith(prefix))
                    .map(h -> h.substring(prefix.length()).strip())
                    .toList();
        }
    }

    private final Socket socket;
    private final InputStream in;

    RawClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(5000);
        in = socket.getInputStream();
    }

    RawClient send(String bytes) throws IOException {
        socket.getOutputStream().write(bytes.getBytes(StandardCharsets.ISO_8859_1));
        socket.getOutputStream().flush();
        return this;
    }

    /** Reads one response; {@code headRequest} says the body is absent whatever the head declares. */
    Response read(boolean headRequest) throws IOException {
        String status = line();
        List<String> headers = new java.util.ArrayList<>();
        for (String h = line(); !h.isEmpty(); h = line()) {
            headers.add(h);
        }
        Response head = new Response(status, headers, "", false);
        int code = head.status();
        if (headRequest || code < 200 || code == 204 || code == 304) {
            return head;
        }
        List<String> length = head.header("Content-Length");
        if (!length.isEmpty()) {
            return new Response(status, headers, ascii(in.readNBytes(Integer.parseInt(length.get(0)))), false);
        }
        if (head.header("Transfer-Encoding").stream().anyMatch(v -> v.equalsIgnoreCase("chunked"))) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (int size; (size = Integer.parseInt(line().split(";")[0].strip(), 16)) > 0; ) {
                body.write(in.readNBytes(size));
                line();
            }
            while (!line().isEmpty()) {
                // trailers
            }
            return new Response(status, headers, body.toString(StandardCharsets.ISO_8859_1), true);
        }
        return new Response(status, headers, ascii(in.readAllBytes()), false); // ends at the close
    }

    Response read() throws IOException {
        return read(false);
    }

    /** Whether the balancer closes the connection (rather than sending more) within the read timeout. */
    boolean closed() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) {
                throw new IOException("closed mid-response after: " + ascii(line.toByteArray()));
            }
            line.write(b);
        }
        String s = ascii(line.toByteArray());
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private static String ascii(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    /** A bodiless GET of {@code path}, as a client would send it. */
    static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: shop\r\n\r\n";
    }
}
