package dev.satchel.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionId;
import dev.satchel.store.redis.ScriptArgs.SaveMode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The scripts' arguments as the scripts read them. {@code argv(args, k)} is Lua's {@code ARGV[k]}
 * (1-based), so each position checked here is the one {@code save.lua} reads.
 */
class ScriptArgsTest {
    private static final Instant CREATED = Instant.ofEpochMilli(1_000_000);
    private static final Instant NOW = Instant.ofEpochMilli(1_060_000);
    private static final Instant DEADLINE = Instant.ofEpochMilli(9_000_000);
    private static final byte[] INDEX = "app:p:".getBytes(StandardCharsets.US_ASCII);
    private final SessionId id = SessionId.random();

    private static String argv(byte[][] args, int k) {
        return new String(args[k - 1], StandardCharsets.UTF_8);
    }

    private ChangeSet.Builder change() {
        return ChangeSet.builder(id, CREATED, DEADLINE);
    }

    @Test
    void attributesSetAndRemoved_sitWhereSaveLuaCountsThem() {
        ChangeSet c = change().accessedAt(NOW)
                .set("prénom", "Zoë".getBytes(StandardCharsets.UTF_8))
                .set("cart", new byte[] {1, 2, 3})
                .remove("old")
                .build();
        byte[][] args = ScriptArgs.save(SaveMode.UPDATE, Optional.empty(), NOW, c, c.setAttributes(), INDEX);
        int n = Integer.parseInt(argv(args, 11));
        assertThat(n).isEqualTo(2);
        int removed = Integer.parseInt(argv(args, 12 + 2 * n));
        assertThat(removed).isEqualTo(1);
        assertThat(argv(args, 13 + 2 * n + removed)).as("no expectations").isEqualTo("0");
        assertThat(args.length).as("#ARGV, which save.lua checks").isEqualTo(13 + 2 * n + removed);
        Map<String, byte[]> sent = new java.util.HashMap<>();
        for (int at = 12; at < 12 + 2 * n; at += 2) {
            sent.put(argv(args, at), args[at]);
        }
        assertThat(sent).containsOnlyKeys("prénom", "cart");
        assertThat(sent.get("cart")).containsExactly(1, 2, 3);
        assertThat(argv(args, 13 + 2 * n)).isEqualTo("old");
    }

    @Test
    void expectations_followTheRemovedNames_asNameFlagValueTriples() {
        ChangeSet c = change().set("cart", new byte[] {9})
                .expect("cart", dev.satchel.core.ExpectedValue.of(new byte[] {1, 2}))
                .expect("coupon", dev.satchel.core.ExpectedValue.absent())
                .build();
        byte[][] args = ScriptArgs.save(SaveMode.UPDATE, Optional.empty(), NOW, c, c.setAttributes(), INDEX);
        int at = 13 + 2 * 1 + 0;
        assertThat(argv(args, at)).isEqualTo("2");
        Map<String, String> flags = new java.util.HashMap<>();
        Map<String, byte[]> values = new java.util.HashMap<>();
        for (int i = at + 1; i < at + 1 + 3 * 2; i += 3) {
            flags.put(argv(args, i), argv(args, i + 1));
            values.put(argv(args, i), args[i + 1]);
        }
        assertThat(flags).containsEntry("cart", "1").containsEntry("coupon", "0");
        assertThat(values.get("cart")).containsExactly(1, 2);
        assertThat(values.get("coupon")).isEmpty();
        assertThat(args.length).isEqualTo(at + 3 * 2);
    }

    @Test
    void theFixedArguments_areInSaveLuasOrder() {
        ChangeSet c = change().accessedAt(NOW)
                .maxInactiveInterval(Duration.ofMinutes(30))
                .principal(PrincipalChange.to("ann"))
                .build();
        byte[][] args = ScriptArgs.save(SaveMode.UPDATE, Optional.empty(), NOW, c, c.setAttributes(), INDEX);
        assertThat(Arrays.stream(args, 0, 11).map(a -> new String(a, StandardCharsets.UTF_8)))
                .containsExactly(
                        "update",
                        "1060000",
                        "1000000",
                        "9000000",
                        "1800000",
                        "1060000",
                        "=ann",
                        "app:p:",
                        id.value(),
                        "",
                        "0");
    }

