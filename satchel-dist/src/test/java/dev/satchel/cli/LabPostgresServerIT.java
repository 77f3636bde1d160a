package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL server the lab makes for {@code --fault kill-store} on sql: a commit it answered
 * survives a SIGKILL of the postmaster and all its backends, the restart replays the log on the
 * same port, and closing it deletes its files. Needs the machine's PostgreSQL server binaries, as
 * CI installs them.
 */
class LabPostgresServerIT {

    @Test
    void anAcknowledgedCommitSurvivesAKillAndTheFilesGoOnClose() throws Exception {
        assertThat(LabPostgresServer.installed())
                .as("PostgreSQL server binaries under /usr/lib/postgresql")
                .isPresent();
        Path logs = Files.createTempDirectory("satchel-postgres-it-logs");
        LabPostgresServer server = LabPostgresServer.start(logs, Host.loopback());
        Path data;
        try {
            assertThat(server.pids()).containsKey("postgres");
            long postmaster = server.pids().get("postgres");
            data = Path.of(ProcessHandle.of(postmaster)
                    .flatMap(h -> h.info().arguments())
                    .map(a -> a[java.util.Arrays.asList(a).indexOf("-D") + 1])
                    .orElseThrow());
            assertThat(data).isDirectory();
            try (Connection c = DriverManager.getConnection(server.uri());
                    Statement st = c.createStatement()) {
                st.execute("create table kept (v int)");
                st.execute("insert into kept values (42)"); // autocommit: answered once committed
            }
            server.kill();
            assertThat(ProcessHandle.of(postmaster).map(ProcessHandle::isAlive))
                    .isNotEqualTo(java.util.Optional.of(true));
            assertThat(server.pids()).isEmpty();
            server.restart();
            try (Connection c = DriverManager.getConnection(server.uri());
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("select v from kept")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getInt(1)).isEqualTo(42);
            }
            assertThat(Files.readString(logs.resolve(server.logName()))).contains("database system was interrupted");
        } finally {
            server.close();
            Files.deleteIfExists(logs.resolve(server.logName()));
            Files.deleteIfExists(logs);
        }
        assertThat(data).doesNotExist();
    }
}
