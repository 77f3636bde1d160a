package dev.satchel.bench.store;

import dev.satchel.bench.Rounds;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The store benchmark's command line: how long to measure and in how many interleaved rounds, how
 * many client threads and sessions, which stores to run, and where to write the report. {@code
 * --smoke} (a test of the harness) allows fewer than three rounds and skips the warm-up round; its
 * report then compares nothing.
 */
record StoreBenchOptions(
        int seconds,
        int warmup,
        int rounds,
        boolean smoke,
        int threads,
        int sessions,
        int memorySessions,
        List<String> only,
        Path out) {

    static final String USAGE = "usage: StoreBench [--seconds 10] [--warmup 5] [--rounds 3] [--smoke] [--threads 8]"
            + " [--sessions 2000] [--memory N] [--only name-fragment,...] [--out target]\n"
            + "A warm-up round of every store and workload (not recorded), then --rounds rounds (at least 3)"
            + " of every store in turn, each warmed for --warmup s and measured for --seconds s; reports every"
            + " round, the medians, and for each Satchel and Spring pair on the same server the median of the"
            + " per-round ratios with their range.\n"
            + "--smoke: a test of the harness: no warm-up round, fewer rounds allowed, no ratios.";

    /**
     * Reads {@code --name value} pairs and the lone {@code --smoke}; unknown names are ignored, as
     * before the split.
     *
     * @throws IllegalArgumentException on a lone value, a name without its value, or fewer than
     *     three rounds outside a smoke run
     */
    static StoreBenchOptions parse(String[] argv) {
        Map<String, String> args = new HashMap<>();
        boolean smoke = false;
        for (int i = 0; i < argv.length; i++) {
            if (argv[i].equals("--smoke")) {
                smoke = true;
                continue;
            }
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) {
                throw new IllegalArgumentException("expected --name value, got: " + argv[i]);
            }
            args.put(argv[i].substring(2), argv[++i]);
        }
        return new StoreBenchOptions(
                Integer.parseInt(args.getOrDefault("seconds", "10")),
                Integer.parseInt(args.getOrDefault("warmup", "5")),
                Rounds.checked(Integer.parseInt(args.getOrDefault("rounds", smoke ? "1" : "3")), smoke),
                smoke,
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
