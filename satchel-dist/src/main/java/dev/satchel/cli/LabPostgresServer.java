package dev.satchel.cli;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL server of the lab's own, so that {@code --fault kill-store} can crash the sql
 * strategy's database as it crashes Redis: made with the machine's {@code initdb} in a fresh
 * folder, started with {@code postgres} on a free port, killed with SIGKILL (the postmaster and
 * every backend at once, as a machine that loses power) and started again on the same files, where
 * it replays its write-ahead log. It commits as PostgreSQL does by default ({@code fsync} and
 * {@code synchronous_commit} on), so a commit it acknowledged survives the crash.
 *
 * <p>It trusts every client that reaches it, with no password: it holds nothing but the lab's
 * sessions for one run, listens only on loopback or on the lab's own bridge, and is deleted when
 * the run ends. PostgreSQL refuses to run as root, so as root it runs as the {@code postgres} user
 * through util-linux's {@code setpriv}, which replaces itself with the server: the process the lab
 * holds is the postmaster.
 */
final class LabPostgresServer implements LabStoreServer {
    private static final Path INSTALLS = Paths.get("/usr/lib/postgresql");
    private static final long START_TIMEOUT_SECONDS = 60;

    private final Path bin;
    private final Path folder;
    private final Host host;
    private final int port;
    private final Path log;
    private Process process;
    /** Stops it and deletes its files if the lab is interrupted (Ctrl-C) before it closes it. */
    private final Thread onExit = new Thread(this::stopAndDelete, "lab-postgres-close");

    private LabPostgresServer(Path bin, Path folder, Host host, int port, Path log) {
        this.bin = bin;
        this.folder = folder;
        this.host = host;
        this.port = port;
        this.log = log;
    }

