package dev.satchel.bench.jmh;

import dev.satchel.cookie.RevocationList;
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
import java.time.Clock;
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
 * What the sealed-cookie freshness check costs a request: open a sealed session of 10 attributes
 * with a revocation record, change one attribute, seal it again; the check {@code off} (the record
 * is read for revocations only) or {@code on} (also read for the newest version, and written with
 * it on the seal). The record lives in the node's heap ({@code memory}) or in a redis-server of
 * its own on loopback ({@code redis}), as a cluster would keep it.
 *
 * <p>Each run measures one setting; {@code satchel-bench/scripts/cookie-freshness.sh} runs them in
 * interleaved rounds, so drift on a shared machine falls on both alike.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class CookieFreshnessBenchmark {

    @Param({"off", "on"})
    public String freshness;

    @Param({"memory", "redis"})
    public String record;

    private final DefaultAttributeCodec codec = DefaultAttributeCodec.defaults();
    private SealedCookieSessions sealer;
    private SessionStore store;
    private LocalRedisServer redis;
    private List<String> cookie;
    private int counter;

    @Setup
    public void start() throws Exception {
        store = switch (record) {
            case "memory" -> MemorySessionStore.builder().build();
            case "redis" -> {
                redis = LocalRedisServer.start(Files.createTempDirectory("satchel-bench-freshness"));
                yield RedisSessionStore.builder(redis.uri()).build();
            }
            default -> throw new IllegalArgumentException("unknown record store " + record);
        };
        sealer = SealedCookieSessions.builder("SID")
                .keyset(SealedCookieSessions.generateKeyset())
                .revocations(new RevocationList(store, Clock.systemUTC(), Duration.ofHours(8)))
                .freshnessCheck(freshness.equals("on"))
                .build();
        Instant now = Instant.now();
        ChangeSet.Builder b = ChangeSet.builder(SessionId.random(), now, now.plus(Duration.ofHours(8)))
                .created()
                .accessedAt(now)
                .maxInactiveInterval(Duration.ofMinutes(30));
        for (int i = 0; i < 10; i++) {
            b.set("attr" + i, codec.encode("attr" + i, "value-" + i + "-of-a-typical-session-attribute"));
        }
        cookie = sealer.seal(SessionRecord.create(b.build()));
    }

    @TearDown
    public void stop() {
        store.close();
        if (redis != null) {
            redis.close();
        }
    }

    /** Open the session the client sent, change one attribute, seal the next cookie. */
    @Benchmark
    public List<String> request() {
        SessionRecord r =
                sealer.open(cookie).orElseThrow(() -> new IllegalStateException("refused: " + sealer.stats()));
        ChangeSet change = ChangeSet.builder(r.id(), r.createdAt(), r.absoluteDeadline())
                .accessedAt(Instant.now())
                .set("attr0", codec.encode("attr0", "value-0-changed-" + (counter++ & 1023)))
                .build();
        cookie = sealer.seal(r.apply(change));
        return cookie;
    }

    /** Opens the cookie the client last got, for the smoke test. */
    boolean opens(List<String> values) {
        return sealer.open(values).isPresent();
    }

    List<String> cookie() {
        return cookie;
    }
}
