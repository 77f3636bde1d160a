package dev.satchel.cli;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * A store server the lab started for a run and may kill: one {@code redis-server}, or a master with
 * its replica and three Sentinels ({@link DemoRedisSentinels}).
 */
interface LabStoreServer extends AutoCloseable {
    /** What the report calls the part a store fault kills. */
    String name();

    /** The nodes' {@code --store}. */
    String uri();

    /** Kills the part {@link #name} names at once (SIGKILL), and returns once it is gone (or replaced). */
    void kill() throws InterruptedException;

    /** Starts the killed part again with the same files, and returns once it accepts connections. */
    void restart() throws IOException, InterruptedException;

    /** The server processes running now, by name, for the lab to time. */
    Map<String, Long> pids();

    /** The ports the nodes may reach the sessions on, for the lab to count the bytes by. */
    Set<Integer> dataPorts();

    /** The serving server's {@code total_commands_processed}; empty when it does not answer. */
    OptionalLong commandsProcessed();

    /** The serving server's {@code used_memory} and keys; empty when it does not answer. */
    Optional<long[]> memoryAndKeys();

    @Override
    void close();
}