    @Test
    void unchangedValues_goAsEmptyStrings_andAClearedOwnerAsADash() {
        ChangeSet c = change().principal(PrincipalChange.cleared()).build();
        byte[][] args = ScriptArgs.save(SaveMode.UPDATE, Optional.empty(), NOW, c, c.setAttributes(), INDEX);
        assertThat(argv(args, 5)).as("idle timeout").isEmpty();
        assertThat(argv(args, 6)).as("access time").isEmpty();
        assertThat(argv(args, 7)).as("principal").isEqualTo("-");
        ChangeSet noOwnerChange = change().build();
        assertThat(argv(ScriptArgs.save(SaveMode.UPDATE, Optional.empty(), NOW, noOwnerChange, Map.of(), INDEX), 7))
                .isEmpty();
    }

    @Test
    void aCreateWithoutAnAccessTime_sendsItsCreationTime_soTheScriptNeedNotGuess() {
        ChangeSet c =
                change().created().maxInactiveInterval(Duration.ofMinutes(30)).build();
        byte[][] args = ScriptArgs.save(SaveMode.CREATE, Optional.empty(), NOW, c, c.setAttributes(), INDEX);
        assertThat(argv(args, 1)).isEqualTo("create");
        assertThat(argv(args, 6)).isEqualTo(Long.toString(CREATED.toEpochMilli()));
    }

    @Test
    void aRename_namesTheOldIdAsArgumentAndAsSecondKey() {
        SessionId previous = SessionId.random();
        ChangeSet c =
                ChangeSet.builder(previous, CREATED, DEADLINE).changeId(id).build();
        byte[][] args = ScriptArgs.save(SaveMode.RENAME, Optional.of(previous), NOW, c, Map.of(), INDEX);
        assertThat(argv(args, 1)).isEqualTo("rename");
        assertThat(argv(args, 9)).isEqualTo(id.value());
        assertThat(argv(args, 10)).isEqualTo(previous.value());
        HashLayout layout = new HashLayout("app:");
        assertThat(ScriptArgs.saveKeys(layout, id, Optional.of(previous)))
                .containsExactly(layout.key(id), layout.key(previous));
        assertThat(ScriptArgs.saveKeys(layout, id, Optional.empty())).containsExactly(layout.key(id));
    }

    @Test
    void onRedisCluster_theIndexPrefixIsEmpty_soTheScriptsLeaveTheIndexToTheCaller() {
        ChangeSet c = change().build();
        byte[][] args = ScriptArgs.save(SaveMode.UPDATE, Optional.empty(), NOW, c, Map.of(), new byte[0]);
        assertThat(args[7]).isEmpty();
        assertThat(ScriptArgs.delete(new byte[0], id)[0]).isEmpty();
        assertThat(argv(ScriptArgs.delete(INDEX, id), 2)).isEqualTo(id.value());
    }

    @Test
    void theOtherScriptsArguments() {
        assertThat(argv(ScriptArgs.take(NOW), 1)).isEqualTo("1060000");
        byte[][] index = ScriptArgs.index(id, 42_000);
        assertThat(argv(index, 1)).isEqualTo(id.value());
        assertThat(argv(index, 2)).isEqualTo("42000");
    }

    @Test
    void saveAnswers_readAsVersionOwnerToUnindexAndDeadline() {
        ScriptArgs.Saved moved =
                ScriptArgs.saved(Arrays.asList(3L, "ann".getBytes(StandardCharsets.UTF_8), 9_000_000L));
        assertThat(moved).isEqualTo(new ScriptArgs.Saved(3, Optional.of("ann"), 9_000_000));
        assertThat(moved.gone()).isFalse();
        ScriptArgs.Saved gone = ScriptArgs.saved(Arrays.asList(-1L, null, 0L));
        assertThat(gone.gone()).isTrue();
        assertThat(gone.unindex()).isEmpty();
    }

    @Test
    void deleteAnswers_readAsDeletedAndOwnerToUnindex() {
        assertThat(ScriptArgs.deleted(Arrays.asList(1L, null)))
                .isEqualTo(new ScriptArgs.Deleted(true, Optional.empty()));
        assertThat(ScriptArgs.deleted(List.of(1L, "bo".getBytes(StandardCharsets.UTF_8))))
                .isEqualTo(new ScriptArgs.Deleted(true, Optional.of("bo")));
        assertThat(ScriptArgs.deleted(Arrays.asList(0L, null)).deleted()).isFalse();
    }
}
