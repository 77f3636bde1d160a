package dev.satchel.store.mongodb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MongoTlsTest {

    @Test
    void tlsCAFile_isTakenOut_inAnyCase_keepingTheOtherOptions() {
        MongoTls.Split split =
                MongoTls.split("mongodb://u:p@db:27017/app?tls=true&TLSCAFile=%2Fetc%2Fca.pem&authSource=admin");
        assertThat(split.connectionString()).isEqualTo("mongodb://u:p@db:27017/app?tls=true&authSource=admin");
        assertThat(split.caFile()).contains(Path.of("/etc/ca.pem"));
    }

    @Test
    void aConnectionStringWithoutIt_isLeftAlone() {
        assertThat(MongoTls.split("mongodb://db/app?tls=true"))
                .isEqualTo(new MongoTls.Split("mongodb://db/app?tls=true", Optional.empty()));
        assertThat(MongoTls.split("mongodb://db/app?tlsCAFile=/ca.pem").connectionString())
                .isEqualTo("mongodb://db/app");
    }

    @Test
    void theFirstCauseInTheDriversClusterDescription_isWhatTheStoreReports() {
        String driver = "Timed out ... exception={com.mongodb.MongoSocketWriteException: Exception sending message},"
                + " caused by {javax.net.ssl.SSLHandshakeException: PKIX path validation failed: x},"
                + " caused by {java.security.cert.CertPathValidatorException: x}}]";
        assertThat(MongoStoreBuilder.lastError(driver))
                .isEqualTo(" (last error: javax.net.ssl.SSLHandshakeException: PKIX path validation failed: x)");
        assertThat(MongoStoreBuilder.lastError("Timed out, no cause")).isEmpty();
    }
}
