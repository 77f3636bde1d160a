package dev.satchel.bench.store;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The store benchmark's command line: how long to measure, how many client threads and sessions,
 * which stores to run, and where to write the report.
 */
record StoreBenchOptions(
        int seconds, int warmup, int threads, int sessions, int memorySessions, List<String> only, Path out) {

    static final String USAGE = "usage: StoreBench [--seconds 10] [--warmup 5] [--threads 8] [--sessions 2000]"
            + " [--memory N] [--only name-fragment,...] [--out target]";

    /**
     * Reads {@code --name value} pairs; unknown names are ignored, as before the split.
     *
     * @throws IllegalArgumentException on a lone value or a name without its value
     */
    static StoreBenchOptions parse(String[] argv) {
        Map<String, String> args = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) {
                throw new IllegalArgumentException("expected --name value, got: " + argv[i]);
            }
            args.put(argv[i].substring(2), argv[++i]);
        }
        return new StoreBenchOptions(
                Integer.parseInt(args.getOrDefault("seconds", "10")),
                Integer.parseInt(args.getOrDefault("warmup", "5")),
                Integer.parseInt(args.getOrDefault("threads", "8")),
                Integer.parseInt(args.getOrDefault("sessions", "2000")),
                Integer.parseInt(args.getOrDefault("memory", "0")),
                args.containsKey("only") ? List.of(args.get("only").split(",")) : List.of(),
                Path.of(args.getOrDefault("out", "target")));
    }

    /** Whether {@code --only} lets this contender run: no list, or a fragment of its name in it. */
    boolean includes(String contender) {
        String name = contender.toLowerCase(Locale.ROOT);
        return only.isEmpty() || only.stream().anyMatch(o -> name.contains(o.toLowerCase(Locale.ROOT)));
    }
}
