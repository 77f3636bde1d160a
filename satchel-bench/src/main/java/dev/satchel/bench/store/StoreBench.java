package dev.satchel.bench.store;

import dev.satchel.bench.BarChart;
import dev.satchel.store.jdbc.JdbcSessionStore;
import dev.satchel.store.redis.RedisSessionStore;
import dev.satchel.testkit.LocalPostgresServer;
import dev.satchel.testkit.LocalRedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Satchel's Redis and SQL stores against Spring Session's repositories, on the same servers with the
 * same workload in one run: a redis-server and a PostgreSQL (with {@code pg_stat_statements}) of its
 * own, started on free loopback ports and stopped at the end.
 *
 * <p>For each store: round trips per request, counted on the server ({@code INFO commandstats},
 * {@code pg_stat_statements}) and shown with {@code MONITOR}; then closed-loop throughput and
 * latency of load+change+save from several threads. Then {@code redis-benchmark}'s ceiling on the
 * same server, and, with {@code --memory N}, the memory N sessions take in Redis per layout.
 *
 * <p>Run: {@code java -cp satchel-bench/target/benchmarks.jar dev.satchel.bench.store.StoreBench
 * [--seconds 10] [--warmup 5] [--threads 8] [--sessions 2000] [--memory 1000000] [--only a,b]}.
 * Writes {@code store-bench.md} and {@code store-bench.svg} to {@code --out} (default {@code target}).
 *
 * <p>One file, over 500 lines: the harness, its servers' start and stop, and the report are one
 * program a reader follows from top to bottom.
 */
public final class StoreBench {
    private final int seconds;
    private final int warmup;
    private final int threads;
    private final int sessions;
    private final int memorySessions;
    private final List<String> only;
    private final Path out;

    private StoreBench(Map<String, String> args) {
        this.seconds = Integer.parseInt(args.getOrDefault("seconds", "10"));
        this.warmup = Integer.parseInt(args.getOrDefault("warmup", "5"));
        this.threads = Integer.parseInt(args.getOrDefault("threads", "8"));
        this.sessions = Integer.parseInt(args.getOrDefault("sessions", "2000"));
        this.memorySessions = Integer.parseInt(args.getOrDefault("memory", "0"));
        this.only = args.containsKey("only") ? List.of(args.get("only").split(",")) : List.of();
        this.out = Path.of(args.getOrDefault("out", "target"));
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new LinkedHashMap<>();
        for (int i = 0; i < argv.length; i++) {
            if (argv[i].equals("--help") || !argv[i].startsWith("--") || i + 1 >= argv.length) {
                System.out.println("usage: StoreBench [--seconds 10] [--warmup 5] [--threads 8] [--sessions 2000]"
                        + " [--memory N] [--only name-fragment,...] [--out target]");
                System.exit(argv[i].equals("--help") ? 0 : 2);
            }
            args.put(argv[i].substring(2), argv[++i]);
        }
        new StoreBench(args).run();
    }

    /** What each request of a run does to its session. */
    enum Workload {
        CHANGE("load, read one attribute, change it, save"),
        READ("load and read one attribute, change nothing");

        final String description;

        Workload(String description) {
            this.description = description;
        }

        void run(Contender c, String id, int seed) {
            if (this == CHANGE) {
                c.loadChangeSave(id, seed);
            } else {
                c.loadOnly(id);
            }
        }
    }

    record Result(
            String name,
            String server,
            Workload workload,
            double opsPerSecond,
            Histogram latency,
            long errors,
            Map<String, Double> perOp,
            double roundTrips,
            List<String> monitor) {}

    record Memory(String name, long bytesPerSession, double keysPerSession) {}

