package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.SessionStoreContract;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.testkit.LocalRedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shared store contract, and Redis's own promises, against a real redis-server process. */
class RedisSessionStoreIT extends SessionStoreContract {
    private static LocalRedisServer server;

    @BeforeAll
    static void startRedis() throws Exception {
        server = LocalRedisServer.start(java.nio.file.Files.createTempDirectory("satchel-redis"));
    }

    @AfterAll
    static void stopRedis() throws Exception {
        server.close();
    }

    private String prefix;
    private RedisSessionStore peer;

    @Override
    protected SessionStore createStore(Clock clock) {
        prefix = "t" + System.nanoTime() + ":";
        return RedisSessionStore.builder(server.uri())
                .clock(clock)
                .keyPrefix(prefix)
                .build();
    }

    @Override
    protected boolean expectsConditionalSaves() {
        return true;
    }

    /** A second client of the same server and keys, as another node of the application has. */
    @Override
    protected SessionStore peerStore() {
        if (peer == null) {
            peer = RedisSessionStore.builder(server.uri())
                    .clock(clock)
                    .keyPrefix(prefix)
                    .build();
        }
        return peer;
    }

    @org.junit.jupiter.api.AfterEach
    void closePeer() {
        if (peer != null) {
            peer.close();
            peer = null;
        }
    }

    @Override
    protected void reclaimExpired(SessionStore store) {
        // Redis reclaims by TTL on its own clock; the fake clock's expiry is enforced on read.
    }

