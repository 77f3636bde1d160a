package dev.satchel.bench.store;

import dev.satchel.bench.MachineState;
import dev.satchel.bench.Rounds;
import dev.satchel.bench.store.StoreReport.Memory;
import dev.satchel.bench.store.StoreReport.Result;
import dev.satchel.cookie.SealedAttributes;
import dev.satchel.cookie.SealedCookieSessions;
import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.store.file.FileSessionStore;
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
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
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
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Satchel's Redis and SQL stores against Spring Session's repositories, on the same servers with the
 * same workload in one run: a redis-server and a PostgreSQL (with {@code pg_stat_statements}) of its
 * own, started on free loopback ports and stopped at the end.
 *
 * <p>For each store: round trips per request, counted on the server ({@code INFO commandstats},
 * {@code pg_stat_statements}) and shown with {@code MONITOR}; then closed-loop throughput and
 * latency of load+change+save from several threads, in interleaved rounds: a warm-up round of every
 * store (not recorded), then {@code --rounds} rounds of every store in turn; the report gives every
 * round, and for each Satchel and Spring pair on one server the median of the per-round ratios with
 * their range, beside the load average before the run and the CPU steal during it. Then {@code
 * redis-benchmark}'s ceiling on the same server, and, with {@code --memory N}, the memory N
 * sessions take in Redis per layout.
 *
 * <p>Run: {@code java -cp satchel-bench/target/benchmarks.jar dev.satchel.bench.store.StoreBench
 * [--seconds 10] [--warmup 5] [--rounds 3] [--smoke] [--threads 8] [--sessions 2000]
 * [--memory 1000000] [--only a,b]}.
 * Writes {@code store-bench.md} and {@code store-bench.svg} to {@code --out} (default {@code target}).
 *
 * <p>This class runs the servers and the contenders and measures them; {@link StoreBenchOptions}
 * reads the command line, {@link ServerProbes} asks the servers what a request cost them, and
 * {@link StoreReport} writes the results.
 */
public final class StoreBench {
    private final StoreBenchOptions options;
    private final int seconds;
    private final int warmup;
    private final int threads;
    private final int sessions;
    private final int memorySessions;
    private final Path out;

    private StoreBench(StoreBenchOptions options) {
        this.options = options;
        this.seconds = options.seconds();
        this.warmup = options.warmup();
        this.threads = options.threads();
        this.sessions = options.sessions();
        this.memorySessions = options.memorySessions();
        this.out = options.out();
    }

    public static void main(String[] argv) throws Exception {
        if (List.of(argv).contains("--help")) {
            System.out.println(StoreBenchOptions.USAGE);
            return;
        }
        StoreBenchOptions options;
        try {
            options = StoreBenchOptions.parse(argv);
        } catch (IllegalArgumentException e) {
            System.out.println(e.getMessage() + "\n" + StoreBenchOptions.USAGE);
            System.exit(2);
            return;
        }
        new StoreBench(options).run();
    }

