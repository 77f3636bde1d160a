package dev.satchel.testkit;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} from the PATH on a free loopback port, keeping nothing on disk, for tests
 * that need a server of their own: to kill it, fill it or reconfigure it. Closing it stops the
 * process.
 */
public final class LocalRedisServer implements AutoCloseable {
    private final Process process;
    private final int port;
    private boolean tls;

    private LocalRedisServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * Starts a server and waits until it accepts connections.
     *
     * @param workDir where its log goes ({@code redis-<port>.log})
     * @throws IllegalStateException if redis-server is not on the PATH or exits
     * @throws AssertionError if it does not accept connections within 15 s
     */
    public static LocalRedisServer start(Path workDir) throws IOException, InterruptedException {
        int port = freePort();
        // Our own server: publish expiries, so sessionDestroyed fires for them.
        return launch(workDir, port, command(workDir, port, "--notify-keyspace-events", "Ex"));
    }

    /**
     * Starts a server that speaks only TLS, with {@code pki}'s server certificate, asks every client
     * for a certificate signed by {@code pki}'s CA, and knows one ACL user, {@code user} with
     * {@code password} and every right; the default user is off. Its {@link #uri()} is then
     * {@code rediss://127.0.0.1:<port>} (no credentials: a test adds them).
     */
    public static LocalRedisServer startTls(Path workDir, TestPki pki, String user, String password)
            throws IOException, InterruptedException {
        int port = freePort();
        List<String> command = command(
                workDir,
                0,
                "--tls-port",
                Integer.toString(port),
                "--tls-cert-file",
                pki.serverCertificate().toString(),
                "--tls-key-file",
                pki.serverKey().toString(),
                "--tls-ca-cert-file",
                pki.caCertificate().toString(),
                "--tls-auth-clients",
                "yes",
                "--user",
                "default",
                "off",
                "--user",
                user,
                "on",
                ">" + password,
                "~*",
                "&*",
                "+@all");
        LocalRedisServer server = launch(workDir, port, command);
        server.tls = true;
        return server;
    }

    /**
     * Starts a server that holds at most {@code maxMemory} (Redis's syntax: {@code 134217728},
     * {@code 128mb}, {@code 1gb}) and, when full, evicts the keys closest to expiry ({@code
     * volatile-ttl}): every session key has a TTL, so the sessions evicted are those about to time
     * out anyway, and writes are never refused as they are under the default {@code noeviction}.
     *
     * @throws IllegalArgumentException if {@code maxMemory} is not a size Redis reads
     * @throws IllegalStateException if redis-server is not on the PATH or exits
     * @throws AssertionError if it does not accept connections within 15 s
     */
    public static LocalRedisServer start(Path workDir, String maxMemory) throws IOException, InterruptedException {
        if (!isMemorySize(maxMemory)) {
            throw new IllegalArgumentException(
                    "not a Redis memory size (a number of bytes, or with kb, mb or gb): " + maxMemory);
        }
        int port = freePort();
        return launch(
                workDir,
                port,
                command(
                        workDir,
                        port,
                        "--notify-keyspace-events",
                        "Ex",
                        "--maxmemory",
                        maxMemory,
                        "--maxmemory-policy",
                        "volatile-ttl"));
    }

    /**
     * Whether {@code size} is a memory size this class passes to Redis: digits and an optional
     * unit, at least a megabyte, since less leaves Redis no room for itself.
     */
    public static boolean isMemorySize(String size) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]{1,12})(kb|mb|gb)?")
                .matcher(size == null ? "" : size.strip().toLowerCase(java.util.Locale.ROOT));
        if (!m.matches()) {
            return false;
        }
        long n = Long.parseLong(m.group(1));
        long unit = m.group(2) == null
                ? 1
                : switch (m.group(2)) {
                    case "kb" -> 1024L;
                    case "mb" -> 1024L * 1024;
                    default -> 1024L * 1024 * 1024;
                };
        return n <= Long.MAX_VALUE / unit && n * unit >= 1024L * 1024;
    }

    /**
     * A redis-server command line on {@code port}, loopback only, keeping nothing on disk, with
     * {@code extra} arguments appended.
     */
    static List<String> command(Path workDir, int port, String... extra) {
        List<String> command = new java.util.ArrayList<>(List.of(
                "redis-server",
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                workDir.toString()));
        command.addAll(List.of(extra));
        return command;
    }

    /**
     * A free loopback port for a Redis Cluster node, with its bus port (the port + 10000) free too.
     * Taken below the kernel's ephemeral range: a cluster node refuses ports over 55535 (its bus
     * would pass 65535), and a port there cannot be taken meanwhile by some outgoing connection.
     */
    static int freeClusterPort() throws IOException {
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 500; attempt++) {
            int port = random.nextInt(20_000, 22_700);
            if (bindable(port) && bindable(port + 10_000)) {
                return port;
            }
        }
        throw new IOException("no free port pair (P, P+10000) for a cluster node between 20000 and 32700");
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    /** A free loopback port, for a server about to be started. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * Runs {@code command} (a redis-server or sentinel command line that listens on {@code port})
     * and waits until it accepts connections; its output goes to {@code <workDir>/redis-<port>.log}.
     */
    static LocalRedisServer launch(Path workDir, int port, List<String> command)
            throws IOException, InterruptedException {
        Files.createDirectories(workDir);
        Path log = workDir.resolve("redis-" + port + ".log");
        // Made before the process opens it, so it has its owner's mode, not the umask's.
        Files.deleteIfExists(log);
        Files.createFile(log, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Process p;
        try {
            p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("redis-server is not on the PATH (apt-get install redis-server)", e);
        }
        try {
            Await.until(
                    Duration.ofSeconds(15),
                    () -> {
                        if (!p.isAlive()) {
                            throw new IllegalStateException("redis-server exited; see " + log);
                        }
                        return accepts(port);
                    },
                    "redis-server to accept connections on port " + port + " (log: " + log + ")");
        } catch (AssertionError | RuntimeException e) {
            p.destroyForcibly();
            throw e;
        }
        return new LocalRedisServer(p, port);
    }

    private static boolean accepts(int port) {
        try (Socket ignored = new Socket("127.0.0.1", port)) {
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    /** The port the server listens on. */
    public int port() {
        return port;
    }

    /** The server's URI, {@code redis://127.0.0.1:<port>}, or {@code rediss://} for a TLS one. */
    public String uri() {
        return (tls ? "rediss" : "redis") + "://127.0.0.1:" + port;
    }

    /** Whether the process is still running. */
    public boolean isAlive() {
        return process.isAlive();
    }

    /** Kills the server at once (SIGKILL), as a crash would. */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }

    /** Stops the server (SIGTERM, then SIGKILL after 5 s). */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
