package dev.satchel.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivateDataDirTest {
    @TempDir
    Path tmp;

    @Test
    void aNewDirectoryAndItsLogsAreTheOwnersOnly() throws Exception {
        Path dir = tmp.resolve("a/b/data");
        PrivateDataDir.open(dir);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("logs"))))
                .isEqualTo("rwx------");
    }

    @Test
    void nodesStartingTogether_allGetOnePassword_inAnOwnerOnlyFile() throws Exception {
        Path dir = tmp.resolve("data");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<String>> nodes = IntStream.range(0, 8)
                    .mapToObj(i ->
                            (Callable<String>) () -> PrivateDataDir.open(dir).databasePassword())
                    .toList();
            Set<String> passwords =
                    pool.invokeAll(nodes).stream().map(PrivateDataDirTest::get).collect(Collectors.toSet());
            assertThat(passwords).hasSize(1);
            assertThat(passwords.iterator().next()).hasSizeGreaterThanOrEqualTo(43);
        } finally {
            pool.shutdownNow();
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("db-password"))))
                .isEqualTo("rw-------");
        try (var left = Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("db-password", "logs");
        }
    }

    @Test
    void aDatabaseFromBeforePasswords_keepsItsRows_andTakesOnlyThePasswordAfterwards() throws Exception {
        PrivateDataDir dir = PrivateDataDir.open(tmp.resolve("data"));
        String url = "jdbc:h2:file:" + dir.path().resolve("users") + ";AUTO_SERVER=TRUE";
        try (Connection old = DriverManager.getConnection(url, "sa", "");
                Statement s = old.createStatement()) {
            s.execute("CREATE TABLE users (username VARCHAR(32) PRIMARY KEY)");
            s.execute("INSERT INTO users VALUES ('alice')");
        }
        String password = dir.databasePassword();

        PrivateDataDir.adoptOldDatabase(url, password);
        PrivateDataDir.adoptOldDatabase(url, password); // a second node: nothing left to do

        assertThatThrownBy(() -> DriverManager.getConnection(url, "sa", "").close())
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("Wrong user name or password");
        try (Connection c = DriverManager.getConnection(url, PrivateDataDir.DATABASE_USER, password);
                Statement s = c.createStatement();
                var rows = s.executeQuery("SELECT username FROM users")) {
            assertThat(rows.next()).isTrue();
            assertThat(rows.getString(1)).isEqualTo("alice");
        }
        dir.restrictFiles();
        try (var files = Files.list(dir.path())) {
            assertThat(files.filter(Files::isRegularFile).toList()).isNotEmpty().allSatisfy(f -> assertThat(
                            PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
                    .as("%s", f)
                    .isEqualTo("rw-------"));
        }
    }

    private static String get(Future<String> f) {
        try {
            return f.get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
