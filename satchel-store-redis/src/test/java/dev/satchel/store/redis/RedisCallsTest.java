package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.satchel.core.SessionException;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStoreUnavailableException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import org.junit.jupiter.api.Test;

/** Which Redis errors are a refusal (retrying cannot help) and which mean Redis is unavailable (503). */
class RedisCallsTest {

    private static Throwable failing(RuntimeException e) {
        return catchThrowable(() -> RedisCalls.call(() -> {
            throw e;
        }));
    }

    @Test
    void aScriptsRefusal_aScriptError_orAWrongType_isARefusal() {
        for (String answer : new String[] {
            "ERR satchel save refused: bad numbers", "ERR user_script:12: oops", "WRONGTYPE Operation against a key"
        }) {
            assertThat(failing(new RedisCommandExecutionException(answer)))
                    .as(answer)
                    .isInstanceOf(SessionException.class)
                    .isNotInstanceOf(SessionStoreUnavailableException.class)
                    .hasMessageContaining("refused");
        }
    }

    @Test
    void aServerThatCannotServeNow_orDoesNotAnswer_isUnavailable() {
        for (String answer : new String[] {"LOADING", "READONLY You can't write", "OOM", "CLUSTERDOWN", "BUSY"}) {
            assertThat(failing(new RedisCommandExecutionException(answer)))
                    .as(answer)
                    .isInstanceOf(SessionStoreUnavailableException.class)
                    .hasMessageContaining("could not serve");
        }
        assertThat(failing(new RedisCommandTimeoutException("Command timed out")))
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("did not answer");
    }

    @Test
    void aRefusalConcerningASession_namesIt() {
        SessionId id = SessionId.random();
        Throwable thrown = catchThrowable(() -> RedisCalls.call(id, () -> {
            throw new RedisCommandExecutionException("ERR satchel save refused: unknown mode");
        }));
        assertThat(((SessionException) thrown).sessionId()).contains(id);
        assertThat(RedisCalls.call(id, () -> "answer")).isEqualTo("answer");
    }
}
