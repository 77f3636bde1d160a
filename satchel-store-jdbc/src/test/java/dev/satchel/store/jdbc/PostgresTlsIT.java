package dev.satchel.store.jdbc;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.testkit.LocalPostgresServer;
import dev.satchel.testkit.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SQL store contract against a PostgreSQL of this test's own that accepts TCP connections only
 * over TLS and only with a password, reached with {@code sslmode=verify-full} against a CA this test
 * makes; and every way such a connection can be wrong fails at start-up, saying why.
 */
class PostgresTlsIT extends JdbcStoreContract {
    private static final String USER = "satchel";
    private static final String PASSWORD = "pg-s3cret-for-the-test";
    private static TestPki pki;
    private static TestPki otherPki;
    private static LocalPostgresServer postgres;

    @BeforeAll
    static void startServer() throws Exception {
        Path dir = Files.createTempDirectory("satchel-pg-tls");
        pki = TestPki.create(dir.resolve("pki"));
        otherPki = TestPki.create(dir.resolve("other-pki"));
        postgres = LocalPostgresServer.startTls(Path.of("target", "postgres-tls-it"), pki, USER, PASSWORD);
    }

    @AfterAll
    static void stopServer() {
        if (postgres != null) {
            postgres.close();
        }
    }

    private static String url(String password, String sslParameters) {
        return "jdbc:postgresql://localhost:" + postgres.port() + "/" + USER + "?user=" + USER + "&password=" + password
                + sslParameters;
    }

    @Override
    protected String jdbcUrl() {
        return url(PASSWORD, "&sslmode=verify-full&sslrootcert=" + pki.caCertificate());
    }

    @Override
    protected RowLockHolder.LockQueries lockQueries() {
        return new RowLockHolder.LockQueries(
                "SELECT pg_backend_pid()",
                "SELECT CAST(? AS BIGINT)",
                "SELECT pid, unnest(pg_blocking_pids(pid)) FROM pg_stat_activity");
    }

    @Test
    void aWrongPassword_failsAtStartUp_sayingSo_withoutThePassword() {
        assertThatThrownBy(() -> JdbcSessionStore.builder(
                                url("not-the-password", "&sslmode=verify-full&sslrootcert=" + pki.caCertificate()))
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("password authentication failed")
                .hasMessageNotContaining("not-the-password");
    }

    @Test
    void aServerCertificateFromAnotherCa_isNotTrusted() {
        assertThatThrownBy(() -> JdbcSessionStore.builder(
                                url(PASSWORD, "&sslmode=verify-full&sslrootcert=" + otherPki.caCertificate()))
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasStackTraceContaining("PKIX path");
    }

    @Test
    void withoutTls_theServerRefuses() {
        assertThatThrownBy(() -> JdbcSessionStore.builder(url(PASSWORD, "&sslmode=disable"))
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("no encryption");
    }
}
