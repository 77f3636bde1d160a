package dev.satchel.store.redis;

import static dev.satchel.store.redis.RedisCalls.call;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** A Lua script of the store's, run by its digest: one short command per call, not its source. */
record Script(String name, String source, String sha) {

    /** Reads {@code name} from the jar and loads it into Redis ({@code SCRIPT LOAD}). */
    static Script load(String name, RedisClusterCommands<String, byte[]> redis) {
        String source = resource(name);
        return new Script(name, source, call(() -> redis.scriptLoad(source)));
    }

    /** Runs the script on {@code on}, sending its source only if the server lacks it. */
    <T> T run(RedisClusterCommands<String, byte[]> on, ScriptOutputType type, String[] keys, byte[][] args) {
        try {
            return on.evalsha(sha, type, keys, args);
        } catch (RedisNoScriptException e) {
            return on.eval(source, type, keys, args); // after SCRIPT FLUSH or failover
        }
    }

    static String resource(String name) {
        try (InputStream in = Script.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException(name + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
