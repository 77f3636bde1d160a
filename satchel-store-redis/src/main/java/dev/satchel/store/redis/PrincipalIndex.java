package dev.satchel.store.redis;

import static dev.satchel.store.redis.RedisCalls.call;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The sessions of each user, a set per principal. On one server the save and delete scripts keep
 * it in the same atomic step as the session; on Redis Cluster the set is in another slot than the
 * session, no script reaches both, and this class keeps it with separate commands after each write.
 * Ids of sessions that merely timed out are cleaned when the set is read.
 */
final class PrincipalIndex {
    private final RedisClusterCommands<String, byte[]> redis;
    private final HashLayout layout;
    private final Clock clock;
    private final Script indexScript;
    /** The index prefix the scripts get: empty on Redis Cluster, where the index is in another slot. */
    private final byte[] scriptPrefix;

    PrincipalIndex(RedisConnections connections, HashLayout layout, Clock clock) {
        this.redis = connections.commands();
        this.layout = layout;
        this.clock = clock;
        this.indexScript = Script.load("index.lua", redis);
        this.scriptPrefix = ScriptArgs.ascii(connections.isCluster() ? "" : layout.indexPrefix());
    }

    /** What the scripts get as their index prefix; zero bytes when the caller keeps the index. */
    byte[] scriptPrefix() {
        return scriptPrefix.clone();
    }

    /**
     * After a save on Redis Cluster: the new owner is listed first, then the old one unlisted, so a
     * live session is never missing from its owner's set for longer than the save itself.
     */
    void afterSave(SessionId id, ScriptArgs.Saved saved, Optional<String> owner) {
        if (scriptPrefix.length > 0) {
            return; // the script did it
        }
        owner.ifPresent(p -> add(p, id, saved.deadline()));
        saved.unindex().ifPresent(p -> remove(p, id, saved.deadline()));
    }

    /** Lists a session under its owner, in a set that lives at least until the session's deadline. */
    void add(String principal, SessionId id, long deadline) {
        long life = deadline - clock.millis();
        call(() -> indexScript.run(
                redis,
                ScriptOutputType.INTEGER,
                new String[] {layout.indexKey(principal)},
                ScriptArgs.index(id, life)));
    }

    /** Unlists a session from its former owner's set (Redis Cluster only). */
    void remove(String principal, SessionId id, long deadline) {
        removeDead(principal, id);
        // A concurrent save may have given the session back to this owner between its script and
        // this SREM: list it again, so the index never misses a live session.
        byte[] owner = call(() -> redis.hget(layout.key(id), HashLayout.PRINCIPAL));
        if (owner != null && principal.equals(new String(owner, StandardCharsets.UTF_8))) {
            add(principal, id, deadline);
        }
    }

    /** Unlists an id that can never be listed again: its session was deleted. */
    void removeDead(String principal, SessionId id) {
        call(() -> redis.srem(layout.indexKey(principal), ScriptArgs.ascii(id.value())));
    }

    /**
     * The live sessions of {@code principal}, read through {@code load}; members that are gone,
     * expired or owned by someone else now are dropped from the set on the way.
     */
    List<SessionRecord> find(String principal, Function<SessionId, Optional<SessionRecord>> load) {
        String indexKey = layout.indexKey(principal);
        Set<byte[]> members = call(() -> redis.smembers(indexKey));
        List<SessionRecord> found = new ArrayList<>(members.size());
        for (byte[] member : members) {
            Optional<SessionId> id = SessionId.parse(new String(member, StandardCharsets.US_ASCII));
            Optional<SessionRecord> record = id.flatMap(load);
            if (record.isPresent()
                    && record.get().principal().filter(principal::equals).isPresent()) {
                found.add(record.get());
            } else {
                call(() -> redis.srem(indexKey, member));
            }
        }
        return found;
    }
}
