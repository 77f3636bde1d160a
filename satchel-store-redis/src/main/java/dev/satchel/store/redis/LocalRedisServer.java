package dev.satchel.store.redis;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A {@code redis-server} from the PATH on a free loopback port, keeping nothing on disk: what
 * {@code satchel demo --store redis} runs, and what the tests kill. Closing it stops the process.
 */
public final class LocalRedisServer implements AutoCloseable {
    private final Process process;
    private final int port;

    private LocalRedisServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * Starts a server and waits until it accepts connections.
     *
     * @param workDir where its log goes ({@code redis-<port>.log})
     * @throws IllegalStateException if redis-server is not on the PATH, exits, or does not start in 15 s
     */
    public static LocalRedisServer start(Path workDir) throws IOException, InterruptedException {
        int port = freePort();
        // Our own server: publish expiries, so sessionDestroyed fires for them.
        return launch(workDir, port, command(workDir, port, "--notify-keyspace-events", "Ex"));
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
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("redis-server exited; see " + log);
            }
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return new LocalRedisServer(p, port);
            } catch (IOException notYet) {
                TimeUnit.MILLISECONDS.sleep(20);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("redis-server did not start within 15 s; see " + log);
    }

    /** The port the server listens on. */
    public int port() {
        return port;
    }

    /** The server's URI, {@code redis://127.0.0.1:<port>}. */
    public String uri() {
        return "redis://127.0.0.1:" + port;
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
