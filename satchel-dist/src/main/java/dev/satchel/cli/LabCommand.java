package dev.satchel.cli;

import dev.satchel.demo.PrivateDataDir;
import dev.satchel.lab.ConsoleProgress;
import dev.satchel.lab.LabReport;
import dev.satchel.lab.LabResults;
import dev.satchel.lab.LabRunner;
import dev.satchel.lab.LabSettings;
import dev.satchel.lab.LabStrategy;
import dev.satchel.lab.RequestTrace;
import dev.satchel.lab.StrategyRun;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code satchel lab}: every strategy under one shopper workload and a node crash, and a report. */
@Command(
        name = "lab",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Runs the same shopper workload against each session strategy, kills a node in the middle,"
                    + " checks every response against what the shopper's session must hold, and writes a"
                    + " report: index.html (opens offline), summary.md and results.json in --out.",
            "",
            "Each strategy gets its own cluster of shop nodes (separate JVMs) behind the balancer, with"
                    + " the routing it needs. Shoppers arrive on a fixed schedule (open loop): latency counts"
                    + " from when a request was due. Redis runs on a redis-server the lab starts (skipped,"
                    + " and said so, when none is on the PATH); SQL on PostgreSQL at 127.0.0.1:5432 when it"
                    + " answers, else on an embedded H2 database. With the defaults it takes a little over a"
                    + " minute per strategy: about seven minutes for all six on two cores.",
            "",
            "It also measures what a request costs before the fault: CPU of the nodes, the balancer and"
                    + " the store server; bytes on each kind of connection (from the kernel's counters, with"
                    + " iproute2's ss); the store's own operation count; and the sessions each node holds."
                    + " While a strategy runs, its balancer's live view (read-only) is at the address printed.",
            ""
        })
final class LabCommand implements Callable<Integer> {

