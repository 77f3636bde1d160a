package dev.satchel.store.redis;

import dev.satchel.core.SessionException;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStoreUnavailableException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisException;
import java.util.function.Supplier;

/**
 * What a Redis error means to the store's caller: a refusal ({@link SessionException}, retrying
 * will not help) or Redis being unavailable ({@link SessionStoreUnavailableException}, which the
 * servlet filter answers with 503).
 */
final class RedisCalls {
    private RedisCalls() {}

    static <T> T call(Supplier<T> command) {
        try {
            return command.get();
        } catch (RedisCommandExecutionException e) {
            if (isRefusal(e)) {
                throw new SessionException("Redis refused the command: " + e.getMessage(), e);
            }
            throw unavailable(e);
        } catch (RedisException e) {
            throw unavailable(e);
        }
    }

    /** Like {@link #call(Supplier)}, naming the session a refusal concerns. */
    static <T> T call(SessionId id, Supplier<T> command) {
        try {
            return command.get();
        } catch (RedisCommandExecutionException e) {
            if (isRefusal(e)) {
                throw new SessionException(id, "Redis refused the command: " + e.getMessage(), e);
            }
            throw unavailable(e);
        } catch (RedisException e) {
            throw unavailable(e);
        }
    }

    private static SessionStoreUnavailableException unavailable(RedisException e) {
        return e instanceof RedisCommandExecutionException
                ? new SessionStoreUnavailableException("Redis could not serve the command: " + e.getMessage(), e)
                : new SessionStoreUnavailableException("Redis did not answer: " + e.getMessage(), e);
    }

    /**
     * Whether Redis answered that the command itself cannot work, so retrying will not help: a
     * script's own refusal or runtime error, or a key of the wrong type. Other error answers
     * (LOADING, READONLY, OOM, CLUSTERDOWN, BUSY, ...) pass, and stay "unavailable" (503).
     */
    static boolean isRefusal(RedisCommandExecutionException e) {
        String m = String.valueOf(e.getMessage());
        return m.startsWith("WRONGTYPE") || m.startsWith("ERR user_script:") || m.startsWith("ERR satchel ");
    }
}
