package dev.satchel.bench.cluster;

import dev.satchel.bench.Rounds;
import dev.satchel.bench.cluster.PeerNode.Peer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The clustering benchmark's command line: which contenders, how many nodes, threads and sessions,
 * how long and in how many interleaved rounds, the node heap, which phases (throughput, memory,
 * failover) and where to write. {@code --smoke} (a test of the harness) allows fewer than three
 * rounds and skips the warm-up round; its report then compares nothing.
 */
record PeersBenchOptions(
        List<Peer> contenders,
        int nodes,
        int seconds,
        int warmup,
        int settlePercent,
        int settleMaxSeconds,
        int rounds,
        boolean smoke,
        int threads,
        int sessions,
        int readPercent,
        int memorySessions,
        List<Integer> memoryNodes,
        Path out,
        String heap,
        boolean throughput,
        boolean failover) {

    /**
     * Reads {@code --name value} pairs and the lone {@code --smoke}; {@code --help} prints the usage
     * and exits, as does a count of rounds that cannot give a median.
     */
    static PeersBenchOptions parse(String[] argv) {
        Map<String, String> args = new HashMap<>();
        boolean smoke = false;
        for (int i = 0; i < argv.length; i++) {
            if (argv[i].equals("--smoke")) {
                smoke = true;
                continue;
            }
            if (argv[i].equals("--help") || argv[i].equals("-h")) {
                System.out.println("usage: ClusterPeersBench [--contenders a,b] [--nodes 3] [--seconds 10] [--warmup 5]"
                        + " [--settle 5] [--settle-max 240] [--rounds 3] [--smoke] [--threads 8] [--sessions 2000] [--read-percent 0] [--memory 100000]"
                        + " [--memory-nodes 3,6] [--heap 1g] [--throughput yes|no] [--failover yes|no] [--out target]"
                        + "\nthroughput: a warm-up round of every contender (not recorded), then --rounds rounds"
                        + " (at least 3) of every contender in turn, each on fresh node processes warmed for"
                        + " --warmup s and measured for --seconds s; reports every round, the medians, and for"
                        + " each pair the median of the per-round ratios with their range."
                        + "\n--settle P: after --warmup s, warm on in 5 s steps until the nodes' JIT compiler"
                        + " threads take under P% of their CPU (at most --settle-max s of warm-up in all), so"
                        + " rounds compare compiled code, not how far each JVM got through compiling; 0: off."
                        + "\n--smoke: a test of the harness: no warm-up round, fewer rounds allowed, no ratios."
                        + "\ncontenders: "
                        + Arrays.stream(Peer.values()).map(Peer::label).collect(Collectors.joining(", ")));
                System.exit(0);
            }
            if (!argv[i].startsWith("--") || i + 1 >= argv.length) {
                System.err.println("expected --name value, got: " + argv[i] + " (see --help)");
                System.exit(2);
            }
            args.put(argv[i].substring(2), argv[++i]);
        }
        List<Peer> contenders = args.containsKey("contenders")
                ? Arrays.stream(args.get("contenders").split(","))
                        .map(Peer::named)
                        .toList()
                : Arrays.stream(Peer.values()).filter(p -> !p.tls()).toList(); // TLS on request
        int rounds;
        try {
            rounds = Rounds.checked(Integer.parseInt(args.getOrDefault("rounds", smoke ? "1" : "3")), smoke);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return null; // not reached
        }
        return new PeersBenchOptions(
                contenders,
                Integer.parseInt(args.getOrDefault("nodes", "3")),
                Integer.parseInt(args.getOrDefault("seconds", "10")),
                Integer.parseInt(args.getOrDefault("warmup", "5")),
                Integer.parseInt(args.getOrDefault("settle", smoke ? "0" : "5")),
                Integer.parseInt(args.getOrDefault("settle-max", "240")),
                rounds,
                smoke,
                Integer.parseInt(args.getOrDefault("threads", "8")),
                Integer.parseInt(args.getOrDefault("sessions", "2000")),
                Integer.parseInt(args.getOrDefault("read-percent", "0")),
                Integer.parseInt(args.getOrDefault("memory", "100000")),
                Arrays.stream(args.getOrDefault("memory-nodes", "3,6").split(","))
                        .map(String::trim)
                        .map(Integer::parseInt)
                        .toList(),
                Path.of(args.getOrDefault("out", "target")),
                args.getOrDefault("heap", "1g").toLowerCase(Locale.ROOT),
                !args.getOrDefault("throughput", "yes").equals("no"),
                !args.getOrDefault("failover", "yes").equals("no"));
    }
}
