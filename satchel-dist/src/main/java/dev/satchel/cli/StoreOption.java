package dev.satchel.cli;

import dev.satchel.core.SessionStore;
import dev.satchel.core.memory.MemorySessionStore;
import java.util.Locale;
import picocli.CommandLine;

/** Turns a {@code --store} value into a running store, or refuses it with a reason. */
final class StoreOption {
    static final String DESCRIPTION = "Where sessions live: memory (default). Redis, SQL, replicated, primary-backup"
            + " and cookie strategies arrive with their modules.";

    private StoreOption() {}

    static SessionStore open(String value, CommandLine commandLine) {
        String kind = value.strip().toLowerCase(Locale.ROOT);
        if (kind.equals("memory") || kind.equals("local")) {
            return MemorySessionStore.builder().build();
        }
        if (kind.startsWith("redis")
                || kind.startsWith("jdbc:")
                || kind.equals("replicated")
                || kind.equals("primary-backup")
                || kind.equals("cookie")) {
            throw new CommandLine.ParameterException(
                    commandLine, "--store " + value + " is not available in this build yet; use --store memory");
        }
        throw new CommandLine.ParameterException(commandLine, "unknown --store '" + value + "'; expected memory");
    }
}
