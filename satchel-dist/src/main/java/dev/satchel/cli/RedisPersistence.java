package dev.satchel.cli;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * How a Redis server the lab or the demo starts keeps its data: not at all, or in an append-only
 * file flushed to disk every second or on every write. The last is the software form of the seeds'
 * "dedicated session server with RAID": a crash loses nothing that was acknowledged.
 */
enum RedisPersistence {
    NONE("no", List.of("--appendonly", "no")),
    AOF_EVERYSEC("everysec", List.of("--appendonly", "yes", "--appendfsync", "everysec")),
    AOF_ALWAYS("always", List.of("--appendonly", "yes", "--appendfsync", "always"));

    private final String flag;
    private final List<String> arguments;

    RedisPersistence(String flag, List<String> arguments) {
        this.flag = flag;
        this.arguments = arguments;
    }

    /** The value of {@code --redis-aof} that chooses it. */
    String flag() {
        return flag;
    }

    /** redis-server's arguments for it. */
    List<String> arguments() {
        return arguments;
    }

    /** The mode a {@code --redis-aof} value names. */
    static Optional<RedisPersistence> ofFlag(String flag) {
        return Arrays.stream(values()).filter(p -> p.flag.equals(flag)).findFirst();
    }
}
