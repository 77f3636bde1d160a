package dev.satchel.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code redis-server} that {@code satchel demo --store redis} starts for its nodes: from the
 * PATH, on a free loopback port, keeping nothing on disk, bounded in memory; and the one {@code
 * satchel lab} kills and restarts, with an append-only file when asked. Its own class, not the test
 * kit's {@code LocalRedisServer}: this is product code in the dist jar, and the test kit is test
 * scope only, so no test launcher ships. It does only what the demo and the lab need.
 */
final class DemoRedisServer implements LabStoreServer {
    private static final Pattern KEYSPACE_KEYS = Pattern.compile("db0:keys=(\\d+)");

    private static final Pattern MEMORY_SIZE = Pattern.compile("([0-9]{1,12})(kb|mb|gb)?");
    private static final long START_TIMEOUT_SECONDS = 15;

    private final List<String> command;
    private final Path log;
    private final String address;
    private final int port;
    private Process process;

    private DemoRedisServer(List<String> command, Path log, String address, int port) {
        this.command = List.copyOf(command);
        this.log = log;
        this.address = address;
        this.port = port;
    }

    /**
     * Whether {@code size} is a memory size the demo passes to Redis: digits and an optional unit,
     * at least a megabyte, since less leaves Redis no room for itself.
     */
    static boolean isMemorySize(String size) {
        Matcher m = MEMORY_SIZE.matcher(size == null ? "" : size.strip().toLowerCase(Locale.ROOT));
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
     * Starts a server that holds at most {@code maxMemory} and, when full, evicts the keys closest to
     * expiry ({@code volatile-ttl}): every session key has a TTL, so the sessions evicted are those
     * about to time out anyway, and writes are never refused. Publishes expiries, so the nodes'
     * sessionDestroyed listeners fire for them.
     *
     * @param logDir where its log goes ({@code redis-<port>.log}, readable by the owner only)
     * @throws IllegalArgumentException if {@code maxMemory} is not a size Redis reads
     * @throws IllegalStateException if redis-server is not on the PATH, exits, or does not start in 15 s
     */
    static DemoRedisServer start(Path logDir, String maxMemory) throws IOException, InterruptedException {
        return start(logDir, maxMemory, RedisPersistence.NONE);
    }

    /**
     * As {@link #start(Path, String)}, keeping the data as {@code persistence} says: with an
     * append-only file the data lives in {@code redis-<port>} beside {@code logDir}, so a restart
     * after a crash reads it back.
     */
    static DemoRedisServer start(Path logDir, String maxMemory, RedisPersistence persistence)
            throws IOException, InterruptedException {
        return start(logDir, maxMemory, persistence, Host.loopback());
    }

    /** As {@link #start(Path, String, RedisPersistence)}, on {@code host} (e.g. a network namespace of its own). */
    static DemoRedisServer start(Path logDir, String maxMemory, RedisPersistence persistence, Host host)
            throws IOException, InterruptedException {
        return start(logDir, maxMemory, persistence, host, List.of());
    }

    /**
     * As {@link #start(Path, String, RedisPersistence, Host)}, a replica of the server at {@code
     * masterAddress}:{@code masterPort}, which starts its first sync at once rather than after
     * Redis' default 5 s.
     */
    static DemoRedisServer startReplica(
            Path logDir,
            String maxMemory,
            RedisPersistence persistence,
            Host host,
            String masterAddress,
            int masterPort)
            throws IOException, InterruptedException {
        return start(
                logDir,
                maxMemory,
                persistence,
                host,
                List.of("--replicaof", masterAddress, Integer.toString(masterPort), "--repl-diskless-sync-delay", "0"));
    }

    /**
     * A Sentinel on {@code host} watching the master {@code masterName} at {@code
     * masterAddress}:{@code masterPort}: it calls the master down after a second without an answer,
     * and two of three Sentinels agreeing promote a replica. Its configuration file, which Sentinel
     * rewrites as it learns, lives in {@code logDir}.
     */
    static DemoRedisServer startSentinel(
            Path logDir, Host host, String masterName, String masterAddress, int masterPort)
            throws IOException, InterruptedException {
        int port = freePort();
        Files.createDirectories(logDir);
        Path conf = logDir.resolve("sentinel-" + port + ".conf");
        Files.writeString(
                conf,
                String.join(
                        "\n",
                        "port " + port,
                        "bind " + host.address(),
                        "protected-mode no",
                        "dir " + logDir,
                        "sentinel monitor " + masterName + " " + masterAddress + " " + masterPort + " 2",
                        "sentinel down-after-milliseconds " + masterName + " 1000",
                        "sentinel failover-timeout " + masterName + " 5000",
                        "sentinel parallel-syncs " + masterName + " 1",
                        ""));
        Path log = newLog(logDir, "sentinel-" + port + ".log");
        DemoRedisServer sentinel = new DemoRedisServer(
                host.command(List.of("redis-server", conf.toString(), "--sentinel")), log, host.address(), port);
        sentinel.launch();
        return sentinel;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** A log readable by its owner only, made before the process opens it so the umask has no say. */
    private static Path newLog(Path logDir, String name) throws IOException {
        Path log = logDir.resolve(name);
        Files.deleteIfExists(log);
        Files.createFile(log, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        return log;
    }

    private static DemoRedisServer start(
            Path logDir, String maxMemory, RedisPersistence persistence, Host host, List<String> extra)
            throws IOException, InterruptedException {
        if (!isMemorySize(maxMemory)) {
            throw new IllegalArgumentException(
                    "not a Redis memory size (a number of bytes, or with kb, mb or gb): " + maxMemory);
        }
        int port = freePort();
        Files.createDirectories(logDir);
        // Nothing on disk: its working folder is the logs'. With a file: a folder of its own beside
        // the logs, readable by the owner only, since it holds every session.
        Path dataDir = logDir;
        if (persistence != RedisPersistence.NONE) {
            dataDir = logDir.resolveSibling("redis-" + port);
            Files.createDirectories(
                    dataDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        Path log = newLog(logDir, "redis-" + port + ".log");
        List<String> command = new ArrayList<>(List.of(
                "redis-server",
                "--port",
                Integer.toString(port),
                "--bind",
                host.address(),
                "--save",
                "",
                "--dir",
                dataDir.toString(),
                "--notify-keyspace-events",
                "Ex",
                "--maxmemory",
                maxMemory,
                "--maxmemory-policy",
                "volatile-ttl"));
        command.addAll(persistence.arguments());
        command.addAll(extra);
        if (!host.launcher().isEmpty()) {
            // In a network namespace of the lab's own: Redis 7 answers DENIED to every client off
            // loopback when no password is set, and the nodes reach it over the lab's bridge, which
            // only this machine's lab can reach.
            command.addAll(List.of("--protected-mode", "no"));
        }
        DemoRedisServer server = new DemoRedisServer(host.command(command), log, host.address(), port);
        server.launch();
        return server;
    }

    /** Starts the process and waits until it accepts connections. */
    private void launch() throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException("redis-server is not on the PATH (apt-get install redis-server)", e);
        }
        process = p;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("redis-server exited; see " + log);
            }
            try (Socket ignored = new Socket(address, port)) {
                return;
            } catch (IOException notYet) {
                TimeUnit.MILLISECONDS.sleep(20);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException(
                "redis-server did not start within " + START_TIMEOUT_SECONDS + " s; see " + log);
    }

    @Override
    public String name() {
        return "redis-server";
    }

    @Override
    public Map<String, Long> pids() {
        return pid().map(p -> Map.of("redis-server", p)).orElse(Map.of());
    }

    @Override
    public Set<Integer> dataPorts() {
        return Set.of(port);
    }

    /** Kills the server at once (SIGKILL), as a crash or a power cut would, and waits until it is gone. */
    @Override
    public synchronized void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Starts a killed server again on the same port, with the same files, and waits until it serves. */
    @Override
    public synchronized void restart() throws IOException, InterruptedException {
        if (process.isAlive()) {
            throw new IllegalStateException("redis-server on port " + port + " is still running");
        }
        launch();
    }

    /** The server's URI, {@code redis://<address>:<port>}, as the nodes' {@code --store}. */
    @Override
    public String uri() {
        return "redis://" + address + ":" + port;
    }

    int port() {
        return port;
    }

    /** The server's process id while it runs. */
    synchronized Optional<Long> pid() {
        return process.isAlive() ? Optional.of(process.pid()) : Optional.empty();
    }

    /**
     * The server's {@code total_commands_processed} ({@code INFO stats}); empty when it does not
     * answer within a second.
     */
    @Override
    public OptionalLong commandsProcessed() {
        return number(info("stats"), "total_commands_processed");
    }

    /**
     * The server's {@code used_memory} ({@code INFO memory}), in bytes, and the keys of its first
     * database ({@code INFO keyspace}); empty when it does not answer within a second.
     */
    @Override
    public Optional<long[]> memoryAndKeys() {
        List<String> lines = new ArrayList<>(info("memory"));
        OptionalLong used = number(lines, "used_memory");
        if (used.isEmpty()) {
            return Optional.empty();
        }
        long keys = 0; // no "db0:" line while the database is empty
        for (String line : info("keyspace")) {
            Matcher m = KEYSPACE_KEYS.matcher(line);
            if (m.lookingAt()) {
                keys = Long.parseLong(m.group(1));
            }
        }
        return Optional.of(new long[] {used.getAsLong(), keys});
    }

    private static OptionalLong number(List<String> info, String field) {
        for (String line : info) {
            if (line.startsWith(field + ":")) {
                try {
                    return OptionalLong.of(
                            Long.parseLong(line.substring(field.length() + 1).strip()));
                } catch (NumberFormatException e) {
                    return OptionalLong.empty();
                }
            }
        }
        return OptionalLong.empty();
    }

    /**
     * The strings of the server's reply to {@code words}, asked over one short connection in RESP:
     * an array's elements in order, or the one string; empty when it does not answer within a
     * second or answers with an error. Enough for the few commands the lab asks.
     */
    List<String> ask(String... words) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 1000);
            s.setSoTimeout(1000);
            StringBuilder command = new StringBuilder("*").append(words.length).append("\r\n");
            for (String w : words) {
                command.append('$').append(w.length()).append("\r\n").append(w).append("\r\n");
            }
            s.getOutputStream().write(command.toString().getBytes(StandardCharsets.US_ASCII));
            BufferedReader in =
                    new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            String head = in.readLine();
            if (head == null || head.isEmpty() || head.charAt(0) == '-') {
                return List.of();
            }
            int count = head.charAt(0) == '*' ? Integer.parseInt(head.substring(1)) : 1;
            List<String> strings = new ArrayList<>();
            String line = head;
            for (int i = 0; i < count; i++) {
                if (head.charAt(0) == '*') {
                    line = in.readLine();
                }
                if (line == null) {
                    return List.of();
                }
                if (line.startsWith("$")) {
                    int length = Integer.parseInt(line.substring(1));
                    if (length < 0) {
                        strings.add("");
                        continue;
                    }
                    char[] text = new char[length];
                    int read = 0;
                    while (read < length) {
                        int n = in.read(text, read, length - read);
                        if (n < 0) {
                            return List.of();
                        }
                        read += n;
                    }
                    in.readLine(); // the CRLF after the bulk string
                    strings.add(new String(text));
                } else {
                    strings.add(line.substring(1)); // +simple string or :integer
                }
            }
            return strings;
        } catch (IOException | NumberFormatException e) {
            return List.of();
        }
    }

    /** The lines of one {@code INFO} section; empty on failure. */
    List<String> info(String section) {
        List<String> reply = ask("INFO", section);
        return reply.isEmpty() ? List.of() : List.of(reply.get(0).split("\r\n"));
    }

    /** Stops the server (SIGTERM, then SIGKILL after 5 s). */
    @Override
    public synchronized void close() {
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
