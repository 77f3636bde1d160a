package dev.satchel.balancer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A node that answers with scripted raw bytes, right or wrong, over a real socket, and records each
 * request it reads. Keeps connections alive unless its answer says {@code Connection: close}, so a
 * test can see what a reused upstream connection carries into the next exchange. Health checks get a
 * proper 200 and a close.
 */
final class RawBackend implements AutoCloseable {
    /** Written between two parts of an answer, so they leave in separate writes. */
    private static final long PAUSE_MILLIS = 100;

    /** A request as the node read it: its head verbatim, and which connection it came on. */
    record Received(String head, int connection) {
        String path() {
            String line = head.substring(0, head.indexOf("\r\n"));
            return line.split(" ")[1];
        }

        String requestLine() {
            return head.substring(0, head.indexOf("\r\n"));
        }

        /** Every value of a header, in order, names compared without case. */
        List<String> header(String name) {
            return head.lines()
                    .skip(1)
                    .filter(l -> l.toLowerCase(Locale.ROOT).startsWith(name.toLowerCase(Locale.ROOT) + ":"))
                    .map(l -> l.substring(name.length() + 1).strip())
                    .toList();
        }
    }

    final List<Received> received = new CopyOnWriteArrayList<>();
    private final ServerSocket server;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger closedByBalancer = new AtomicInteger();
    private final Function<Received, List<String>> script;

    /** @param script the answer's parts for a request; an empty list says nothing and waits */
    RawBackend(Function<Received, List<String>> script) throws IOException {
        this.script = script;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        threads.submit(this::acceptLoop);
    }

    NodeAddress address(String name) {
        return new NodeAddress(name, "127.0.0.1", server.getLocalPort());
    }

    /** Requests other than health checks. */
    List<Received> requests() {
        return received.stream().filter(r -> !r.path().equals("/health")).toList();
    }

    /** Connections the balancer ended after the whole of the node's answer was written. */
    int closedByBalancer() {
        return closedByBalancer.get();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                int id = connections.incrementAndGet();
                threads.submit(() -> serve(s, id));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s, int id) {
        try (s) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            for (String head; ; ) {
                head = readHead(in);
                if (head == null) {
                    closedByBalancer.incrementAndGet();
                    return;
                }
                skipBody(in, head);
                Received r = new Received(head, id);
                if (r.path().equals("/health")) {
                    out.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .getBytes(StandardCharsets.ISO_8859_1));
                    return;
                }
                received.add(r);
                List<String> parts = script.apply(r);
                if (parts.isEmpty()) {
                    in.read(); // say nothing: wait until the balancer gives up and closes
                    return;
                }
                boolean close = false;
                for (int i = 0; i < parts.size(); i++) {
                    if (i > 0) {
                        Thread.sleep(PAUSE_MILLIS);
                    }
                    out.write(parts.get(i).getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                    close |= parts.get(i).toLowerCase(Locale.ROOT).contains("connection: close");
                }
                if (close) {
                    return;
                }
            }
        } catch (IOException | InterruptedException e) {
            // the balancer closed the connection: the conversation is over
        }
    }

    /** The head up to and including the blank line, or null at the end of the stream. */
    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        for (int b; (b = in.read()) >= 0; ) {
            head.write(b);
            matched = (b == '\r' && matched % 2 == 0) || (b == '\n' && matched % 2 == 1) ? matched + 1 : 0;
            if (matched == 4) {
                return head.toString(StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    private static void skipBody(InputStream in, String head) throws IOException {
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                in.readNBytes(Integer.parseInt(line.substring(15).strip()));
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        threads.shutdownNow();
    }

    /** A 200 answer with {@code body} and its length, as a node would send it. */
    static String ok(String body) {
        return "HTTP/1.1 200 OK\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
    }
}
