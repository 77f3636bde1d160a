package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.demo.PrivateDataDir;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What a running demo exposes to the rest of the machine and beyond it, checked as another local
 * user would look: listening sockets from {@code ss -ltnp}, the H2 databases' front door, and the
 * modes of the files in the data directory.
 */
final class LocalExposure {
    private static final Pattern PID = Pattern.compile("pid=(\\d+)");
    private static final Set<PosixFilePermission> GROUP_OR_OTHER = Set.of(
            PosixFilePermission.GROUP_READ,
            PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ,
            PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_EXECUTE);

    private LocalExposure() {}

    /** One listening TCP socket: its local address and port as ss prints them, and its process. */
    record Listener(String localAddress, long pid) {
        boolean onLoopback() {
            String host = localAddress.substring(0, localAddress.lastIndexOf(':'));
            return host.startsWith("127.") || host.equals("[::1]") || host.startsWith("[::ffff:127.");
        }
    }

    /** Every listening TCP socket of {@code root} and the processes under it. */
    static List<Listener> listenersOf(Process root) throws IOException, InterruptedException {
        Set<Long> tree = Stream.concat(Stream.of(root.toHandle()), root.descendants())
                .map(ProcessHandle::pid)
                .collect(Collectors.toSet());
        Process ss =
                new ProcessBuilder("ss", "-ltnpH").redirectErrorStream(true).start();
        String out = new String(ss.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ss.waitFor(10, TimeUnit.SECONDS)).as("ss ran").isTrue();
        assertThat(ss.exitValue()).as("ss -ltnpH: %s", out).isZero();
        List<Listener> mine = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] columns = line.trim().split("\\s+");
            if (columns.length < 6) {
                continue;
            }
            Matcher pid = PID.matcher(line);
            while (pid.find()) {
                long p = Long.parseLong(pid.group(1));
                if (tree.contains(p)) {
                    mine.add(new Listener(columns[3], p));
                    break;
                }
            }
        }
        return mine;
    }

    /** Asserts that no socket of the demo listens beyond loopback, and that there are some. */
    static void assertOnlyLoopback(Process demo, int atLeast) throws IOException, InterruptedException {
        List<Listener> listeners = listenersOf(demo);
        assertThat(listeners).as("the demo's listening sockets").hasSizeGreaterThanOrEqualTo(atLeast);
        assertThat(listeners).as("listening sockets of the demo and its nodes").allSatisfy(l -> assertThat(
                        l.onLoopback())
                .as("%s (pid %d) is on loopback", l.localAddress(), l.pid())
                .isTrue());
    }

    /**
     * Asserts that an H2 database of the data directory refuses H2's default login ({@code sa}, no
     * password) and a wrong password, and takes the directory's own, through its auto-server as a
     * second process would.
     */
    static void assertDatabaseWantsItsPassword(Path dataDir, String database) throws SQLException {
        String url = "jdbc:h2:file:" + dataDir.resolve(database) + ";AUTO_SERVER=TRUE;IFEXISTS=TRUE";
        assertThatThrownBy(() -> DriverManager.getConnection(url, "sa", "").close())
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("Wrong user name or password");
        assertThatThrownBy(() -> DriverManager.getConnection(url, "sa", "guess").close())
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("Wrong user name or password");
        String password = PrivateDataDir.open(dataDir).databasePassword();
        try (Connection c = DriverManager.getConnection(url, PrivateDataDir.DATABASE_USER, password)) {
            assertThat(c.isValid(5)).isTrue();
        }
    }

    /**
     * Asserts that every file the demo wrote into its data directory and its logs is its owner's
     * alone; {@code except} names files the test itself made there.
     */
    static void assertFilesPrivate(Path dataDir, Set<String> except) throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path dir : List.of(dataDir, dataDir.resolve("logs"))) {
            try (Stream<Path> list = Files.list(dir)) {
                list.filter(Files::isRegularFile)
                        .filter(f -> !except.contains(f.getFileName().toString()))
                        .forEach(files::add);
            }
        }
        assertThat(files).as("files in %s", dataDir).isNotEmpty();
        for (Path f : files) {
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(f);
            assertThat(mode).as("mode of %s", f).doesNotContainAnyElementsOf(GROUP_OR_OTHER);
        }
        assertThat(Files.getPosixFilePermissions(dataDir.resolve("logs")))
                .as("mode of the logs directory")
                .doesNotContainAnyElementsOf(GROUP_OR_OTHER);
    }
}
