package dev.satchel.spring.boot.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreUnavailableException;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

/** A store that does not answer is down, with why; no request is needed to find out. */
class SessionStoreHealthIndicatorTest {

    /** A store whose server is gone. */
    private static final class Unreachable implements SessionStore {
        @Override
        public Optional<SessionRecord> load(SessionId id) {
            throw new SessionStoreUnavailableException("connection refused", null);
        }

        @Override
        public SaveOutcome save(ChangeSet changes) {
            throw new SessionStoreUnavailableException("connection refused", null);
        }

        @Override
        public boolean delete(SessionId id) {
            throw new SessionStoreUnavailableException("connection refused", null);
        }

        @Override
        public void close() {}
    }

    @Test
    void aStoreThatDoesNotAnswer_isDown() {
        Health health = new SessionStoreHealthIndicator(new Unreachable(), "redis").health();
        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
        assertThat(String.valueOf(health.getDetails())).contains("connection refused");
    }
}