    private void run() throws Exception {
        // Under the output folder, not /tmp: PostgreSQL runs as its own user and must reach its data.
        Files.createDirectories(out);
        Path work = Files.createDirectories(out.toAbsolutePath().resolve("store-bench-" + System.currentTimeMillis()));
        List<Result> results = new ArrayList<>();
        List<Memory> memory = new ArrayList<>();
        String ceiling;
        System.out.printf(
                "Store benchmark: %d threads, %d sessions of %d attributes, %d s warm-up, %d s measured%n",
                threads, sessions, Contender.ATTRIBUTES, warmup, seconds);
        try (LocalRedisServer redis = LocalRedisServer.start(work.resolve("redis"));
                LocalPostgresServer postgres = LocalPostgresServer.start(work.resolve("postgres"))) {
            // Ctrl-C or a timeout's SIGTERM must not leave the servers running: stop them on exit.
            Thread stopServers = new Thread(
                    () -> {
                        postgres.close();
                        redis.close();
                    },
                    "store-bench-servers");
            Runtime.getRuntime().addShutdownHook(stopServers);
            int port = redis.port();
            String satchelSql = schema(postgres, "bench_satchel", null);
            String springSql =
                    schema(postgres, "bench_spring", "org/springframework/session/jdbc/schema-postgresql.sql");
            Map<String, Supplier<Contender>> contenders = new LinkedHashMap<>();
            contenders.put(
                    "Satchel Redis",
                    () -> Contender.satchel(
                            "Satchel Redis",
                            "redis",
                            RedisSessionStore.builder(redis.uri()).build()));
            contenders.put(
                    "Satchel Redis, near-cache",
                    () -> Contender.satchel(
                            "Satchel Redis, near-cache",
                            "redis",
                            RedisSessionStore.builder(redis.uri())
                                    .nearCache(100_000)
                                    .build()));
            contenders.put(
                    "Satchel Redis, relaxed near-cache",
                    () -> Contender.satchel(
                            "Satchel Redis, relaxed near-cache",
                            "redis",
                            RedisSessionStore.builder(redis.uri())
                                    .relaxedNearCache(100_000)
                                    .build()));
            contenders.put("Spring RedisSessionRepository", () -> Contender.springRedis(port));
            contenders.put("Spring RedisIndexedSessionRepository", () -> Contender.springRedisIndexed(port));
            contenders.put(
                    "Satchel SQL (PostgreSQL)",
                    () -> Contender.satchel(
                            "Satchel SQL (PostgreSQL)",
                            "postgresql",
                            JdbcSessionStore.builder(satchelSql)
                                    .maxPoolSize(threads)
                                    .sweepInBackground(false)
                                    .build()));
            contenders.put("Spring JdbcIndexedSessionRepository", () -> Contender.springJdbc(springSql, threads));

            List<Contender> opened = new ArrayList<>();
            for (Map.Entry<String, Supplier<Contender>> e : contenders.entrySet()) {
                if (!only.isEmpty()
                        && only.stream()
                                .noneMatch(o ->
                                        e.getKey().toLowerCase(Locale.ROOT).contains(o.toLowerCase(Locale.ROOT)))) {
                    continue;
                }
                opened.add(e.getValue().get());
            }
            try {
                List<List<String>> ids = new ArrayList<>();
                for (Contender c : opened) {
                    System.out.printf("%n== %s%n", c.name());
                    ids.add(createSessions(c));
                }
                // Round 1 warms every store up (and the JIT for the code they share), so that no store
                // pays for running first; round 2 is the one reported.
                for (int round = 1; round <= 2; round++) {
                    System.out.printf("%n#### Round %d of 2%s%n", round, round == 1 ? " (warm-up, not reported)" : "");
                    for (int i = 0; i < opened.size(); i++) {
                        for (Workload w : Workload.values()) {
                            Result r = measure(opened.get(i), w, ids.get(i), redis, postgres);
                            if (round == 2) {
                                results.add(r);
                            }
                        }
                    }
                }
            } finally {
                opened.forEach(Contender::close);
            }
            ceiling = redisBenchmark(redis);
            if (memorySessions > 0) {
                memory.add(memory(
                        "Satchel Redis",
                        redis,
                        () -> Contender.satchel(
                                "m",
                                "redis",
                                RedisSessionStore.builder(redis.uri()).build())));
                memory.add(memory("Spring RedisSessionRepository", redis, () -> Contender.springRedis(port)));
                memory.add(memory(
                        "Spring RedisIndexedSessionRepository", redis, () -> Contender.springRedisIndexed(port)));
            }
        }
        String report = report(results, ceiling, memory);
        Files.createDirectories(out);
        Files.writeString(out.resolve("store-bench.md"), report);
        Files.writeString(out.resolve("store-bench.svg"), chart(results));
        System.out.println();
        System.out.println(report);
        System.out.println("Written: " + out.resolve("store-bench.md") + " and " + out.resolve("store-bench.svg"));
    }

