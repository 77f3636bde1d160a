package dev.satchel.bench.jmh;

import dev.satchel.cookie.SealedCookieSessions;
import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.codec.DefaultAttributeCodec;
import dev.satchel.core.memory.MemorySessionStore;
import dev.satchel.store.redis.RedisSessionStore;
import dev.satchel.testkit.LocalRedisServer;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What keeping a session costs one request, by strategy: open (load) a session of 10 attributes,
 * change one, and seal (save) it.
 *
 * <ul>
 *   <li>{@code cookie}: {@link SealedCookieSessions} opens the cookie value the client sent and
 *       seals the changed session into the next one (AES-256-GCM, compressed), no revocation record;
 *   <li>{@code memory}: {@link MemorySessionStore}, load and save in the node's heap;
 *   <li>{@code redis}: {@link RedisSessionStore} against a redis-server of its own on loopback.
 * </ul>
 *
 * <p>The bytes each strategy adds to every request and response are printed at setup. Run:
 * {@code java -jar satchel-bench/target/benchmarks.jar SealedCookieBenchmark}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class SealedCookieBenchmark {

    @Param({"cookie", "memory", "redis"})
    public String strategy;

    private final DefaultAttributeCodec codec = DefaultAttributeCodec.defaults();
    private SealedCookieSessions sealer;
    private List<String> cookie;
    private SessionStore store;
    private LocalRedisServer redis;
    private SessionId id;
    private int counter;

    @Setup
    public void start() throws Exception {
        Instant now = Instant.now();
        id = SessionId.random();
        ChangeSet.Builder b = ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)))
                .created()
                .accessedAt(now)
                .maxInactiveInterval(Duration.ofMinutes(30));
        for (int i = 0; i < 10; i++) {
            b.set("attr" + i, codec.encode("attr" + i, "value-" + i + "-of-a-typical-session-attribute"));
        }
        ChangeSet created = b.build();
        switch (strategy) {
            case "cookie" -> {
                sealer = SealedCookieSessions.builder("SID")
                        .keyset(SealedCookieSessions.generateKeyset())
                        .build();
                cookie = sealer.seal(SessionRecord.create(created));
                int value = cookie.get(0).length();
                System.out.printf(
                        "%n[bytes] cookie: request header 'Cookie: SID=' + %d, response 'Set-Cookie' about %d%n",
                        value, value + 60);
            }
            case "memory" -> store = MemorySessionStore.builder().build();
            case "redis" -> {
                redis = LocalRedisServer.start(Files.createTempDirectory("satchel-bench-redis"));
                store = RedisSessionStore.builder(redis.uri()).build();
            }
            default -> throw new IllegalArgumentException("unknown strategy " + strategy);
        }
        if (store != null) {
            store.save(created);
            System.out.printf(
                    "%n[bytes] %s: request header 'Cookie: SID=' + %d; response none unless the id changes%n",
                    strategy, id.value().length());
        }
    }

    @TearDown
    public void stop() {
        if (store != null) {
            store.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    /** Open or load the session, read an attribute, change it, and seal or save it. */
    @Benchmark
    public Object request() {
        SessionRecord r = sealer != null
                ? sealer.open(cookie).orElseThrow()
                : store.load(id).orElseThrow();
        r.decode("attr0", codec).orElseThrow();
        ChangeSet change = ChangeSet.builder(r.id(), r.createdAt(), r.absoluteDeadline())
                .accessedAt(Instant.now())
                .set("attr0", codec.encode("attr0", "value-0-changed-" + (counter++ & 1023)))
                .build();
        if (sealer != null) {
            cookie = sealer.seal(r.apply(change));
            return cookie;
        }
        return store.save(change);
    }
}
