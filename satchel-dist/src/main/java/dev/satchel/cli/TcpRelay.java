package dev.satchel.cli;

import dev.satchel.core.support.DaemonThreads;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP relay the lab puts between the nodes and a server they cannot reach directly (this
 * machine's PostgreSQL listens on loopback only, and the nodes live in network namespaces of their
 * own), optionally holding every chunk for a fixed delay each way, since this kernel has no {@code
 * netem}. Each connection gets one reading and one writing thread per direction; a direction holds
 * at most {@value #MAX_CHUNKS} chunks of at most {@value #CHUNK} bytes before its reader stops
 * reading, so a slow end slows its peer through TCP instead of filling this JVM. Closing one side
 * closes the other. Thread-safe.
 */
final class TcpRelay implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TcpRelay.class);
    private static final int CHUNK = 16 * 1024;
    private static final int MAX_CHUNKS = 64;
    private static final byte[] END = new byte[0];

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final Duration delay;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private TcpRelay(ServerSocket listener, InetSocketAddress target, Duration delay) {
        this.listener = listener;
        this.target = target;
        this.delay = delay;
    }

    /**
     * Listens on a free port of {@code bindAddress} and relays each connection to {@code target},
     * every byte held {@code delay} on its way in each direction (zero: passed on at once).
     */
    static TcpRelay start(String bindAddress, InetSocketAddress target, Duration delay) throws IOException {
        return start(bindAddress, 0, target, delay);
    }

    /**
     * As {@link #start(String, InetSocketAddress, Duration)}, on {@code port} of {@code bindAddress}
     * (0: a free one).
     *
     * @throws java.net.BindException when that port is taken
     */
    static TcpRelay start(String bindAddress, int port, InetSocketAddress target, Duration delay) throws IOException {
        if (delay.isNegative()) {
            throw new IllegalArgumentException("a delay cannot be negative: " + delay);
        }
        ServerSocket listener = new ServerSocket();
        try {
            listener.bind(new InetSocketAddress(bindAddress, port));
        } catch (IOException e) {
            listener.close();
            throw e;
        }
        TcpRelay relay = new TcpRelay(listener, target, delay);
        startDaemon("satchel-relay-accept-" + listener.getLocalPort(), relay::accept);
        return relay;
    }

    /** Where it listens. */
    InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    private void accept() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("relay to {} stopped accepting: {}", target, e.toString());
                }
                return;
            }
            Socket server = new Socket();
            try {
                server.connect(target, 5000);
            } catch (IOException e) {
                LOG.debug("relay could not reach {}: {}", target, e.toString());
                closeQuietly(client);
                closeQuietly(server);
                continue;
            }
            for (Socket s : List.of(client, server)) {
                try {
                    s.setTcpNoDelay(true);
                } catch (SocketException ignored) {
                    // a socket already reset: its pump ends at once
                }
                open.add(s);
            }
            if (closed) {
                closeQuietly(client);
                closeQuietly(server);
                return;
            }
            pipe(client, server);
            pipe(server, client);
        }
    }

    /** Moves bytes from {@code from} to {@code to}, each chunk due {@link #delay} after it was read. */
    private void pipe(Socket from, Socket to) {
        String name = "satchel-relay-" + from.getPort() + "-" + to.getPort();
        BlockingQueue<Timed> queue = new ArrayBlockingQueue<>(MAX_CHUNKS);
        startDaemon(name + "-read", () -> {
            // Not closed here: closing a socket's stream closes the socket, and the other
            // direction may still be carrying the answer. The sockets close once both have ended.
            try {
                InputStream in = from.getInputStream();
                byte[] buffer = new byte[CHUNK];
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    queue.put(new Timed(System.nanoTime() + delay.toNanos(), Arrays.copyOf(buffer, n)));
                }
            } catch (IOException | InterruptedException e) {
                // the connection ended either way
            }
            try {
                queue.put(new Timed(System.nanoTime() + delay.toNanos(), END));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        startDaemon(name + "-write", () -> {
            try {
                OutputStream out = to.getOutputStream();
                while (true) {
                    Timed next = queue.take();
                    long wait = next.due() - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    if (next.bytes() == END) {
                        to.shutdownOutput();
                        break;
                    }
                    out.write(next.bytes());
                }
            } catch (IOException | InterruptedException e) {
                // the other side is gone: end both
                closeQuietly(from);
            }
            finishIfBothEnded(from, to);
        });
    }

    /** Once both directions have ended (or either failed), the sockets go. */
    private synchronized void finishIfBothEnded(Socket a, Socket b) {
        if (a.isOutputShutdown() && b.isOutputShutdown() || a.isClosed() || b.isClosed()) {
            closeQuietly(a);
            closeQuietly(b);
        }
    }

    private void closeQuietly(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // closing: nothing more to do
        }
    }

    /** Stops listening and closes every relayed connection. */
    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing: nothing more to do
        }
        for (Socket s : open) {
            closeQuietly(s);
        }
    }

    private record Timed(long due, byte[] bytes) {}

    /** A named daemon thread, so a relay never keeps the lab alive. */
    private static void startDaemon(String name, Runnable body) {
        DaemonThreads.named(name).newThread(body).start();
    }
}