    private Result measure(
            Contender c, Workload workload, List<String> ids, LocalRedisServer redis, LocalPostgresServer postgres)
            throws Exception {
        System.out.printf("%n== %s: %s%n", c.name(), workload.description);
        // Work on the server, counted there over 200 single-threaded requests.
        int counted = 200;
        for (int i = 0; i < counted; i++) {
            workload.run(c, ids.get(i % ids.size()), i); // once uncounted: a near-cache reaches its steady state
        }
        Map<String, Long> before = serverCounts(c.server(), redis, postgres);
        for (int i = 0; i < counted; i++) {
            workload.run(c, ids.get(i % ids.size()), i);
        }
        Map<String, Long> after = serverCounts(c.server(), redis, postgres);
        Map<String, Double> perOp = new TreeMap<>();
        after.forEach((k, v) -> {
            long d = v - before.getOrDefault(k, 0L);
            if (d > 0) {
                perOp.put(k, d / (double) counted);
            }
        });
        System.out.println("   per request, on the server: " + perOp);
        List<String> monitor = List.of();
        double roundTrips =
                perOp.values().stream().mapToDouble(Double::doubleValue).sum();
        if (c.server().equals("redis")) {
            Transcript t = monitor(c, workload, redis, ids);
            monitor = t.firstRequest();
            roundTrips = t.roundTripsPerRequest();
            System.out.printf("   round trips per request (MONITOR): %.2f%n", roundTrips);
        }

        Recorder recorder = new Recorder(3);
        LongAdder ops = new LongAdder();
        LongAdder errors = new LongAdder();
        AtomicBoolean recording = new AtomicBoolean(false);
        AtomicBoolean stop = new AtomicBoolean(false);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> running = new ArrayList<>();
        AtomicInteger seed = new AtomicInteger(1_000_000);
        for (int t = 0; t < threads; t++) {
            running.add(pool.submit(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (!stop.get()) {
                    String id = ids.get(random.nextInt(ids.size()));
                    long start = System.nanoTime();
                    try {
                        workload.run(c, id, seed.incrementAndGet());
                    } catch (RuntimeException e) {
                        if (errors.sum() == 0) {
                            System.out.println("   first error: " + e);
                        }
                        errors.increment();
                        continue;
                    }
                    if (recording.get()) {
                        recorder.recordValue((System.nanoTime() - start) / 1_000);
                        ops.increment();
                    }
                }
                return null;
            }));
        }
        for (int s = 0; s < warmup; s++) {
            TimeUnit.SECONDS.sleep(1);
        }
        System.out.printf("   warmed up for %d s; measuring%n", warmup);
        recorder.reset();
        recording.set(true);
        long started = System.nanoTime();
        long last = 0;
        for (int s = 1; s <= seconds; s++) {
            TimeUnit.SECONDS.sleep(1);
            long now = ops.sum();
            System.out.printf("   %2d s: %,8d req/s%n", s, now - last);
            last = now;
        }
        recording.set(false);
        double elapsed = (System.nanoTime() - started) / 1e9;
        stop.set(true);
        for (Future<?> f : running) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        for (int i = 0; i < Math.min(100, ids.size()); i++) {
            if (c.read(ids.get(i), "attr1").isEmpty()) {
                System.out.println("   lost: session " + i + " or its attribute attr1");
                errors.increment(); // a session or an attribute the run lost
            }
        }
        Histogram latency = recorder.getIntervalHistogram();
        double rate = ops.sum() / elapsed;
        System.out.printf(
                "   %,.0f req/s, p50 %d µs, p99 %d µs, %d errors%n",
                rate, latency.getValueAtPercentile(50), latency.getValueAtPercentile(99), errors.sum());
        return new Result(c.name(), c.server(), workload, rate, latency, errors.sum(), perOp, roundTrips, monitor);
    }

    private List<String> createSessions(Contender c) throws Exception {
        List<String> ids = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> done = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int first = t;
            done.add(pool.submit(() -> {
                for (int i = first; i < sessions; i += threads) {
                    ids.add(c.create(i));
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get(10, TimeUnit.MINUTES);
        }
        pool.shutdown();
        System.out.printf("   created %,d sessions%n", ids.size());
        return new ArrayList<>(ids);
    }

    /** Commands executed (Redis) or statements run (PostgreSQL) so far, by name. */
    private static Map<String, Long> serverCounts(String server, LocalRedisServer redis, LocalPostgresServer postgres)
            throws SQLException {
        Map<String, Long> counts = new TreeMap<>();
        if (server.equals("redis")) {
            RedisClient client = RedisClient.create(redis.uri());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                for (String line : c.sync().info("commandstats").split("\r?\n")) {
                    if (line.startsWith("cmdstat_")) {
                        String name = line.substring("cmdstat_".length(), line.indexOf(':'));
                        int at = line.indexOf("calls=") + 6;
                        if (!name.equals("info") && !name.equals("hello") && !name.startsWith("client")) {
                            counts.put(name, Long.parseLong(line.substring(at, line.indexOf(',', at))));
                        }
                    }
                }
            } finally {
                client.shutdown();
            }
        } else {
            try (Connection c = postgres.connect();
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT query, calls FROM pg_stat_statements"
                            + " WHERE query NOT LIKE '%pg_stat_statements%'"
                            + " AND query NOT LIKE 'SET application_name%'")) {
                while (rs.next()) {
                    String kind = rs.getString(1).strip().split("\\s+", 2)[0].toUpperCase(Locale.ROOT);
                    counts.merge(kind, rs.getLong(2), Long::sum);
                }
            }
        }
        return counts;
    }

    record Transcript(double roundTripsPerRequest, List<String> firstRequest) {}

    /**
     * What requests send to Redis, as {@code MONITOR} shows it: commands from a client are round
     * trips, those marked {@code lua} run inside a script. Twenty single-threaded requests are
     * counted; the first one's commands are kept for the report, long arguments cut.
     */
    private static Transcript monitor(Contender c, Workload workload, LocalRedisServer redis, List<String> ids)
            throws Exception {
        Path file = Files.createTempFile("monitor", ".txt");
        Process monitor = new ProcessBuilder("redis-cli", "-p", Integer.toString(redis.port()), "monitor")
                .redirectErrorStream(true)
                .redirectOutput(file.toFile())
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.size(file) < 3 && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(10); // "OK": MONITOR is on
        }
        int requests = 20;
        long firstEnds = 0;
        for (int i = 0; i < requests; i++) {
            workload.run(c, ids.get(i), 42 + i);
            if (i == 0) {
                TimeUnit.MILLISECONDS.sleep(200); // lets the first request's lines land before the rest
                firstEnds = Files.size(file);
            }
        }
        TimeUnit.MILLISECONDS.sleep(300);
        monitor.destroy();
        monitor.waitFor(5, TimeUnit.SECONDS);
        byte[] bytes = Files.readAllBytes(file);
        Files.delete(file);
        List<String> first = new ArrayList<>();
        long fromClients = 0;
        int start = 0;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] != '\n') {
                continue;
            }
            String line = new String(bytes, start, i - start, StandardCharsets.UTF_8);
            boolean inFirst = i < firstEnds;
            start = i + 1;
            int open = line.indexOf('[');
            int close = line.indexOf(']');
            if (open < 0 || close < open) {
                continue;
            }
            boolean scripted = line.substring(open, close).contains("lua");
            if (!scripted) {
                fromClients++;
            }
            if (inFirst) {
                String shown = (scripted ? "    (in the script) " : "")
                        + line.substring(close + 1).strip();
                first.add(shown.length() > 110 ? shown.substring(0, 107) + "..." : shown);
            }
        }
        return new Transcript(fromClients / (double) requests, first);
    }

    /** redis-benchmark against the same server: the round trips per second the machine allows. */
    private String redisBenchmark(LocalRedisServer redis) throws IOException, InterruptedException {
        RedisClient client = RedisClient.create(redis.uri());
        String key;
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            key = c.sync().keys("satchel:s:*").stream().findFirst().orElse("none");
        } finally {
            client.shutdown();
        }
        Process p = new ProcessBuilder(
                        "redis-benchmark",
                        "-p",
                        Integer.toString(redis.port()),
                        "-c",
                        Integer.toString(threads),
                        "-n",
                        "200000",
                        "-q",
                        "HGETALL",
                        key)
                .redirectErrorStream(true)
                .start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(5, TimeUnit.MINUTES);
        Matcher m = Pattern.compile("([0-9.]+) requests per second").matcher(text);
        String found = "unknown";
        while (m.find()) {
            found = m.group(1);
        }
        System.out.printf("%n== redis-benchmark, HGETALL of one session, %d clients: %s req/s%n", threads, found);
        return found;
    }

    private Memory memory(String name, LocalRedisServer redis, Supplier<Contender> factory) throws Exception {
        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> admin = client.connect();
                Contender c = factory.get()) {
            admin.sync().flushall();
            long before = usedMemory(admin);
            long keysBefore = admin.sync().dbsize();
            System.out.printf("%n== memory: %,d sessions through %s%n", memorySessions, name);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            AtomicInteger next = new AtomicInteger();
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < memorySessions; i = next.getAndIncrement()) {
                        c.create(i);
                        if (i > 0 && i % 100_000 == 0) {
                            System.out.printf("   %,d%n", i);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(30, TimeUnit.MINUTES);
            }
            pool.shutdown();
            long after = usedMemory(admin);
            long keys = admin.sync().dbsize() - keysBefore;
            Memory m = new Memory(name, (after - before) / memorySessions, keys / (double) memorySessions);
            System.out.printf("   %,d bytes and %.2f keys per session%n", m.bytesPerSession(), m.keysPerSession());
            admin.sync().flushall();
            return m;
        } finally {
            client.shutdown();
        }
    }

    private static long usedMemory(StatefulRedisConnection<String, String> admin) {
        for (String line : admin.sync().info("memory").split("\r?\n")) {
            if (line.startsWith("used_memory:")) {
                return Long.parseLong(line.substring("used_memory:".length()).strip());
            }
        }
        throw new IllegalStateException("no used_memory in INFO memory");
    }

    /** A schema of its own on the bench's PostgreSQL, optionally created by a script; its JDBC URL. */
    private static String schema(LocalPostgresServer postgres, String name, String script)
            throws SQLException, IOException {
        try (Connection c = postgres.connect();
                Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + name);
            if (script != null) {
                s.execute("SET search_path TO " + name);
                try (InputStream in = StoreBench.class.getClassLoader().getResourceAsStream(script)) {
                    if (in == null) {
                        throw new IllegalStateException(script + " is not on the class path");
                    }
                    s.execute(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
            }
        }
        return postgres.jdbcUrl() + "&currentSchema=" + name;
    }

    private String report(List<Result> results, String ceiling, List<Memory> memory) {
        StringBuilder md = new StringBuilder();
        md.append(String.format(
                "%d threads, closed loop, %d sessions of %d attributes (~40 B each), %d s measured after %d s of"
                        + " warm-up, per store and workload.%n",
                threads, sessions, Contender.ATTRIBUTES, seconds, warmup));
        for (Workload w : Workload.values()) {
            List<Result> rows = results.stream().filter(r -> r.workload() == w).toList();
            if (rows.isEmpty()) {
                continue;
            }
            md.append(String.format("%n**Each request: %s.**%n%n", w.description));
            md.append(
                    "| store | req/s | p50 µs | p99 µs | p99.9 µs | errors | round trips | server work per request |\n");
            md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
            for (Result r : rows) {
                StringBuilder work = new StringBuilder();
                r.perOp().forEach((k, v) -> work.append(work.isEmpty() ? "" : ", ")
                        .append(k)
                        .append(" ")
                        .append(v == Math.rint(v) ? Long.toString(Math.round(v)) : String.format("%.2f", v)));
                md.append(String.format(
                        "| %s | %,.0f | %d | %d | %d | %d | %.2f | %s |%n",
                        r.name(),
                        r.opsPerSecond(),
                        r.latency().getValueAtPercentile(50),
                        r.latency().getValueAtPercentile(99),
                        r.latency().getValueAtPercentile(99.9),
                        r.errors(),
                        r.roundTrips(),
                        work.isEmpty() ? "nothing" : work));
            }
            md.append("\nRatios on the same server (throughput, and p99 where lower is better):\n\n");
            for (String server : List.of("redis", "postgresql")) {
                for (Result s : rows) {
                    if (!s.server().equals(server) || !s.name().startsWith("Satchel")) {
                        continue;
                    }
                    for (Result p : rows) {
                        if (p.server().equals(server) && p.name().startsWith("Spring")) {
                            md.append(String.format(
                                    "- %s / %s: %.2f× throughput, p99 %.2f×%n",
                                    s.name(),
                                    p.name(),
                                    s.opsPerSecond() / p.opsPerSecond(),
                                    s.latency().getValueAtPercentile(99)
                                            / (double) p.latency().getValueAtPercentile(99)));
                        }
                    }
                }
            }
        }
        md.append(String.format(
                "%n`redis-benchmark` on the same server, `HGETALL` of one session, %d clients: %s round trips/s."
                        + " Round trips each store made per second, as a share of that ceiling:%n%n",
                threads, ceiling));
        if (!ceiling.equals("unknown")) {
            double max = Double.parseDouble(ceiling);
            for (Result r : results) {
                if (r.server().equals("redis")) {
                    md.append(String.format(
                            "- %s, %s: %.2f round trips per request, %.0f%% of the ceiling%n",
                            r.name(),
                            r.workload().name().toLowerCase(Locale.ROOT),
                            r.roundTrips(),
                            100 * r.opsPerSecond() * r.roundTrips() / max));
                }
            }
        }
        for (Result r : results) {
            if (!r.monitor().isEmpty()) {
                md.append(String.format(
                        "%n`MONITOR`, one request, %s, %s:%n%n```%n",
                        r.name(), r.workload().name().toLowerCase(Locale.ROOT)));
                r.monitor().forEach(l -> md.append(l).append('\n'));
                md.append("```\n");
            }
        }
        if (!memory.isEmpty()) {
            md.append(String.format(
                    "%nMemory in Redis, %,d sessions of %d attributes (`used_memory` delta):%n%n",
                    memorySessions, Contender.ATTRIBUTES));
            md.append("| layout | bytes per session | keys per session |\n| --- | ---: | ---: |\n");
            for (Memory m : memory) {
                md.append(String.format("| %s | %,d | %.2f |%n", m.name(), m.bytesPerSession(), m.keysPerSession()));
            }
        }
        return md.toString();
    }

    /** A horizontal bar chart of throughput, one bar per store and workload. */
    private static String chart(List<Result> results) {
        return BarChart.svg(
                "Session store requests per second (more is better); green: Satchel, grey: Spring Session",
                results.stream()
                        .map(r -> new BarChart.Bar(
                                r.name() + ", " + r.workload().name().toLowerCase(Locale.ROOT),
                                r.opsPerSecond(),
                                String.format("%,.0f", r.opsPerSecond()),
                                r.name().startsWith("Satchel")))
                        .toList(),
                1000,
                420);
    }
}
