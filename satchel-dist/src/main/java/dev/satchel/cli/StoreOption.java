package dev.satchel.cli;

import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.store.jdbc.JdbcSessionStore;
import dev.satchel.store.redis.RedisSessionStore;
import java.util.Locale;
import picocli.CommandLine;

/** Turns a {@code --store} value into a running store, or refuses it with a reason. */
final class StoreOption {
    static final String DESCRIPTION = "Where sessions live: memory (default, each node its own); shared:"
            + " redis://HOST:PORT, redis-sentinel://HOST:PORT,HOST:PORT#MASTER, redis-cluster://HOST:PORT,HOST:PORT,"
            + " or a JDBC URL such as jdbc:postgresql://HOST/DB?user=U; or, for satchel demo only, redis (starts a"
            + " local redis-server).";

    private StoreOption() {}

    static SessionStore open(String value, CommandLine commandLine) {
        String v = value.strip();
        String kind = v.toLowerCase(Locale.ROOT);
        if (kind.equals("memory") || kind.equals("local")) {
            return MemorySessionStore.builder().build();
        }
        if (kind.startsWith("redis://")
                || kind.startsWith("rediss://")
                || kind.startsWith("redis-sentinel://")
                || kind.startsWith("redis-cluster://")) {
            try {
                return RedisSessionStore.builder(v).build();
            } catch (SessionStoreUnavailableException e) {
                throw new CommandLine.ParameterException(commandLine, e.getMessage());
            }
        }
        if (kind.equals("redis")) {
            throw new CommandLine.ParameterException(
                    commandLine, "--store redis starts a local server only in satchel demo; give redis://HOST:PORT");
        }
        if (kind.startsWith("jdbc:")) {
            try {
                return JdbcSessionStore.builder(v).build();
            } catch (SessionStoreUnavailableException | IllegalArgumentException e) {
                throw new CommandLine.ParameterException(commandLine, e.getMessage());
            }
        }
        if (kind.equals("replicated") || kind.equals("primary-backup") || kind.equals("cookie")) {
            throw new CommandLine.ParameterException(
                    commandLine,
                    "--store " + value + " is not available in this build yet; use memory, redis or jdbc:...");
        }
        throw new CommandLine.ParameterException(
                commandLine, "unknown --store '" + value + "'; expected memory, redis, redis://HOST:PORT or jdbc:...");
    }
}