    /** A soak's idle timeout unless given: sessions expire many times over in its half hour. */
    static final int SOAK_IDLE_TIMEOUT_SECONDS = 120;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--strategies",
            split = ",",
            paramLabel = "NAME",
            description = "Which strategies, comma-separated: memory, replicated, primary-backup, redis, sql,"
                    + " cookie (default: all of them).")
    List<String> strategies = LabStrategy.labels();

    @Option(
            names = "--nodes",
            defaultValue = "3",
            split = ",",
            paramLabel = "N",
            description = "Shop nodes per strategy, 2 to 8; several, comma-separated, make a scaling run: each"
                    + " strategy runs at each size, and the report draws bytes between nodes and sessions held"
                    + " per node against the size, e.g. --strategies replicated,primary-backup,redis"
                    + " --nodes 2,3,4,6 --fault none (default: ${DEFAULT-VALUE}).")
    List<Integer> nodeCounts;

    @Option(
            names = "--rate",
            defaultValue = "20",
            paramLabel = "SHOPPERS_PER_SECOND",
            description = "New shoppers arriving each second; each makes 9 requests (default: ${DEFAULT-VALUE}).")
    double rate;

    @Option(
            names = "--think",
            defaultValue = "500",
            paramLabel = "MS",
            description = "A shopper's pause between requests, in milliseconds (default: ${DEFAULT-VALUE}).")
    long thinkMillis;

    @Option(
            names = "--return-after",
            defaultValue = "15",
            paramLabel = "SECONDS",
            description = "Shoppers who did not log out come back this long after their visit and read"
                    + " their cart once more, which finds sessions lost after their owner left; 0: they"
                    + " do not come back (default: ${DEFAULT-VALUE}).")
    int returnAfterSeconds;

    @Option(
            names = "--logins",
            defaultValue = "10",
            paramLabel = "PERCENT",
            description = "The share of shoppers who log in mid-visit to one of eight accounts the lab signs up"
                    + " once per --data-dir (keeping their cart), and later ask who they are: a logged-in"
                    + " session that forgets its user is a lost session. Each login costs an Argon2 hash on a"
                    + " node (default: ${DEFAULT-VALUE}).")
    int loginPercent;

    @Option(
            names = "--warmup",
            defaultValue = "10",
            paramLabel = "SECONDS",
            description = "Load before measuring, not recorded (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(
            names = "--seconds",
            defaultValue = "30",
            description = "The measured phase per strategy (default: ${DEFAULT-VALUE}).")
    int seconds;

    @Option(
            names = "--fault",
            defaultValue = "kill",
            description = "kill: SIGKILL the first node during the measured phase and start it again;"
                    + " kill-store: SIGKILL the store's server and start it again (redis, and sql on a"
                    + " PostgreSQL the lab makes for the run; the other strategies are skipped);"
                    + " promote-store: redis as a master, its replica and three Sentinels; SIGKILL the master,"
                    + " Sentinel promotes the replica, the old master comes back --down seconds later as a"
                    + " replica (redis only);"
                    + " rolling: a deploy, each node in turn drained at the balancer for --down seconds,"
                    + " stopped with SIGTERM, started and enabled (needs --seconds long enough);"
                    + " partition: cut the first node's network link for --down seconds, then heal it"
                    + " (needs --network namespaces); none: no fault (default: ${DEFAULT-VALUE}).")
    String fault;

    @Option(
            names = "--network",
            defaultValue = "auto",
            paramLabel = "auto|namespaces|loopback",
            description = "Where the nodes and the store run. namespaces: each in a Linux network namespace"
                    + " of its own, with its own address on a bridge, so their traffic crosses real"
                    + " interfaces and a partition is a real one (needs root and iproute2's ip netns);"
                    + " loopback: all on this machine's loopback; auto: namespaces where they can be made,"
                    + " else loopback, and the report says so (default: ${DEFAULT-VALUE}).")
    String network;

    @Option(
            names = "--redis-aof",
            defaultValue = "no",
            paramLabel = "no|everysec|always",
            description = "How the lab's redis-server keeps its data: no (memory only, as most session"
                    + " stores run), or an append-only file flushed to disk every second or on every"
                    + " write (default: ${DEFAULT-VALUE}).")
    String redisAof;

    @Option(
            names = "--fault-at",
            paramLabel = "SECONDS",
            description = "When in the measured phase the fault strikes (default: a third of the way in).")
    Integer faultAtSeconds;

    @Option(
            names = "--down",
            defaultValue = "8",
            paramLabel = "SECONDS",
            description =
                    "How long the killed node or store stays down, or the cut node cut off (default: ${DEFAULT-VALUE}).")
    int downSeconds;

    @Option(
            names = "--delay",
            defaultValue = "0",
            split = ",",
            paramLabel = "MS",
            description = "Milliseconds added each way on every connection from the nodes to the store server"
                    + " (redis, and sql on PostgreSQL or MariaDB), or between the nodes (replicated,"
                    + " primary-backup), held by relays in the lab since this kernel has no netem. Several,"
                    + " comma-separated, make a delay run: each of those strategies at each delay, and the report"
                    + " draws latency against the delay, e.g. --strategies replicated,redis --delay 0,1,10"
                    + " --fault none. memory and cookie have no such hop and run at 0 only"
                    + " (default: ${DEFAULT-VALUE}).")
    List<Integer> delays;

    @Option(
            names = "--loss",
            defaultValue = "0",
            paramLabel = "PERCENT",
            description = "Packets dropped between the nodes, and between the nodes and the store server the lab"
                    + " starts, 0 to 50 (e.g. 1 or 0.5): each dropped at random, with nftables, as it enters the"
                    + " receiver's network namespace, so TCP must send it again. Needs --network namespaces and"
                    + " nft (default: ${DEFAULT-VALUE}).")
    double lossPercent;

    @Option(
            names = "--soak",
            arity = "0..1",
            fallbackValue = "30",
            paramLabel = "MINUTES",
            description = "A soak instead of a short run: each strategy at steady load for MINUTES (30 when"
                    + " none is given; 2 to 60) with no fault and sessions expiring after --idle-timeout,"
                    + " its nodes' heaps (after a full collection), session copies and store read about"
                    + " thirty times. Memory must stay flat: the report judges the last third of the readings"
                    + " against the first. Replaces --seconds; the whole run takes MINUTES per strategy.")
    Integer soakMinutes;

    @Option(
            names = "--idle-timeout",
            paramLabel = "SECONDS",
            description = "How long the lab's nodes let a session go unused before it expires; at least"
                    + " --return-after plus 10 s, so shoppers who come back find theirs (default: 1800, as"
                    + " satchel node; 120 with --soak, so expiry has work to do).")
    Integer idleTimeoutSeconds;

    @Option(
            names = "--sql-url",
            defaultValue = "auto",
            paramLabel = "JDBC_URL",
            description = "The database of the sql strategy; auto: PostgreSQL at 127.0.0.1:5432 (user postgres)"
                    + " when it answers, else an embedded H2 file in --data-dir (default: ${DEFAULT-VALUE}).")
    String sqlUrl;

    @Option(
            names = "--base-port",
            defaultValue = "19001",
            description = "Port of the first node; each strategy uses the next 20 (default: ${DEFAULT-VALUE}).")
    int basePort;

    @Option(
            names = "--seed",
            defaultValue = "1",
            description = "Seed of the shoppers' choices (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--out",
            defaultValue = "lab-report",
            description = "Folder the report is written to (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(
            names = "--report-from",
            paramLabel = "RESULTS_JSON",
            description = "Run nothing: draw the report in --out again from an earlier run's results.json"
                    + " (e.g. after an upgrade changed the charts or the verdicts).")
    Path reportFrom;

    @Option(
            names = "--trace",
            description = "Also write every request, its answer and the cart it showed to requests.tsv in --out,"
                    + " one line each, to read the history behind an anomaly.")
    boolean trace;

    @Option(
            names = "--data-dir",
            defaultValue = ".satchel-lab-data",
            description = "Node logs and databases of the lab's clusters (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Override
    public Integer call() throws Exception {
        prepareOut();
        if (reportFrom != null) {
            return redraw();
        }
        List<LabStrategy> chosen = chosenStrategies();
        LabFlagChecks.validate(this);
        if (fault.equals("promote-store") && !chosen.contains(LabStrategy.REDIS)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--fault promote-store kills a Redis server the lab starts; add redis to --strategies");
        }
        if (fault.equals("kill-store") && chosen.stream().noneMatch(this::killableStore)) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--fault kill-store kills a store server the lab starts (redis, or sql on a PostgreSQL of its"
                            + " own, not one --sql-url names); add redis or sql to --strategies");
        }
        if (soakMinutes != null) {
            seconds = soakMinutes * 60;
            fault = "none";
        }
        int idleTimeout = idleTimeout();
        int faultAt = faultAtSeconds != null ? faultAtSeconds : seconds / 3;
        List<String> networkNotes = new ArrayList<>();
        boolean onNamespaces = LabNetworkChoice.onNamespaces(this, networkNotes);
        LabSettings settings = new LabSettings(
                chosen.stream().map(LabStrategy::label).toList(),
                nodeCounts.get(0),
                rate,
                thinkMillis,
                returnAfterSeconds,
                warmupSeconds,
                seconds,
                fault,
                faultAt,
                downSeconds,
                seed,
                redisAof,
                nodeCounts,
                onNamespaces ? LabSettings.NAMESPACES : LabSettings.LOOPBACK,
                delays,
                loginPercent,
                idleTimeout,
                soakMinutes == null ? 0 : soakMinutes,
                lossPercent);
        PrintWriter console = spec.commandLine().getOut();
        LabLines.quietLogs();
        ConsoleProgress progress = new ConsoleProgress(console, System.console() != null);
        try {
            PrivateDataDir.open(dataDir);
        } catch (java.io.UncheckedIOException e) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--data-dir: " + e.getMessage() + " (" + e.getCause().getMessage() + ")");
        }
        try (RequestTrace requests = trace ? RequestTrace.to(out.resolve("requests.tsv")) : RequestTrace.none()) {
            return runAll(chosen, settings, networkNotes, progress, console, requests);
        }
    }

    /** Each strategy at each size, then the report; {@code networkNotes} go into every run's notes. */
    private int runAll(
            List<LabStrategy> chosen,
            LabSettings settings,
            List<String> networkNotes,
            ConsoleProgress progress,
            PrintWriter console,
            RequestTrace requests)
            throws Exception {
        String startedAt = Instant.now().toString();
        List<StrategyRun> runs = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        int clusterIndex = 0;
        for (int nodes : nodeCounts) {
            for (int delay : delays) {
                for (LabStrategy strategy : chosen) {
                    if (settings.promotesTheStore() && strategy != LabStrategy.REDIS
                            || settings.killsTheStore() && !killableStore(strategy)) {
                        skipped.add(strategy.label() + ": --fault " + fault + " kills only a store server the lab"
                                + " starts itself (" + (settings.promotesTheStore() ? "redis" : "redis, or sql") + "); "
                                + strategy.label() + " " + LabLines.noStoreServer(strategy));
                        continue;
                    }
                    if (delay > 0 && !strategy.crossesServers()) {
                        if (delay
                                == delays.stream()
                                        .filter(d -> d > 0)
                                        .findFirst()
                                        .orElse(0)) {
                            skipped.add(strategy.label() + " with --delay above 0: the delay is added between the nodes"
                                    + " and a store server, or between the nodes of a cluster store; "
                                    + strategy.label() + "'s nodes do neither, so it ran at 0 ms only");
                        }
                        continue;
                    }
                    int i = clusterIndex++;
                    progress.phase(
                            strategy.label() + ": starting " + nodes + " nodes (" + strategy.routing() + ")"
                                    + (delay > 0
                                            ? ", " + delay + " ms added each way "
                                                    + (strategy.nodesTalkToEachOther()
                                                            ? "between the nodes"
                                                            : "to the store")
                                            : ""),
                            0);
                    try {
                        LabStoreSetup.Prepared prepared = LabStoreSetup.prepare(
                                strategy,
                                nodes,
                                settings.onNamespaces(),
                                new LabStoreSetup.StoreChoice(
                                        redisAof,
                                        sqlUrl,
                                        java.time.Duration.ofMillis(delay),
                                        settings.promotesTheStore(),
                                        settings.killsTheStore(),
                                        settings.lossPercent()),
                                dataDir.toAbsolutePath());
                        List<String> notes = new ArrayList<>(prepared.notes());
                        notes.addAll(networkNotes);
                        try (LabClusterProcesses cluster = LabClusterProcesses.start(
                                nodes,
                                basePort + 20 * i,
                                prepared.store(),
                                prepared.environment(),
                                prepared.storeServer(),
                                strategy.routing(),
                                dataDir.toAbsolutePath(),
                                prepared.placement(),
                                List.of("--idle-timeout", Integer.toString(settings.idleTimeoutSeconds())))) {
                            progress.note("watch it live (read-only): " + cluster.liveView());
                            StrategyRun run = LabRunner.run(strategy, cluster, settings, progress, requests);
                            prepared.placement()
                                    .network()
                                    .filter(n -> settings.lossPercent() > 0)
                                    .ifPresent(n -> notes.add(LabLines.dropped(n)));
                            runs.add(run.withSetUp(notes, delay));
                            progress.note(LabLines.oneLine(run));
                        }
                    } catch (IllegalStateException e) {
                        skipped.add(strategy.label() + ": " + e.getMessage());
                        progress.note("skipped " + strategy.label() + ": " + e.getMessage());
                    }
                }
            }
        }
        LabResults results = new LabResults(startedAt, LabLines.machine(), command(), settings, runs, skipped);
        LabReport.write(results, out);
        console.println();
        console.println("Report: " + out.toAbsolutePath().resolve("index.html"));
        console.println("        " + out.toAbsolutePath().resolve("summary.md"));
        if (trace) {
            console.println("        " + out.toAbsolutePath().resolve("requests.tsv") + " (every request)");
        }
        console.flush();
        return runs.isEmpty() ? 1 : 0;
    }

    /** Whether the lab starts {@code strategy}'s store server itself, and so may kill it. */
    boolean killableStore(LabStrategy strategy) {
        return strategy == LabStrategy.REDIS || strategy == LabStrategy.SQL && sqlUrl.equals("auto");
    }

    /** The nodes' idle timeout: as given, else short in a soak so that expiry has work to do. */
    int idleTimeout() {
        if (idleTimeoutSeconds != null) {
            return idleTimeoutSeconds;
        }
        return soakMinutes != null ? SOAK_IDLE_TIMEOUT_SECONDS : LabSettings.DEFAULT_IDLE_TIMEOUT_SECONDS;
    }

    /** The report's folder is made first, so a run of several minutes never ends unable to write it. */
    private void prepareOut() {
        if (java.nio.file.Files.exists(out) && !java.nio.file.Files.isDirectory(out)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out " + out + " is a file, not a folder");
        }
        try {
            java.nio.file.Files.createDirectories(out);
            if (!java.nio.file.Files.isWritable(out)) {
                throw new java.io.IOException("not writable");
            }
        } catch (java.io.IOException e) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--out " + out + ": cannot write a report there (" + e.getMessage() + ")");
        }
    }

    private int redraw() throws java.io.IOException {
        LabResults results;
        try {
            results = LabReport.read(reportFrom);
        } catch (java.io.IOException e) {
            spec.commandLine().getErr().println("satchel: " + e.getMessage());
            return 2;
        }
        LabReport.write(results, out);
        PrintWriter console = spec.commandLine().getOut();
        console.println("Report: " + out.toAbsolutePath().resolve("index.html"));
        console.println("        " + out.toAbsolutePath().resolve("summary.md"));
        console.flush();
        return 0;
    }

    private List<LabStrategy> chosenStrategies() {
        LinkedHashSet<LabStrategy> chosen = new LinkedHashSet<>();
        for (String name : strategies) {
            chosen.add(LabStrategy.named(name)
                    .orElseThrow(() -> new CommandLine.ParameterException(
                            spec.commandLine(),
                            "unknown strategy '" + name + "'; expected " + String.join(", ", LabStrategy.labels()))));
        }
        return List.copyOf(chosen);
    }

    /**
     * Whether this run's clusters go on network namespaces: as asked, or where they can be made for
     * auto; what the report should say of the choice goes to {@code notes}.
     */
    private String command() {
        List<String> args = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
        if (!args.isEmpty() && args.get(0).equals("lab")) {
            args.remove(0); // the parse result holds the whole line, the subcommand's name first
        }
        return "./satchel lab " + String.join(" ", args);
    }
}
