package dev.satchel.bench.store;

import dev.satchel.bench.MachineState;
import dev.satchel.bench.Rounds;
import dev.satchel.core.ChangeSet;
import dev.satchel.core.ExpectedValue;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStore.SaveOutcome;
import dev.satchel.store.jdbc.JdbcSessionStore;
import dev.satchel.store.redis.RedisSessionStore;
import dev.satchel.testkit.LocalPostgresServer;
import dev.satchel.testkit.LocalRedisServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * What an atomic attribute update costs against a plain save of the same attribute (issue 13):
 * threads of one user add 1 to one counter attribute of one session, as parallel requests adding
 * to one cart do, on Redis and on PostgreSQL (both started privately, as {@link StoreBench} does).
 * Plain: load, set the counter, save (last writer wins, so additions are lost). Atomic: the same
 * with the read value expected, and on CONFLICT load and add again (the loop {@code
 * SatchelSessions.update} runs, without the filter around it). The two run in interleaved rounds
 * after a warm-up round of each; each round reports acknowledged additions per second, additions
 * lost (acknowledged minus the final count), retries per addition, and server round trips per
 * addition ({@code INFO commandstats} or {@code pg_stat_statements}).
 */
public final class UpdateContentionBench {
    private UpdateContentionBench() {}

    private record Round(
            String mode, double perSecond, long acknowledged, long lost, double retries, double trips, double work) {}

    /** Commands a Redis client sends itself here: the load and the save script; the rest run inside it. */
    private static final List<String> REDIS_CLIENT_COMMANDS = List.of("hgetall", "evalsha");

    public static void main(String[] args) throws Exception {
        int seconds = 3;
        int threads = 4;
        int rounds = 3;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--rounds" -> rounds = Rounds.checked(Integer.parseInt(args[++i]), false);
                default -> {
                    System.out.println("usage: UpdateContentionBench [--seconds 3] [--threads 4] [--rounds 3]");
                    System.out.println("  threads of one user add to one counter of one session, plain and atomic,");
                    System.out.println("  in interleaved rounds, on a private redis-server and PostgreSQL");
                    return;
                }
            }
        }
        Path work = Files.createTempDirectory("satchel-update-bench");
        try (LocalRedisServer redis = LocalRedisServer.start(work.resolve("redis"));
                LocalPostgresServer postgres = LocalPostgresServer.start(work.resolve("postgres"))) {
            String sql = schema(postgres);
            Map<String, Supplier<SessionStore>> stores = Map.of(
                    "redis", () -> RedisSessionStore.builder(redis.uri()).build(),
                    "postgresql", () -> JdbcSessionStore.builder(sql).build());
            MachineState.Probe machine = MachineState.begin();
            System.out.printf(
                    "Update contention: %d threads on one session's counter, %d s a round, %d rounds of each"
                            + " after a warm-up round%n",
                    threads, seconds, rounds);
            for (String server : List.of("redis", "postgresql")) {
                System.out.printf(
                        "%n%s%n| round | mode | additions/s | acknowledged | lost | retries per addition |"
                                + " round trips per addition | server commands per addition |%n"
                                + "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |%n",
                        server);
                List<Double> plain = new ArrayList<>();
                List<Double> atomics = new ArrayList<>();
                try (SessionStore store = stores.get(server).get()) {
                    for (int r = 0; r <= rounds; r++) {
                        for (boolean atomic : new boolean[] {false, true}) {
                            Round round = run(store, server, redis, postgres, atomic, threads, seconds);
                            if (r > 0) {
                                (atomic ? atomics : plain).add(round.perSecond());
                            }
                            System.out.printf(
                                    Locale.ROOT,
                                    "| %s | %s | %,.0f | %,d | %,d | %.2f | %.2f | %.2f |%n",
                                    r == 0 ? "warm-up" : Integer.toString(r),
                                    round.mode(),
                                    round.perSecond(),
                                    round.acknowledged(),
                                    round.lost(),
                                    round.retries(),
                                    round.trips(),
                                    round.work());
                        }
                    }
                }
                System.out.printf(
                        "%nAdditions/s, atomic / plain, round by round: %s%n",
                        Rounds.ratios(atomics, plain).asRatio());
            }
            System.out.println("\n" + machine.end().describe());
        }
    }

    private static Round run(
            SessionStore store,
            String server,
            LocalRedisServer redis,
            LocalPostgresServer postgres,
            boolean atomic,
            int threads,
            int seconds)
            throws Exception {
        SessionId id = SessionId.random();
        Instant now = Instant.now();
        store.save(ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)))
                .created()
                .accessedAt(now)
                .maxInactiveInterval(Duration.ofMinutes(30))
                .set("count", bytes(0))
                .build());
        LongAdder acknowledged = new LongAdder();
        LongAdder retries = new LongAdder();
        Map<String, Long> before = ServerProbes.serverCounts(server, redis, postgres);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                workers.add(pool.submit(() -> {
                    while (System.nanoTime() < deadline) {
                        retries.add(addOne(store, id, atomic));
                        acknowledged.increment();
                    }
                    return null;
                }));
            }
            for (Future<?> w : workers) {
                w.get(seconds + 60L, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        Map<String, Long> after = ServerProbes.serverCounts(server, redis, postgres);
        long trips = 0;
        long work = 0;
        for (Map.Entry<String, Long> e : after.entrySet()) {
            long calls = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            work += calls;
            // PostgreSQL: every statement is a round trip; Redis: only what the client sent.
            if (!server.equals("redis") || REDIS_CLIENT_COMMANDS.contains(e.getKey())) {
                trips += calls;
            }
        }
        SessionRecord end = store.load(id).orElseThrow();
        long count = Long.parseLong(new String(end.attributes().get("count"), StandardCharsets.US_ASCII));
        long acked = acknowledged.sum();
        return new Round(
                atomic ? "atomic" : "plain",
                acked / (double) seconds,
                acked,
                acked - count,
                retries.sum() / (double) acked,
                trips / (double) acked,
                work / (double) acked);
    }

    /** One addition; returns how many times it found the counter changed and tried again. */
    private static int addOne(SessionStore store, SessionId id, boolean atomic) {
        for (int attempt = 0; ; attempt++) {
            SessionRecord r = store.load(id).orElseThrow(() -> new IllegalStateException("session lost"));
            byte[] held = r.attributes().get("count");
            long next = Long.parseLong(new String(held, StandardCharsets.US_ASCII)) + 1;
            ChangeSet.Builder b = ChangeSet.builder(id, r.createdAt(), r.absoluteDeadline())
                    .accessedAt(Instant.now())
                    .set("count", bytes(next));
            if (atomic) {
                b.expect("count", ExpectedValue.of(held));
            }
            SaveOutcome outcome = store.save(b.build());
            if (outcome != SaveOutcome.CONFLICT) {
                return attempt;
            }
        }
    }

    private static byte[] bytes(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }

    private static String schema(LocalPostgresServer postgres) throws SQLException {
        try (Connection c = postgres.connect();
                Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA bench_update");
        }
        return postgres.jdbcUrl() + "&currentSchema=bench_update";
    }
}
