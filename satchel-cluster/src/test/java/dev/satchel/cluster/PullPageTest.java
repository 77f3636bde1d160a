package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.SessionId;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The pages a joiner pulls in: each session in exactly one, and a broken request refused. */
class PullPageTest {

    @Test
    void everySessionIsInExactlyOnePage() {
        for (int i = 0; i < 1_000; i++) {
            SessionId id = SessionId.random();
            long pages = IntStream.range(0, PullPage.COUNT)
                    .filter(p -> new PullPage(p, PullPage.COUNT).holds(id))
                    .count();
            assertThat(pages).isEqualTo(1);
        }
    }

    @Test
    void aPageSurvivesTheWire_andAnImplausibleOneIsRefused() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new PullPage(7, PullPage.COUNT).write(new DataOutputStream(bytes));
        assertThat(PullPage.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))))
                .isEqualTo(new PullPage(7, PullPage.COUNT));

        ByteArrayOutputStream broken = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(broken);
        out.writeInt(64);
        out.writeInt(64); // page 64 of 64 does not exist
        assertThatThrownBy(() -> PullPage.read(new DataInputStream(new ByteArrayInputStream(broken.toByteArray()))))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("64 of 64");
    }
}
