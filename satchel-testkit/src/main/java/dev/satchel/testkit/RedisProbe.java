package dev.satchel.testkit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One Redis command on a fresh loopback connection, for the launchers' readiness checks. Speaks
 * just enough RESP that the kit needs no Redis client library: the stores' tests bring their own,
 * and the kit must not put one on every module's class path.
 */
final class RedisProbe {
    private static final int TIMEOUT_MILLIS = 2_000;

    private RedisProbe() {}

    /**
     * Sends {@code args} to the server on {@code port} and returns its reply: a String for a simple
     * or bulk string, a Long for an integer, a List for an array, null for a null reply.
     *
     * @throws IOException if the server cannot be reached or replies with an error
     */
    static Object call(int port, String... args) throws IOException {
        return call(port, Optional.empty(), args);
    }

    /** {@link #call} on a server that wants {@code password} first ({@code requirepass}). */
    static Object call(int port, Optional<String> password, String... args) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MILLIS);
            socket.setSoTimeout(TIMEOUT_MILLIS);
            OutputStream out = socket.getOutputStream();
            StringBuilder command = new StringBuilder();
            password.ifPresent(p -> append(command, "AUTH", p));
            append(command, args);
            out.write(command.toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedInputStream in = new BufferedInputStream(socket.getInputStream());
            if (password.isPresent()) {
                read(in); // +OK, or an error reply read() throws
            }
            return read(in);
        }
    }

    private static void append(StringBuilder command, String... args) {
        command.append('*').append(args.length).append("\r\n");
        for (String arg : args) {
            byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
            command.append('$').append(bytes.length).append("\r\n").append(arg).append("\r\n");
        }
    }

    /** {@link #call} for a command whose reply is a string (INFO, CLUSTER INFO, CLUSTER NODES). */
    static String text(int port, String... args) throws IOException {
        return String.valueOf(call(port, args));
    }

    static String text(int port, Optional<String> password, String... args) throws IOException {
        return String.valueOf(call(port, password, args));
    }

    private static Object read(InputStream in) throws IOException {
        int type = in.read();
        String line = line(in);
        switch (type) {
            case '+':
                return line;
            case '-':
                throw new IOException("redis replied: " + line);
            case ':':
                return Long.parseLong(line);
            case '$': {
                int length = Integer.parseInt(line);
                if (length < 0) {
                    return null;
                }
                byte[] bytes = in.readNBytes(length);
                line(in);
                return new String(bytes, StandardCharsets.UTF_8);
            }
            case '*': {
                int count = Integer.parseInt(line);
                if (count < 0) {
                    return null;
                }
                List<Object> items = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    items.add(read(in));
                }
                return items;
            }
            case -1:
                throw new EOFException("redis closed the connection");
            default:
                throw new IOException("not a RESP reply: " + (char) type + line);
        }
    }

    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) != '\n') {
            if (b == -1) {
                throw new EOFException("redis closed the connection");
            }
            if (b != '\r') {
                bytes.write(b);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
