package dev.satchel.store.mongodb;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SessionDocumentsTest {

    @Test
    void escapedNames_haveNoDotNoDollarNoNul_andComeBackUnchanged() {
        for (String name : List.of("cart", "a.b", "$set", "100%", "%2E", "%", "", "x\0y", "..$$%%", "ünïcødé.ß")) {
            String field = SessionDocuments.escape(name);
            assertThat(field).doesNotContain(".", "$", "\0").isNotEmpty();
            assertThat(SessionDocuments.unescape(field)).as(name).isEqualTo(name);
        }
    }

    @Test
    void distinctNames_neverShareAField() {
        assertThat(SessionDocuments.escape("%")).isNotEqualTo(SessionDocuments.escape(""));
        assertThat(SessionDocuments.escape("%2E")).isNotEqualTo(SessionDocuments.escape("."));
        assertThat(SessionDocuments.escape("a.b")).isNotEqualTo(SessionDocuments.escape("a%2Eb"));
    }

    @Test
    void expiry_isTheEarlierOfIdleAndAbsolute_andAbsoluteAloneWithoutAnIdleTimeout() {
        assertThat(SessionDocuments.expiry(1_000, 500, 10_000)).isEqualTo(1_500);
        assertThat(SessionDocuments.expiry(1_000, 50_000, 10_000)).isEqualTo(10_000);
        assertThat(SessionDocuments.expiry(1_000, 0, 10_000)).isEqualTo(10_000);
        assertThat(SessionDocuments.expiry(1_000, -1, 10_000)).isEqualTo(10_000);
    }
}
