package dev.satchel.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.balancer.Balancer;
import dev.satchel.balancer.BalancerConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line's side of the admin API: where it listens and where its token comes from. */
class AdminOptionsTest {

    @TempDir
    Path dir;

    private static BalancerOptions parse(String... args) {
        return CommandLine.populateCommand(new BalancerOptions(), args);
    }

    @Test
    void theAdminApi_staysOnLoopback_whenTheBalancerListensEverywhere() {
        BalancerOptions options = parse("--host", "0.0.0.0", "--port", "0", "--admin-port", "0");
        try (Balancer b = Balancer.start(options.configure().build())) {
            assertThat(b.address().getAddress().isAnyLocalAddress()).isTrue();
            assertThat(b.adminAddress().getAddress().isLoopbackAddress())
                    .as("admin bound to %s", b.adminAddress())
                    .isTrue();
        }
    }

    @Test
    void adminHost_movesOnlyTheAdminApi() {
        BalancerOptions options = parse("--port", "0", "--admin-port", "0", "--admin-host", "0.0.0.0");
        try (Balancer b = Balancer.start(options.configure().build())) {
            assertThat(b.address().getAddress().isLoopbackAddress()).isTrue();
            assertThat(b.adminAddress().getAddress().isAnyLocalAddress()).isTrue();
        }
    }

    @Test
    void theToken_comesFromTheFile_orTheEnvironment_neverBoth() throws Exception {
        String token = BalancerConfig.generateAdminToken();
        Path file = dir.resolve("token");
        Files.writeString(file, token + "\n");
        Map<String, String> env = Map.of(BalancerOptions.ADMIN_TOKEN_VARIABLE, token);
        assertThat(parse().configuredAdminToken(Map.of())).isEmpty();
        assertThat(parse().configuredAdminToken(env)).contains(token);
        assertThat(parse("--admin-token-file", file.toString()).configuredAdminToken(Map.of()))
                .contains(token);
        assertThatThrownBy(() -> parse("--admin-token-file", file.toString()).configuredAdminToken(env))
                .hasMessageContaining("not both");
        assertThatThrownBy(
                        () -> parse("--admin-token-file", dir.resolve("missing").toString())
                                .configuredAdminToken(Map.of()))
                .hasMessageContaining("cannot read --admin-token-file");
    }

    @Test
    void aWeakToken_isRefusedBeforeAnyNodeStarts() throws Exception {
        Path file = dir.resolve("weak");
        Files.writeString(file, "changeme\n");
        StringWriter err = new StringWriter();
        CommandLine cl = SatchelCommand.commandLine();
        cl.setOut(new PrintWriter(new StringWriter()));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(
                "demo",
                "--admin-token-file",
                file.toString(),
                "--data-dir",
                dir.resolve("data").toString());
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("at least 32 characters");
    }

    @Test
    void aSecretFile_isCreatedReadableByItsOwnerOnly() throws Exception {
        Path file = dir.resolve("admin-token");
        Files.writeString(file, "old"); // a previous run's file, with whatever mode it had
        BalancerOptions.writeSecret(file, "fresh");
        assertThat(Files.readString(file)).isEqualTo("fresh\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                .isEqualTo("rw-------");
    }
}
