package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore.SaveOutcome;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.testkit.Await;
import dev.satchel.testkit.RedisSentinelGroup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Sentinel failover under load: the master is SIGKILLed while a client writes, the sentinels
 * promote the replica, and the store follows them. Counts the acknowledged writes that did not
 * survive, without WAIT and with WAIT 1, and writes the figures to {@code target/sentinel-failover.txt}.
 */
class RedisSentinelIT {
    private static final int SESSIONS = 200;
    private static final int WRITES_BEFORE_KILL = 2_000;
    private static final int WRITES_AFTER_FAILOVER = 500;
    private static final int WRITERS = 8;

    record Outcome(
            int waitReplicas, int acknowledged, int lostWrites, int lostSessions, int failedWrites, long outageMillis) {
        String line() {
            return String.format(
                    "WAIT %d: %d acknowledged writes, %d lost, %d sessions lost of %d, %d writes refused (503) during"
                            + " a %d ms outage",
                    waitReplicas, acknowledged, lostWrites, lostSessions, SESSIONS, failedWrites, outageMillis);
        }
    }

    @Test
    void withoutWait_sessionsStayReadable_andTheLossOfAcknowledgedWritesIsCounted() throws Exception {
        Outcome outcome = failOverUnderLoad(0);
        record(outcome);
        assertThat(outcome.lostSessions())
                .as("sessions created long before the kill")
                .isZero();
        assertThat(outcome.acknowledged()).isGreaterThan(WRITES_BEFORE_KILL);
    }

    @Test
    void withWait_noAcknowledgedWriteIsLost() throws Exception {
        Outcome outcome = failOverUnderLoad(1);
        record(outcome);
        assertThat(outcome.lostSessions()).isZero();
        assertThat(outcome.lostWrites())
                .as("acknowledged writes lost with WAIT 1")
                .isZero();
    }

    private Outcome failOverUnderLoad(int waitReplicas) throws Exception {
        Path dir = Files.createTempDirectory("satchel-sentinel");
        try (RedisSentinelGroup group = RedisSentinelGroup.start(dir);
                RedisSessionStore store = RedisSessionStore.builder(group.uri())
                        .timeout(Duration.ofSeconds(1))
                        .waitForReplicas(waitReplicas)
                        .waitForReplicasTimeout(Duration.ofMillis(500))
                        .build()) {
            int firstMaster = group.currentMasterPort();
            List<SessionId> ids = new ArrayList<>();
            Instant now = Instant.now();
            for (int i = 0; i < SESSIONS; i++) {
                SessionId id = SessionId.random();
                store.save(ChangeSet.builder(id, now, now.plus(Duration.ofHours(1)))
                        .created()
                        .accessedAt(now)
                        .maxInactiveInterval(Duration.ofMinutes(30))
                        .set("n", bytes(-1))
                        .build());
                ids.add(id);
            }
            // Writers on several threads, each owning its own sessions, so that many saves are in
            // flight when the master dies; each remembers the last value acknowledged per session.
            Map<SessionId, Integer> acknowledged = new ConcurrentHashMap<>();
            AtomicInteger ok = new AtomicInteger();
            AtomicInteger failed = new AtomicInteger();
            AtomicInteger gone = new AtomicInteger();
            AtomicLong killedAt = new AtomicLong();
            AtomicLong backAt = new AtomicLong();
            // Counted down by the write that reaches WRITES_BEFORE_KILL: the kill follows at once,
            // while the other writers' saves are in flight (a poll would let them run past it).
            CountDownLatch killPoint = new CountDownLatch(1);
            ExecutorService writers = Executors.newFixedThreadPool(WRITERS);
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                int writer = w;
                done.add(writers.submit(() -> {
                    for (int n = writer;
                            ok.get() < WRITES_BEFORE_KILL + WRITES_AFTER_FAILOVER
                                    && !Thread.currentThread().isInterrupted();
                            n += WRITERS) {
                        if (gone.get() > SESSIONS) {
                            throw new AssertionError(
                                    "the store lost the sessions (" + gone + " saves found theirs gone)");
                        }
                        SessionId id = ids.get(n % SESSIONS);
                        try {
                            SaveOutcome saved = store.save(ChangeSet.builder(id, now, now.plus(Duration.ofHours(1)))
                                    .set("n", bytes(n))
                                    .build());
                            if (saved == SaveOutcome.GONE) {
                                gone.incrementAndGet(); // the session itself did not survive the failover
                                continue;
                            }
                            acknowledged.put(id, n);
                            int acked = ok.incrementAndGet();
                            if (acked == WRITES_BEFORE_KILL) {
                                killPoint.countDown();
                            } else if (acked > WRITES_BEFORE_KILL && killedAt.get() != 0) {
                                backAt.compareAndSet(0, System.nanoTime());
                            }
                        } catch (SessionStoreUnavailableException e) {
                            failed.incrementAndGet();
                            TimeUnit.MILLISECONDS.sleep(20);
                        }
                    }
                    return null;
                }));
            }
            try {
                assertThat(killPoint.await(60, TimeUnit.SECONDS))
                        .as(WRITES_BEFORE_KILL + " writes acknowledged before the kill, within 60 s")
                        .isTrue();
                group.master().kill(); // SIGKILL: whatever no replica has received yet is gone
                killedAt.set(System.nanoTime());
                Await.until(
                        Duration.ofSeconds(60),
                        ok::get,
                        acked -> done.stream().allMatch(Future::isDone),
                        "the writers to finish, the store back after the kill (value: writes acknowledged)");
                for (Future<?> f : done) {
                    f.get(); // a writer's failure, if any
                }
            } finally {
                writers.shutdownNow();
            }
            assertThat(group.currentMasterPort())
                    .as("the sentinels promoted the replica")
                    .isNotEqualTo(firstMaster);
            int lostWrites = 0;
            int lostSessions = 0;
            for (SessionId id : ids) {
                Optional<SessionRecord> r = store.load(id);
                if (r.isEmpty()) {
                    lostSessions++;
                } else if (acknowledged.containsKey(id)
                        && Integer.parseInt(new String(r.get().attributes().get("n"), StandardCharsets.UTF_8))
                                < acknowledged.get(id)) {
                    lostWrites++; // the last acknowledged value for this session is not what survived
                }
            }
            return new Outcome(
                    waitReplicas,
                    ok.get(),
                    lostWrites,
                    lostSessions,
                    failed.get(),
                    TimeUnit.NANOSECONDS.toMillis(backAt.get() - killedAt.get()));
        }
    }

    private static byte[] bytes(int n) {
        return Integer.toString(n).getBytes(StandardCharsets.UTF_8);
    }

    private static void record(Outcome outcome) throws IOException {
        System.out.println("sentinel failover: " + outcome.line());
        Path report = Path.of("target", "sentinel-failover.txt");
        Files.createDirectories(report.getParent());
        Files.writeString(
                report, outcome.line() + System.lineSeparator(), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
}
