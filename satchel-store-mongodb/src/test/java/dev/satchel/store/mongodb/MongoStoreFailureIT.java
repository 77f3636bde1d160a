package dev.satchel.store.mongodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStoreUnavailableException;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What the store does when MongoDB is not there: a named exception in bounded time, never a hang. */
class MongoStoreFailureIT {

    @Test
    void noServerAtTheAddress_failsAtStartWithTheReason() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String uri = "mongodb://127.0.0.1:" + port;
        assertThatThrownBy(() -> MongoSessionStore.builder(uri)
                        .timeout(Duration.ofMillis(500))
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("cannot prepare the MongoDB collection satchel.satchel_sessions")
                .hasMessageContaining("no server answered at 127.0.0.1:" + port + " within 500 ms")
                .hasMessageNotContaining("\n");
    }

    @Test
    void aMalformedConnectionString_isAnIllegalArgumentNamingIt() {
        assertThatThrownBy(() -> MongoSessionStore.builder("mongodb://"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("not a MongoDB connection string");
        assertThatThrownBy(() -> MongoSessionStore.builder("redis://localhost"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aServerThatGoesAway_turnsCallsInto503s_withinTheTimeout() {
        StandInServer server = new StandInServer();
        try (MongoSessionStore store = MongoSessionStore.builder(server.uri())
                .timeout(Duration.ofMillis(500))
                .sweepInBackground(false)
                .build()) {
            assertThat(store.load(SessionId.random())).isEmpty();
            server.close();
            long start = System.nanoTime();
            assertThatThrownBy(() -> store.load(SessionId.random()))
                    .isInstanceOf(SessionStoreUnavailableException.class)
                    .hasMessageStartingWith("MongoDB did not complete a load");
            // Generous: the point is "bounded", not a speed; the driver's default would be 30 s.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
            assertThat(store.counters().get("failures")).isEqualTo(1L);
        } finally {
            server.close();
        }
    }
}