    private String raw(String command, String key) {
        RedisClient client = RedisClient.create(server.uri());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            return switch (command) {
                case "pttl" -> Long.toString(c.sync().pttl(key));
                case "keys" -> String.join(",", c.sync().keys(key));
                case "scard" -> Long.toString(c.sync().scard(key));
                default -> throw new IllegalArgumentException(command);
            };
        } finally {
            client.shutdown();
        }
    }

    @Test
    void everyKeyOfASession_sitsInOneSlot_andLivesExactlyAsLongAsTheSession() {
        SessionRecord r = create(Map.of("a", "1"));
        String keys = raw("keys", "*" + r.id().value() + "*");
        assertThat(keys.split(",")).hasSize(1).allSatisfy(k -> assertThat(k).contains("{" + r.id().value() + "}"));
        long ttl = Long.parseLong(raw("pttl", keys));
        assertThat(ttl).isBetween(IDLE.toMillis() - 5_000, IDLE.toMillis());
    }

    /** Commands the server has executed, by name, from {@code INFO commandstats}. */
    private Map<String, Long> commandCounts() {
        RedisClient client = RedisClient.create(server.uri());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            Map<String, Long> counts = new java.util.HashMap<>();
            for (String line : c.sync().info("commandstats").split("\r?\n")) {
                if (line.startsWith("cmdstat_")) {
                    String name = line.substring("cmdstat_".length(), line.indexOf(':'));
                    String calls =
                            line.substring(line.indexOf("calls=") + 6, line.indexOf(',', line.indexOf("calls=")));
                    counts.put(name, Long.parseLong(calls));
                }
            }
            return counts;
        } finally {
            client.shutdown();
        }
    }

    /** What the server executed between two snapshots, leaving out the snapshots' own INFO calls. */
    private static Map<String, Long> delta(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> d = new java.util.TreeMap<>();
        after.forEach((name, calls) -> {
            long n = calls - before.getOrDefault(name, 0L);
            if (n > 0 && !name.equals("info") && !name.equals("hello") && !name.startsWith("client")) {
                d.put(name, n);
            }
        });
        return d;
    }

    @Test
    void loadIsOneCommand_andASaveIsOneScriptCall() {
        SessionRecord r = create(Map.of("a", "1", "b", "2"));
        Map<String, Long> before = commandCounts();
        store.load(r.id());
        Map<String, Long> afterLoad = commandCounts();
        assertThat(delta(before, afterLoad)).containsExactly(Map.entry("hgetall", 1L));
        store.save(change(r)
                .set("b", bytes("3"))
                .remove("a")
                .accessedAt(clock.instant())
                .build());
        Map<String, Long> afterSave = commandCounts();
        // EVALSHA is one round trip; the commands the script runs inside it are counted by name too.
        Map<String, Long> save = delta(afterLoad, afterSave);
        assertThat(save).containsEntry("evalsha", 1L).doesNotContainKeys("hgetall", "rename", "eval", "multi");
    }

    @Test
    void aLoginThatChangesTheId_isOneScriptCall() {
        SessionRecord r = create(Map.of("a", "1"));
        Map<String, Long> before = commandCounts();
        store.save(change(r)
                .changeId(SessionId.random())
                .principal(dev.satchel.core.PrincipalChange.to("eve"))
                .accessedAt(clock.instant())
                .build());
        Map<String, Long> login = delta(before, commandCounts());
        assertThat(login).containsEntry("evalsha", 1L).doesNotContainKeys("hgetall", "del", "eval");
    }

    @Test
    void aSessionNobodyReadsAgain_getsOneExpiredEvent_whenRedisTtlRemovesIt() throws Exception {
        try (RedisSessionStore s = RedisSessionStore.builder(server.uri())
                .keyPrefix("ttl" + System.nanoTime() + ":")
                .enableKeyspaceEvents(true)
                .build()) {
            java.util.concurrent.LinkedBlockingQueue<dev.satchel.core.SessionEvent> events =
                    new java.util.concurrent.LinkedBlockingQueue<>();
            s.subscribe(events::add);
            SessionId id = SessionId.random();
            java.time.Instant now = java.time.Instant.now();
            s.save(ChangeSet.builder(id, now, now.plus(ABSOLUTE))
                    .created()
                    .accessedAt(now)
                    .maxInactiveInterval(Duration.ofMillis(300))
                    .build());
            assertThat(events.poll(5, java.util.concurrent.TimeUnit.SECONDS).type())
                    .isEqualTo(dev.satchel.core.SessionEvent.Type.CREATED);
            dev.satchel.core.SessionEvent expired = events.poll(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(expired).as("an EXPIRED event from Redis's own TTL").isNotNull();
            assertThat(expired.type()).isEqualTo(dev.satchel.core.SessionEvent.Type.EXPIRED);
            assertThat(expired.id()).isEqualTo(id);
            assertThat(events.poll(500, java.util.concurrent.TimeUnit.MILLISECONDS))
                    .as("exactly once")
                    .isNull();
            assertThat(s.load(id)).isEmpty();
        }
    }

    /** Runs {@code command} on a plain connection of its own. */
    private <T> T rawly(
            java.util.function.Function<io.lettuce.core.api.sync.RedisCommands<String, String>, T> command) {
        RedisClient client = RedisClient.create(server.uri());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            return command.apply(c.sync());
        } finally {
            client.shutdown();
        }
    }

    /** Two stores on one key prefix, standing in for two app nodes. */
    private IdChangeRaces races(String prefix) {
        return new IdChangeRaces(
                RedisSessionStore.builder(server.uri())
                        .clock(clock)
                        .keyPrefix(prefix)
                        .build(),
                RedisSessionStore.builder(server.uri())
                        .clock(clock)
                        .keyPrefix(prefix)
                        .build(),
                clock);
    }

    private static void report(String line) throws java.io.IOException {
        System.out.println(line);
        java.nio.file.Path file = java.nio.file.Path.of("target", "redis-races.txt");
        java.nio.file.Files.createDirectories(file.getParent());
        java.nio.file.Files.writeString(
                file,
                line + System.lineSeparator(),
                java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
    }

    // ---- id changes racing other requests (issue 11, item 14) ------------------------------

    @Test
    void aLoginSubmittedTwice_leavesExactlyOneLiveId_andOneIndexedId() throws Exception {
        String prefix = "race" + System.nanoTime() + ":";
        int trials = 500;
        try (IdChangeRaces races = races(prefix);
                RedisSessionStore reader = RedisSessionStore.builder(server.uri())
                        .clock(clock)
                        .keyPrefix(prefix)
                        .build()) {
            IdChangeRaces.DoubleLogins got = races.doubleLogins(trials, "ann");
            long indexed = Long.parseLong(raw("scard", prefix + "p:{ann}"));
            report(String.format(
                    "standalone double login: %d of %d left two live ids, %d none; %d ids indexed for ann",
                    got.withTwoLiveIds(), trials, got.withNoLiveId(), indexed));
            assertThat(got.withTwoLiveIds()).as("trials that left two live ids").isZero();
            assertThat(got.withNoLiveId()).as("trials that left no live id").isZero();
            assertThat(indexed).as("ids indexed for the user").isEqualTo(trials);
            assertThat(reader.findByPrincipal("ann")).hasSize(trials);
        }
    }

    @Test
    void aSaveToTheOldIdDuringARename_isMovedAlongOrGone_neverAcknowledgedAndLost() throws Exception {
        int trials = 500;
        try (IdChangeRaces races = races("race" + System.nanoTime() + ":")) {
            IdChangeRaces.SavesDuringRename got = races.savesToTheOldIdDuringARename(trials, 8);
            report(String.format(
                    "standalone saves to the old id during a rename: %d of %d acknowledged saves lost, in %d of %d trials",
                    got.lost(), got.acknowledged(), got.trialsWithALoss(), trials));
            assertThat(got.lost())
                    .as("acknowledged saves missing from the renamed session")
                    .isZero();
        }
    }

    @Test
    void aLogoutDuringARename_isNeverUndone() throws Exception {
        int trials = 500;
        try (IdChangeRaces races = races("race" + System.nanoTime() + ":")) {
            IdChangeRaces.LogoutsDuringRename got = races.logoutsDuringARename(trials);
            report(String.format(
                    "standalone logout during a rename: %d of %d logouts undone, %d sessions lost; the logout came first in %d",
                    got.logoutsUndone(), trials, got.sessionsLost(), got.logoutsThatWon()));
            assertThat(got.logoutsUndone())
                    .as("logouts that reported a deletion, yet the session lives on")
                    .isZero();
            assertThat(got.sessionsLost())
                    .as("renames that reported success, yet no id is live")
                    .isZero();
        }
    }

    // ---- the principal index (item 16) -----------------------------------------------------

    @Test
    void loginLogoutCycles_leaveNoDeadMemberInTheIndex() {
        String prefix = "idx" + System.nanoTime() + ":";
        int cycles = 500;
        try (RedisSessionStore s = RedisSessionStore.builder(server.uri())
                .clock(clock)
                .keyPrefix(prefix)
                .build()) {
            for (int i = 0; i < cycles; i++) {
                SessionId id = SessionId.random();
                s.save(newSession(id)
                        .principal(dev.satchel.core.PrincipalChange.to("bea"))
                        .build());
                if (i % 2 == 0) {
                    s.save(ChangeSet.builder(
                                    id, clock.instant(), clock.instant().plus(ABSOLUTE))
                            .invalidated()
                            .build());
                } else {
                    s.delete(id); // "log out everywhere" and the admin path
                }
            }
            long dead = Long.parseLong(raw("scard", prefix + "p:{bea}"));
            System.out.printf("index after %d login/logout cycles: %d dead members%n", cycles, dead);
            assertThat(dead)
                    .as("members left in the index after %d login/logout cycles", cycles)
                    .isZero();

            // A session handed to another user, and one renamed, leave nothing behind either.
            SessionId handed = SessionId.random();
            s.save(newSession(handed)
                    .principal(dev.satchel.core.PrincipalChange.to("bea"))
                    .build());
            SessionRecord r = s.load(handed).orElseThrow();
            s.save(change(r)
                    .principal(dev.satchel.core.PrincipalChange.to("cy"))
                    .build());
            SessionId renamed = SessionId.random();
            s.save(change(r).changeId(renamed).build());
            assertThat(raw("scard", prefix + "p:{bea}")).isEqualTo("0");
            java.util.Set<String> cy = rawly(c -> c.smembers(prefix + "p:{cy}"));
            assertThat(cy).containsExactly(renamed.value());
        }
    }

    @Test
    void theIndex_livesAtLeastAsLongAsTheLongestLivedSessionInIt() {
        String prefix = "idx" + System.nanoTime() + ":";
        try (RedisSessionStore s = RedisSessionStore.builder(server.uri())
                .clock(clock)
                .keyPrefix(prefix)
                .build()) {
            SessionId id = SessionId.random();
            java.time.Instant now = clock.instant();
            // No idle timeout and a 48 h absolute one: the session lives 48 h.
            s.save(ChangeSet.builder(id, now, now.plus(Duration.ofHours(48)))
                    .created()
                    .accessedAt(now)
                    .maxInactiveInterval(Duration.ZERO)
                    .principal(dev.satchel.core.PrincipalChange.to("dee"))
                    .build());
            // Absolute expiry instants (PEXPIRETIME), so the reads' own timing cannot matter.
            long session = rawly(c -> c.pexpiretime(prefix + "s:{" + id.value() + "}"));
            long index = rawly(c -> c.pexpiretime(prefix + "p:{dee}"));
            System.out.printf("session expires at %d, its index at %d (ms)%n", session, index);
            assertThat(session - System.currentTimeMillis())
                    .isGreaterThan(Duration.ofHours(47).toMillis());
            assertThat(index).as("when the index expires").isGreaterThanOrEqualTo(session);
            // A later, shorter session of the same user does not shorten the index.
            SessionId brief = SessionId.random();
            s.save(newSession(brief)
                    .principal(dev.satchel.core.PrincipalChange.to("dee"))
                    .build());
            long after = rawly(c -> c.pexpiretime(prefix + "p:{dee}"));
            assertThat(after).isGreaterThanOrEqualTo(session);
        }
    }

    // ---- the save script (item 17) ---------------------------------------------------------

    @Test
    void aCreateWithoutAnAccessTime_isSavedWhole_withItsTtl() {
        SessionId id = SessionId.random();
        java.time.Instant now = clock.instant();
        ChangeSet noAccessTime = ChangeSet.builder(id, now, now.plus(ABSOLUTE))
                .created()
                .maxInactiveInterval(IDLE)
                .set("a", bytes("1"))
                .build();
        SessionStore.SaveOutcome outcome;
        try {
            outcome = store.save(noAccessTime);
        } catch (RuntimeException e) {
            System.out.println("create without an access time: " + e + "; key TTL now " + rawly(c -> c.pttl(keyOf(id)))
                    + ", fields " + rawly(c -> c.hkeys(keyOf(id))));
            throw e;
        }
        assertThat(outcome).isEqualTo(SessionStore.SaveOutcome.CREATED);
        SessionRecord r = store.load(id).orElseThrow();
        assertThat(r.lastAccessedAt())
                .as("a session created without an access time was accessed when created")
                .isEqualTo(r.createdAt());
        long ttl = rawly(c -> c.pttl(keyOf(id)));
        assertThat(ttl).isBetween(IDLE.toMillis() - 5_000, IDLE.toMillis());
    }

    @Test
    void aScriptError_isReportedAsARefusal_notAsRedisNotAnswering_andWritesNothing() {
        SessionRecord r = create(Map.of("a", "1"));
        rawly(c -> c.del(keyOf(r.id())) + c.set(keyOf(r.id()), "not a hash").length());
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(
                () -> store.save(change(r).set("b", bytes("2")).build()));
        System.out.println("a save onto a key of the wrong type: " + thrown);
        assertThat(thrown)
                .isInstanceOf(dev.satchel.core.SessionException.class)
                .isNotInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("WRONGTYPE")
                .hasMessageNotContaining("did not answer");
        String left = rawly(c -> c.get(keyOf(r.id())));
        assertThat(left).isEqualTo("not a hash");
    }

    @Test
    void theSaveScript_checksItsArgumentsBeforeItWritesAnything() throws Exception {
        String script;
        try (java.io.InputStream in = RedisSessionStore.class.getResourceAsStream("save.lua")) {
            script = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        String key = keyOf(SessionId.random());
        long now = clock.millis();
        // A create with no access time, one attribute set: mode, now, created, deadline, idle,
        // access, principal, index prefix, id, previous id, 1 set (name, value), 0 removed, 0 expected.
        String[] args = {
            "create",
            Long.toString(now),
            Long.toString(now),
            Long.toString(now + 60_000),
            "60000",
            "",
            "=ann",
            "",
            "id",
            "",
            "1",
            "a",
            "1",
            "0",
            "0"
        };
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(
                () -> rawly(c -> c.eval(script, io.lettuce.core.ScriptOutputType.MULTI, new String[] {key}, args)));
        assertThat(thrown).hasMessageContaining("satchel save refused").hasMessageContaining("access time");
        long exists = rawly(c -> c.exists(key));
        assertThat(exists).as("keys written by a refused save").isZero();
    }

    private String keyOf(SessionId id) {
        return ((RedisSessionStore) store).keyOf(id);
    }

    @Test
    void changeId_leavesNoKeyUnderTheOldId() {
        SessionRecord r = create(Map.of("a", "1"));
        SessionId renamed = SessionId.random();
        store.save(change(r).changeId(renamed).build());
        assertThat(raw("keys", "*" + r.id().value() + "*")).isEmpty();
        assertThat(raw("keys", "*" + renamed.value() + "*")).contains("{" + renamed.value() + "}");
    }

    @Test
    void redisKilled_failsFastWithStoreUnavailable_andNeverHangs() throws Exception {
        try (LocalRedisServer doomed =
                LocalRedisServer.start(java.nio.file.Files.createTempDirectory("satchel-redis"))) {
            RedisSessionStore s = RedisSessionStore.builder(doomed.uri())
                    .timeout(Duration.ofMillis(500))
                    .build();
            try {
                SessionId id = SessionId.random();
                s.save(ChangeSet.builder(id, clock.instant(), clock.instant().plus(ABSOLUTE))
                        .created()
                        .accessedAt(clock.instant())
                        .maxInactiveInterval(IDLE)
                        .build());
                doomed.kill();
                assertTimeoutPreemptively(Duration.ofSeconds(10), () -> assertThatThrownBy(() -> s.load(id))
                        .isInstanceOf(SessionStoreUnavailableException.class)
                        .hasMessageContaining("Redis"));
            } finally {
                s.close();
            }
        }
    }

    @Test
    void unreachableRedis_isRefusedAtStart_withAClearError() {
        assertThatThrownBy(() -> RedisSessionStore.builder("redis://127.0.0.1:1")
                        .timeout(Duration.ofMillis(300))
                        .build())
                .isInstanceOf(SessionStoreUnavailableException.class)
                .hasMessageContaining("cannot connect to Redis at redis://127.0.0.1:1");
    }
}
