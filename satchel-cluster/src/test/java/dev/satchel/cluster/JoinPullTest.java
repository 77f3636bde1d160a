package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A joiner's ask for one page: it survives the trip, and a broken one is refused. */
class JoinPullTest {

    @Test
    void anAsk_carriesTheJoinerItsViewAndThePage() throws IOException {
        JoinPull.Ask ask = new JoinPull.Ask("j", List.of("a", "b", "j"), new PullPage(5, PullPage.COUNT));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ask.write(new DataOutputStream(bytes));
        assertThat(JoinPull.Ask.read(ClusterChannel.in(bytes.toByteArray()))).isEqualTo(ask);
    }

    @Test
    void anAskWithAnImplausibleView_isRefused() throws IOException {
        for (int size : new int[] {0, -1, 10_001}) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeUTF("j");
            out.writeInt(size);
            assertThatThrownBy(() -> JoinPull.Ask.read(ClusterChannel.in(bytes.toByteArray())))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("implausible view size");
        }
    }
}
