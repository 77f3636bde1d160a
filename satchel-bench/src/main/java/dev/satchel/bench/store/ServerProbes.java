package dev.satchel.bench.store;

import dev.satchel.testkit.Await;
import dev.satchel.testkit.LocalPostgresServer;
import dev.satchel.testkit.LocalRedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the benchmark asks the servers themselves, so that round trips and memory are counted where
 * they happen rather than guessed from the client: Redis's {@code INFO} and {@code MONITOR},
 * PostgreSQL's {@code pg_stat_statements}, and {@code redis-benchmark}'s ceiling.
 */
final class ServerProbes {
    private ServerProbes() {}

    /** Commands executed (Redis) or statements run (PostgreSQL) so far, by name. */
    static Map<String, Long> serverCounts(String server, LocalRedisServer redis, LocalPostgresServer postgres)
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
        } else if (server.equals("postgresql")) {
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
    static Transcript monitor(Contender c, Workload workload, LocalRedisServer redis, List<String> ids)
            throws Exception {
        Path file = Files.createTempFile("monitor", ".txt");
        Process monitor = new ProcessBuilder("redis-cli", "-p", Integer.toString(redis.port()), "monitor")
                .redirectErrorStream(true)
                .redirectOutput(file.toFile())
                .start();
        Await.until(Duration.ofSeconds(10), () -> Files.size(file) >= 3, "redis-cli MONITOR to answer OK");
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
    static String redisBenchmark(LocalRedisServer redis, int threads) throws IOException, InterruptedException {
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

    static long usedMemory(StatefulRedisConnection<String, String> admin) {
        for (String line : admin.sync().info("memory").split("\r?\n")) {
            if (line.startsWith("used_memory:")) {
                return Long.parseLong(line.substring("used_memory:".length()).strip());
            }
        }
        throw new IllegalStateException("no used_memory in INFO memory");
    }
}