    /** The newest PostgreSQL server installed, as Debian lays them out; empty when there is none. */
    static Optional<Path> installed() {
        if (!Files.isDirectory(INSTALLS)) {
            return Optional.empty();
        }
        try (Stream<Path> versions = Files.list(INSTALLS)) {
            return versions.map(v -> v.resolve("bin"))
                    .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("postgres")))
                    .max(Comparator.comparingInt(LabPostgresServer::majorVersion));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static int majorVersion(Path bin) {
        try {
            return Integer.parseInt(bin.getParent().getFileName().toString());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * Makes a database in a new folder under the system's temporary one and starts it on {@code
     * host}; its log goes to {@code logDir}.
     *
     * @throws IllegalStateException when no PostgreSQL server is installed, or it does not start
     */
    static LabPostgresServer start(Path logDir, Host host) throws IOException, InterruptedException {
        Path bin = installed()
                .orElseThrow(() -> new IllegalStateException("--fault kill-store on sql needs a PostgreSQL server of"
                        + " the lab's own, and none is installed under " + INSTALLS
                        + " (apt-get install postgresql)"));
        int port = freePort();
        Files.createDirectories(logDir);
        Path log = logDir.resolve("postgres-" + port + ".log");
        Files.deleteIfExists(log);
        Files.createFile(log, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        // Not in the data directory: as root the server runs as postgres, which may not enter it (0700).
        // Made last, so that nothing can fail between it and the hook that deletes it.
        Path folder = Files.createTempDirectory("satchel-lab-postgres-");
        LabPostgresServer server = new LabPostgresServer(bin, folder, host, port, log);
        Runtime.getRuntime().addShutdownHook(server.onExit);
        try {
            server.initialise();
            server.launch();
            return server;
        } catch (IOException | InterruptedException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Whether this process runs as uid 0, whatever its user is called. */
    private static boolean asRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Paths.get("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /** {@code command} as the server's user: as root, through setpriv as postgres; else as this user. */
    private static List<String> asServerUser(List<String> command) {
        if (!asRoot()) {
            return command;
        }
        List<String> whole = new ArrayList<>(
                List.of("setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--reset-env", "--"));
        whole.addAll(command);
        return whole;
    }

    private void initialise() throws IOException, InterruptedException {
        if (asRoot()) {
            UserPrincipalLookupService users = folder.getFileSystem().getUserPrincipalLookupService();
            try {
                Files.setOwner(folder, users.lookupPrincipalByName("postgres"));
            } catch (IOException e) {
                throw new IllegalStateException(
                        "PostgreSQL will not run as root, and there is no postgres user" + " to run it as: "
                                + e.getMessage(),
                        e);
            }
        }
        Path data = folder.resolve("data");
        run(asServerUser(List.of(
                bin.resolve("initdb").toString(),
                "-D",
                data.toString(),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync")));
        // Trust every address that reaches it: on the lab's bridge the nodes come from their own.
        Files.writeString(
                data.resolve("pg_hba.conf"),
                "local all all trust\nhost all all 0.0.0.0/0 trust\nhost all all ::/0 trust\n");
    }

    private void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        if (!p.waitFor(START_TIMEOUT_SECONDS, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("initdb failed; see " + log);
        }
    }

    /** Starts the server and waits until it takes connections. */
    private void launch() throws IOException, InterruptedException {
        List<String> command = host.command(asServerUser(List.of(
                bin.resolve("postgres").toString(),
                "-D",
                folder.resolve("data").toString(),
                "-p",
                Integer.toString(port),
                "-c",
                "listen_addresses=" + host.address(),
                "-c",
                "unix_socket_directories=" + folder,
                "-c",
                "max_connections=200",
                "-c",
                "shared_buffers=64MB")));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .start();
        process = p;
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException("postgres exited; see " + log);
            }
            if (acceptsConnections()) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
        p.destroyForcibly();
        throw new IllegalStateException("postgres did not start within " + START_TIMEOUT_SECONDS + " s; see " + log);
    }

    /** Whether the server answers a query: it listens before crash recovery ends, and refuses until then. */
    private boolean acceptsConnections() {
        try (Socket ignored = new Socket(host.address(), port)) {
            // listening; now ask it for real
        } catch (IOException notYet) {
            return false;
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(uri());
                java.sql.Statement st = c.createStatement()) {
            st.execute("select 1");
            return true;
        } catch (java.sql.SQLException starting) {
            return false;
        }
    }

    @Override
    public String name() {
        return "postgres";
    }

    /** Its log's file name in the log folder it was given. */
    String logName() {
        return log.getFileName().toString();
    }

    /** The nodes' {@code --store}: the server's own database, as its superuser. */
    @Override
    public String uri() {
        return "jdbc:postgresql://" + host.address() + ":" + port + "/postgres?user=postgres";
    }

    /** Kills the postmaster and every backend at once (SIGKILL), and waits until all are gone. */
    @Override
    public synchronized void kill() throws InterruptedException {
        List<ProcessHandle> all = new ArrayList<>();
        all.add(process.toHandle());
        process.toHandle().descendants().forEach(all::add);
        all.forEach(ProcessHandle::destroyForcibly);
        // Polled: the backends are not this JVM's children, and the JDK learns of a stranger's exit
        // only by polling with growing pauses, which left seconds between the kill and its report.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (all.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(10);
        }
    }

    /** Starts a killed server again on the same files: it replays its log before it takes connections. */
    @Override
    public synchronized void restart() throws IOException, InterruptedException {
        if (process.isAlive()) {
            throw new IllegalStateException("postgres on port " + port + " is still running");
        }
        launch();
    }

    /** The postmaster and its backends running now, each by its own name, for the lab to time. */
    @Override
    public synchronized Map<String, Long> pids() {
        Map<String, Long> pids = new LinkedHashMap<>();
        if (process.isAlive()) {
            pids.put("postgres", process.pid());
            process.toHandle().descendants().forEach(h -> pids.put("postgres-" + h.pid(), h.pid()));
        }
        return pids;
    }

    @Override
    public Set<Integer> dataPorts() {
        return Set.of(port);
    }

    /** Not Redis: the lab counts PostgreSQL's transactions from its statistics instead. */
    @Override
    public OptionalLong commandsProcessed() {
        return OptionalLong.empty();
    }

    @Override
    public Optional<long[]> memoryAndKeys() {
        return Optional.empty();
    }

    /** Stops the server (SIGINT, PostgreSQL's fast shutdown; SIGKILL after 10 s) and deletes its files. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(onExit);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to: it does the same
        }
        stopAndDelete();
    }

    private synchronized void stopAndDelete() {
        if (process != null && process.isAlive()) {
            try {
                new ProcessBuilder("kill", "-INT", Long.toString(process.pid()))
                        .start()
                        .waitFor(5, TimeUnit.SECONDS);
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    kill();
                }
            } catch (IOException e) {
                process.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        deleteQuietly(folder);
    }

    private static void deleteQuietly(Path path) {
        try {
            if (Files.isDirectory(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                try (DirectoryStream<Path> children = Files.newDirectoryStream(path)) {
                    for (Path child : children) {
                        deleteQuietly(child);
                    }
                }
            }
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // a leftover in the temporary folder is the system's to clean
        }
    }
}
