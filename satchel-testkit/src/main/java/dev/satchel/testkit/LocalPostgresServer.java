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

    private LocalPostgresServer(Path bin, Path dataDir, int port, boolean asRoot) {
        this.bin = bin;
        this.dataDir = dataDir;
        this.port = port;
        this.asRoot = asRoot;
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
        LocalPostgresServer server = new LocalPostgresServer(bin, dataDir, port, asRoot);
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
                        + " -c shared_preload_libraries=pg_stat_statements -c fsync=off",
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
