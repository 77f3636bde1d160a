package dev.satchel.store.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.testkit.LocalMariaDbServer;
import dev.satchel.testkit.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SQL store contract against a MariaDB of this test's own that takes TCP connections only over
 * TLS ({@code require_secure_transport}) and only with a password, reached with Connector/J's
 * {@code sslMode=verify-full} against a CA this test makes; and every way such a connection can be
 * wrong fails at start-up, saying why.
 */
class MariaDbTlsIT extends JdbcStoreContract {
    private static final String USER = "satchel";
    private static final String PASSWORD = "maria-s3cret-for-the-test";
    private static TestPki pki;
    private static TestPki otherPki;
    private static LocalMariaDbServer mariadb;

    @BeforeAll
    static void startServer() throws Exception {
        Path dir = Files.createTempDirectory("satchel-mariadb-tls");
        pki = TestPki.create(dir.resolve("pki"));
        otherPki = TestPki.create(dir.resolve("other-pki"));
        mariadb = LocalMariaDbServer.startTls(pki, USER, PASSWORD);
    }

    @AfterAll
    static void stopServer() {
        if (mariadb != null) {
            mariadb.close();
        }
    }

    private static String url(String password, String sslParameters) {
        return "jdbc:mariadb://localhost:" + mariadb.port() + "/" + USER + "?user=" + USER + "&password=" + password
                + sslParameters;
    }

    @Override
    protected String jdbcUrl() {
        return url(PASSWORD, "&sslMode=verify-full&serverSslCert=" + pki.caCertificate());
    }

    @Override
    protected RowLockHolder.LockQueries lockQueries() {
        return new RowLockHolder.LockQueries(
                "SELECT CONNECTION_ID()",
                "SELECT trx_id FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = ?",
                "SELECT requesting_trx_id, blocking_trx_id FROM information_schema.INNODB_LOCK_WAITS");
    }

    @Test
    void aWrongPassword_failsAtStartUp_sayingSo_withoutThePassword() {
        assertThatThrownBy(() -> JdbcSessionStore.builder(
                                url("not-the-password", "&sslMode=verify-full&serverSslCert=" + pki.caCertificate()))
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("Access denied")
                .hasMessageNotContaining("not-the-password");
    }

    @Test
    void aServerCertificateFromAnotherCa_isNotTrusted() {
        assertThatThrownBy(() -> JdbcSessionStore.builder(
                                url(PASSWORD, "&sslMode=verify-full&serverSslCert=" + otherPki.caCertificate()))
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasStackTraceContaining("PKIX path");
    }

    @Test
    void withoutTls_theServerRefuses() {
        // MariaDB 10.11 answers for the user's REQUIRE SSL first; later versions for the server's
        // require_secure_transport ("insecure transport are prohibited"). Either is a refusal for TLS.
        assertThatThrownBy(() -> JdbcSessionStore.builder(url(PASSWORD, "&sslMode=disable"))
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageNotContaining(PASSWORD)
                .satisfiesAnyOf(e -> assertThat(e).hasMessageContaining("Access denied"), e -> assertThat(e)
                        .hasMessageContaining("insecure transport"));
    }
}
