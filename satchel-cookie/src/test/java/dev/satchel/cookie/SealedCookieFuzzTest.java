package dev.satchel.cookie;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.ArrayList;
import java.util.List;

/**
 * Jazzer on the cookie decoder. In {@code mvn verify} it runs in regression mode: the seeds in
 * {@code SealedCookieFuzzTestInputs} and every crash found before. {@code JAZZER_FUZZ=1 mvn test
 * -pl satchel-cookie -Dtest=SealedCookieFuzzTest} fuzzes for real.
 */
class SealedCookieFuzzTest {
    private static final SealedCookieSessions SEALER = SealedCookieSessions.builder("SID")
            .keyset(SealedCookieSessions.generateKeyset())
            .maxCookies(3)
            .build();

    /** Whatever the client sends: no session, and never an exception. */
    @FuzzTest(maxDuration = "30s")
    void openNeverThrows_andNeverOpensForgedValues(FuzzedDataProvider data) {
        int count = data.consumeInt(0, 4);
        List<String> values = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            values.add(data.consumeString(4_000));
        }
        assertThat(SEALER.open(values)).isEmpty();
    }

    /** The payload decoder, reached only after the seal verifies, must hold even if a key leaks. */
    @FuzzTest(maxDuration = "30s")
    void payloadDecoderNeverThrows(byte[] bytes) {
        SealedPayload.decode(bytes); // empty or a record, never an exception
    }
}
