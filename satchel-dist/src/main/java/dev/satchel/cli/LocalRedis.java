package dev.satchel.cli;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A redis-server from the PATH on a free loopback port, for {@code satchel demo --store redis}:
 * started before the nodes, stopped with the demo. Keeps nothing on disk.
 */
final class LocalRedis implements AutoCloseable {
    private final Process process;
    final int port;

    private LocalRedis(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static LocalRedis start(Path dataDir) throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path logs = dataDir.resolve("logs");
        Files.createDirectories(logs);
        Process p;
        try {
            p = new ProcessBuilder(
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
                            logs.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(logs.resolve("redis.log").toFile())
                    .start();
        } catch (IOException e) {
            throw new IllegalStateException(
                    "--store redis needs redis-server on the PATH (apt-get install redis-server)", e);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("redis-server exited; see " + logs.resolve("redis.log"));
            }
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return new LocalRedis(p, port);
            } catch (IOException notYet) {
                TimeUnit.MILLISECONDS.sleep(20);
            }
        }
        p.destroyForcibly();
        throw new IllegalStateException("redis-server did not start within 15 s");
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

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
