package dev.satchel.testkit;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A MariaDB server of the test's own, on a free loopback port, that takes TCP connections only over
 * TLS ({@code require_secure_transport}) with a certificate from a {@link TestPki}: for tests of a
 * client's TLS settings, which the machine's own MariaDB (plain, root without a password) cannot
 * show. Runs Debian's {@code mariadbd} on a fresh data directory; its Unix socket stays open to
 * root for setting it up.
 */
public final class LocalMariaDbServer implements AutoCloseable {
    private static final Path SERVER = Path.of("/usr/sbin/mariadbd");
    private static final Path INSTALL_DB = Path.of("/usr/bin/mariadb-install-db");
    private static final Path CLIENT = Path.of("/usr/bin/mariadb");

    private final Path base;
    private final Path socket;
    private final int port;
    private final Process process;

    private LocalMariaDbServer(Path base, Path socket, int port, Process process) {
        this.base = base;
        this.socket = socket;
        this.port = port;
        this.process = process;
    }

    /**
     * Starts a server whose TCP connections must use TLS, with {@code pki}'s server certificate, and
     * creates {@code user} with {@code password}, who must connect over TLS from 127.0.0.1 and owns a
     * database named after them.
     *
     * @throws IllegalStateException if the MariaDB binaries are missing or the server does not start
     */
    public static LocalMariaDbServer startTls(TestPki pki, String user, String password)
            throws IOException, InterruptedException {
        for (Path binary : List.of(SERVER, INSTALL_DB, CLIENT)) {
            if (!Files.isExecutable(binary)) {
                throw new IllegalStateException(binary + " is missing (apt-get install mariadb-server mariadb-client)");
            }
        }
        // Under the temp directory, not the checkout: the socket path must stay under 108 bytes.
        Path base = Files.createTempDirectory("satchel-mariadb");
        Path data = base.resolve("data");
        Path socket = base.resolve("mysqld.sock");
        runOrRemove(
                base,
                List.of(
                        INSTALL_DB.toString(),
                        "--no-defaults",
                        "--datadir=" + data,
                        "--user=" + System.getProperty("user.name"),
                        "--auth-root-authentication-method=socket",
                        "--skip-test-db"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process process = new ProcessBuilder(
                        SERVER.toString(),
                        "--no-defaults",
                        "--datadir=" + data,
                        "--socket=" + socket,
                        "--pid-file=" + base.resolve("mysqld.pid"),
                        "--port=" + port,
                        "--bind-address=127.0.0.1",
                        "--user=" + System.getProperty("user.name"),
                        "--skip-name-resolve",
                        "--innodb-buffer-pool-size=32M",
                        "--innodb-flush-log-at-trx-commit=0",
                        "--ssl-ca=" + pki.caCertificate(),
                        "--ssl-cert=" + pki.serverCertificate(),
                        "--ssl-key=" + pki.serverKey(),
                        "--require-secure-transport=ON",
                        "--log-error=" + base.resolve("error.log"))
                .redirectErrorStream(true)
                .redirectOutput(base.resolve("stdout.log").toFile())
                .start();
        LocalMariaDbServer server = new LocalMariaDbServer(base, socket, port, process);
        try {
            server.awaitReady();
            server.sql("CREATE DATABASE " + user + ";"
                    + " CREATE USER '" + user + "'@'127.0.0.1' IDENTIFIED BY '" + password + "' REQUIRE SSL;"
                    + " GRANT ALL ON " + user + ".* TO '" + user + "'@'127.0.0.1';"
                    // The row-lock tests read who waits on whom from information_schema.
                    + " GRANT PROCESS ON *.* TO '" + user + "'@'127.0.0.1';");
        } catch (IOException | RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
        return server;
    }

    /** The port the server listens on, on 127.0.0.1. */
    public int port() {
        return port;
    }

    private void awaitReady() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("mariadbd exited at start:\n" + errorLog());
            }
            if (Files.exists(socket)) {
                Process ping = new ProcessBuilder(
                                CLIENT.toString(),
                                "--no-defaults",
                                "--connect-timeout=5",
                                "--socket=" + socket,
                                "-e",
                                "SELECT 1")
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
                if (ping.waitFor(10, TimeUnit.SECONDS) && ping.exitValue() == 0) {
                    return;
                }
                ping.destroyForcibly();
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("mariadbd did not accept connections within 60 s:\n" + errorLog());
            }
            Thread.sleep(100);
        }
    }

    private void sql(String statements) throws IOException, InterruptedException {
        run(List.of(CLIENT.toString(), "--no-defaults", "--socket=" + socket, "-e", statements));
    }

    private String errorLog() {
        try {
            return Files.readString(base.resolve("error.log"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no error log: " + e.getMessage() + ")";
        }
    }

    /** Stops the server and removes its data. */
    @Override
    public void close() {
        try {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            removeTree(base);
        } catch (IOException e) {
            System.err.println("could not remove the local MariaDB's files: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void runOrRemove(Path base, List<String> command) throws IOException, InterruptedException {
        try {
            run(command);
        } catch (IOException | RuntimeException | InterruptedException e) {
            removeTree(base);
            throw e;
        }
    }

    private static void removeTree(Path base) throws IOException {
        try (Stream<Path> files = Files.walk(base)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        // Output to a file, not a pipe read to its end: a hung command must not hang the test.
        Path out = Files.createTempFile("satchel-mariadb-cmd", ".log");
        try {
            Process p = new ProcessBuilder(new ArrayList<>(command))
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            boolean done = p.waitFor(120, TimeUnit.SECONDS);
            if (!done) {
                p.destroyForcibly();
            }
            if (!done || p.exitValue() != 0) {
                throw new IllegalStateException(command.get(0) + (done ? " failed" : " timed out") + ":\n"
                        + Files.readString(out, StandardCharsets.UTF_8));
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