    private void run() throws Exception {
        // Under the output folder, not /tmp: PostgreSQL runs as its own user and must reach its data.
        Files.createDirectories(out);
        Path work = Files.createDirectories(out.toAbsolutePath().resolve("store-bench-" + System.currentTimeMillis()));
        List<Result> results = new ArrayList<>();
        List<Memory> memory = new ArrayList<>();
        String ceiling;
        MachineState machine;
        MachineState.Probe machineProbe = MachineState.begin();
        if (options.smoke()) {
            System.out.printf("** %s **%n", Rounds.SMOKE_NOTE);
        }
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
            // A node's own stores, for the file store against memory (what it adds) and Redis (what
            // a shared store costs instead): "local", no server to probe.
            contenders.put(
                    "Satchel memory",
                    () -> Contender.satchel(
                            "Satchel memory",
                            "local",
                            MemorySessionStore.builder().build()));
            // Encryption at rest: the same stores with every value sealed (AES-256-GCM) on the way in.
            String keyset = SealedCookieSessions.generateKeyset();
            contenders.put(
                    "Satchel memory sealed",
                    () -> Contender.satchel(
                            "Satchel memory sealed",
                            "local",
                            SealedAttributes.wrap(MemorySessionStore.builder().build(), keyset)));
            contenders.put(
                    "Satchel Redis sealed",
                    () -> Contender.satchel(
                            "Satchel Redis sealed",
                            "redis",
                            SealedAttributes.wrap(
                                    RedisSessionStore.builder(redis.uri()).build(), keyset)));
            contenders.put(
                    "Satchel file, sync always",
                    () -> Contender.satchel(
                            "Satchel file, sync always",
                            "local",
                            FileSessionStore.builder(work.resolve("file-always"))
                                    .sync(FileSessionStore.Sync.ALWAYS)
                                    .build()));
            contenders.put(
                    "Satchel file, sync never",
                    () -> Contender.satchel(
                            "Satchel file, sync never",
                            "local",
                            FileSessionStore.builder(work.resolve("file-never"))
                                    .sync(FileSessionStore.Sync.NEVER)
                                    .build()));

            List<Contender> opened = new ArrayList<>();
            Map<String, Probe> probes = new HashMap<>();
            for (Map.Entry<String, Supplier<Contender>> e : contenders.entrySet()) {
                if (options.includes(e.getKey())) {
                    opened.add(e.getValue().get());
                }
            }
            try {
                List<List<String>> ids = new ArrayList<>();
                for (Contender c : opened) {
                    System.out.printf("%n== %s%n", c.name());
                    ids.add(createSessions(c));
                }
                // Round 0 warms every store up (and the JIT for the code they share), so that no store
                // pays for running first, and is thrown away; then every store in turn, round after
                // round, so that drift on a shared machine falls on all of them alike.
                for (int round = options.smoke() ? 1 : 0; round <= options.rounds(); round++) {
                    System.out.printf(
                            "%n#### Round %d of %d%s%n",
                            round, options.rounds(), round == 0 ? " (warm-up, not reported)" : "");
                    for (int i = 0; i < opened.size(); i++) {
                        for (Workload w : Workload.values()) {
                            Result r = measure(opened.get(i), w, round, ids.get(i), redis, postgres, probes);
                            if (round > 0) {
                                results.add(r);
                            }
                        }
                    }
                }
            } finally {
                opened.forEach(Contender::close);
            }
            machine = machineProbe.end();
            System.out.println(machine.describe());
            ceiling = ServerProbes.redisBenchmark(redis, threads);
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
        String report = StoreReport.markdown(options, results, machine, ceiling, memory);
        Files.createDirectories(out);
        Files.writeString(out.resolve("store-bench.md"), report);
        Files.writeString(out.resolve("store-bench.svg"), StoreReport.chart(options, results, machine));
        System.out.println();
        System.out.println(report);
        System.out.println("Written: " + out.resolve("store-bench.md") + " and " + out.resolve("store-bench.svg"));
    }

    private Probe probe(
            Contender c, Workload workload, List<String> ids, LocalRedisServer redis, LocalPostgresServer postgres)
            throws Exception {
        // Work on the server, counted there over 200 single-threaded requests.
        int counted = 200;
        for (int i = 0; i < counted; i++) {
            workload.run(c, ids.get(i % ids.size()), i); // once uncounted: a near-cache reaches its steady state
        }
        Map<String, Long> before = ServerProbes.serverCounts(c.server(), redis, postgres);
        for (int i = 0; i < counted; i++) {
            workload.run(c, ids.get(i % ids.size()), i);
        }
        Map<String, Long> after = ServerProbes.serverCounts(c.server(), redis, postgres);
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
            ServerProbes.Transcript t = ServerProbes.monitor(c, workload, redis, ids);
            monitor = t.firstRequest();
            roundTrips = t.roundTripsPerRequest();
            System.out.printf("   round trips per request (MONITOR): %.2f%n", roundTrips);
        }
        return new Probe(perOp, roundTrips, monitor);
    }

    /** What a request cost the server, counted once per store and workload (in the first round run). */
    private record Probe(Map<String, Double> perOp, double roundTrips, List<String> monitor) {}

    private Result measure(
            Contender c,
            Workload workload,
            int round,
            List<String> ids,
            LocalRedisServer redis,
            LocalPostgresServer postgres,
            Map<String, Probe> probes)
            throws Exception {
        System.out.printf("%n== %s: %s, round %d%n", c.name(), workload.description, round);
        Probe probe = probes.get(c.name() + "/" + workload);
        if (probe == null) {
            probe = probe(c, workload, ids, redis, postgres);
            probes.put(c.name() + "/" + workload, probe);
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
        return new Result(
                c.name(),
                c.server(),
                workload,
                round,
                rate,
                latency,
                errors.sum(),
                probe.perOp(),
                probe.roundTrips(),
                probe.monitor());
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

    private Memory memory(String name, LocalRedisServer redis, Supplier<Contender> factory) throws Exception {
        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> admin = client.connect();
                Contender c = factory.get()) {
            admin.sync().flushall();
            long before = ServerProbes.usedMemory(admin);
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
            long after = ServerProbes.usedMemory(admin);
            long keys = admin.sync().dbsize() - keysBefore;
            Memory m = new Memory(name, (after - before) / memorySessions, keys / (double) memorySessions);
            System.out.printf("   %,d bytes and %.2f keys per session%n", m.bytesPerSession(), m.keysPerSession());
            admin.sync().flushall();
            return m;
        } finally {
            client.shutdown();
        }
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
}
