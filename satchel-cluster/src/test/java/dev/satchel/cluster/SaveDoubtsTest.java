package dev.satchel.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStoreUnavailableException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SaveDoubtsTest {
    private final SaveDoubts doubts = new SaveDoubts(Duration.ofSeconds(5));
    private final SessionId id = SessionId.random();

    @Test
    void anAcknowledgedSaveLeavesNothingBehind() {
        long n = doubts.begin(id);
        doubts.acknowledged(id, n);
        doubts.awaitSettled(id);
        doubts.requireSettled(id);
        assertThat(doubts.inDoubt()).isEmpty();
    }

    @Test
    void aFailedSaveRefusesReadsUntilALaterSaveIsAcknowledged() {
        long failed = doubts.begin(id);
        doubts.failed(id, failed);
        assertThatThrownBy(() -> doubts.awaitSettled(id)).isInstanceOf(SessionStoreUnavailableException.class);
        assertThatThrownBy(() -> doubts.requireSettled(id)).isInstanceOf(SessionStoreUnavailableException.class);
        assertThat(doubts.inDoubt()).containsExactly(id);
        long later = doubts.begin(id);
        doubts.acknowledged(id, later);
        doubts.awaitSettled(id);
    }

    @Test
    void anEarlierSaveAcknowledgedAfterALaterOneFailedDoesNotSettleIt() {
        long earlier = doubts.begin(id);
        long later = doubts.begin(id);
        doubts.failed(id, later);
        doubts.acknowledged(id, earlier);
        assertThat(doubts.inDoubt()).containsExactly(id);
    }

    @Test
    void aReadWaitsForASaveInFlight() throws Exception {
        long n = doubts.begin(id);
        CompletableFuture<String> read = CompletableFuture.supplyAsync(() -> doubts.read(id, () -> "copy"));
        TimeUnit.MILLISECONDS.sleep(50);
        assertThat(read).as("a read while the save waits for its answers").isNotDone();
        doubts.acknowledged(id, n);
        assertThat(read.get(5, TimeUnit.SECONDS)).isEqualTo("copy");
    }

    @Test
    void theRepairSettlesWhatFailedBeforeItAndNothingAfter() throws Exception {
        long failed = doubts.begin(id);
        doubts.failed(id, failed);
        CompletableFuture<java.util.List<SessionId>> sent = new CompletableFuture<>();
        doubts.startRepairs(ids -> sent.complete(ids));
        assertThat(sent.get(5, TimeUnit.SECONDS)).containsExactly(id);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!doubts.inDoubt().isEmpty() && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(10);
        }
        assertThat(doubts.inDoubt()).isEmpty();
        doubts.close();
    }
}
