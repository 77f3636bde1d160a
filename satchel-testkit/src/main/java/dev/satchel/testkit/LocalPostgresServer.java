package dev.satchel.testkit;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of the test's own, on a free loopback port, with {@code pg_stat_statements}
 * loaded: for tests that stop or kill the database, and for counting statements on the server. Runs
 * the Debian binaries from {@code /usr/lib/postgresql/<version>/bin}, as the {@code postgres} user
 * when the test runs as root (PostgreSQL refuses to run as root).
 */
public final class LocalPostgresServer implements AutoCloseable {
    private final Path bin;
    private final Path dataDir;
    private final int port;
    private final boolean asRoot;
    /** Server options beyond the fixed ones: TLS settings for a server of {@link #startTls}. */
    private final String extraOptions;

    private LocalPostgresServer(Path bin, Path dataDir, int port, boolean asRoot, String extraOptions) {
        this.bin = bin;
        this.dataDir = dataDir;
        this.port = port;
        this.asRoot = asRoot;
        this.extraOptions = extraOptions;
    }

    /**
     * Starts a server that takes TCP connections only over TLS ({@code hostssl}), with {@code pki}'s
     * server certificate, and only from {@code user} with {@code password} (SCRAM), who owns a
     * database named after them. The socket in the data directory stays open to {@code postgres}.
     */
    public static LocalPostgresServer startTls(Path workDir, TestPki pki, String user, String password)
            throws IOException, InterruptedException {
        LocalPostgresServer plain = start(workDir);
        try (Connection c = plain.connect()) {
            c.createStatement().execute("CREATE ROLE " + user + " LOGIN PASSWORD '" + password + "'");
            c.createStatement().execute("CREATE DATABASE " + user + " OWNER " + user);
        } catch (SQLException e) {
            plain.close();
            throw new IllegalStateException("could not create the TLS test user", e);
        }
        plain.stop();
        Path data = plain.dataDir;
        Files.copy(pki.serverCertificate(), data.resolve("server.crt"));
        Files.copy(pki.serverKey(), data.resolve("server.key"));
        Files.copy(pki.caCertificate(), data.resolve("ca.crt"));
        Files.setPosixFilePermissions(
                data.resolve("server.key"), java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Files.writeString(
                data.resolve("pg_hba.conf"),
                "local all all trust\n"
                        + "hostssl all all 127.0.0.1/32 scram-sha-256\n"
                        + "hostnossl all all 127.0.0.1/32 reject\n");
        if (plain.asRoot) {
            run(List.of("chown", "-R", "postgres:postgres", data.toString()));
        }
        LocalPostgresServer tls = new LocalPostgresServer(
                plain.bin,
                data,
                plain.port,
                plain.asRoot,
                " -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key -c ssl_ca_file=ca.crt");
        tls.begin();
        return tls;
    }

    /** The port the server listens on, on 127.0.0.1. */
    public int port() {
        return port;
    }

    /**
     * Creates a fresh cluster under {@code workDir} and starts it. As root the cluster goes to a
     * directory of its own under the system temp directory instead, removed on {@link #close()}:
     * the postgres user it then runs as cannot reach a checkout in a private home such as /root.
     */
    public static LocalPostgresServer start(Path workDir) throws IOException, InterruptedException {
        Path bin = findBinaries();
        boolean asRoot = "root".equals(System.getProperty("user.name"));
        Path base = asRoot ? Files.createTempDirectory("satchel-pg") : workDir.toAbsolutePath();
        Files.createDirectories(base);
        Path dataDir = Files.createTempDirectory(base, "pgdata");
        if (asRoot) {
            run(List.of("chown", "-R", "postgres:postgres", base.toString()));
        }
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        LocalPostgresServer server = new LocalPostgresServer(bin, dataDir, port, asRoot, "");
        server.asPostgres(List.of(
                bin.resolve("initdb").toString(),
                "-D",
                dataDir.toString(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync"));
        server.begin();
        try (Connection c = server.connect()) {
            c.createStatement().execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        } catch (SQLException e) {
            server.close();
            throw new IllegalStateException("could not set up the local PostgreSQL", e);
        }
        return server;
    }

    /** The JDBC URL of the server's {@code postgres} database. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres";
    }

    /** A direct connection, outside any pool. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl());
    }

    /** Starts the server (again) on the same port and data, and waits until it accepts connections. */
    public void begin() throws IOException, InterruptedException {
        asPostgres(List.of(
                bin.resolve("pg_ctl").toString(),
                "-D",
                dataDir.toString(),
                "-l",
                dataDir.resolveSibling(dataDir.getFileName() + ".log").toString(),
                "-w",
                "-t",
                "30",
                "-o",
                "-p " + port + " -k " + dataDir + " -c listen_addresses=127.0.0.1"
                        + " -c shared_preload_libraries=pg_stat_statements -c fsync=off" + extraOptions,
                "start"));
    }

    /** Stops the server the way an operator does ({@code pg_ctl stop -m fast}). */
    public void stop() throws IOException, InterruptedException {
        asPostgres(List.of(bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "fast", "-w", "stop"));
    }

    @Override
    public void close() {
        try {
            if (Files.exists(dataDir.resolve("postmaster.pid"))) {
                asPostgres(List.of(
                        bin.resolve("pg_ctl").toString(), "-D", dataDir.toString(), "-m", "immediate", "-w", "stop"));
            }
            if (asRoot) {
                run(List.of("rm", "-rf", dataDir.getParent().toString()));
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("could not stop the local PostgreSQL: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void asPostgres(List<String> command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (asRoot) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(command);
        run(full);
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        // Every path is absolute; a neutral working directory spares the postgres user a cwd it may not enter.
        Process p = new ProcessBuilder(command)
                .directory(Path.of(System.getProperty("java.io.tmpdir")).toFile())
                .redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
        }
    }

    private static Path findBinaries() throws IOException {
        Path root = Path.of("/usr/lib/postgresql");
        if (!Files.isDirectory(root)) {
            throw new IllegalStateException("PostgreSQL server binaries are missing (apt-get install postgresql)");
        }
        try (Stream<Path> versions = Files.list(root)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("pg_ctl")))
                    .max(Comparator.comparing(Path::toString))
                    .orElseThrow(() -> new IllegalStateException("no pg_ctl under " + root));
        }
    }
}
