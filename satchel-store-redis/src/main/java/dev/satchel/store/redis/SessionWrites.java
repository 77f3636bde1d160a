package dev.satchel.store.redis;

import static dev.satchel.store.redis.RedisCalls.call;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.PrincipalChange;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore.SaveOutcome;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.store.redis.ScriptArgs.SaveMode;
import dev.satchel.store.redis.ScriptArgs.Saved;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a change set reaches Redis: which script runs, on which connection, and whether replicas
 * must have it first ({@code WAIT}). A save and a login on one server are one script each; an id
 * change on Redis Cluster, where the old and the new key sit in different slots, is two.
 */
final class SessionWrites {
    private static final Logger LOG = LoggerFactory.getLogger(SessionWrites.class);

    /** How a save ended, and the version the script answered (-1 where none is known). */
    record Written(SaveOutcome outcome, long version) {}

    private final RedisConnections connections;
    private final RedisClusterCommands<String, byte[]> redis;
    private final HashLayout layout;
    private final PrincipalIndex index;
    private final Clock clock;
    private final int waitReplicas;
    private final Duration waitTimeout;
    private final Script saveScript;
    private final Script takeScript;
    private final Script deleteScript;

    SessionWrites(
            RedisConnections connections,
            HashLayout layout,
            PrincipalIndex index,
            Clock clock,
            int waitReplicas,
            Duration waitTimeout) {
        this.connections = connections;
        this.redis = connections.commands();
        this.layout = layout;
        this.index = index;
        this.clock = clock;
        this.waitReplicas = waitReplicas;
        this.waitTimeout = waitTimeout;
        this.saveScript = Script.load("save.lua", redis);
        this.takeScript = Script.load("take.lua", redis);
        this.deleteScript = Script.load("delete.lua", redis);
    }

    /** Saves a change set that does not invalidate its session. */
    Written save(ChangeSet changes) {
        if (changes.previousId().isPresent()) {
            SaveOutcome outcome = connections.isCluster()
                    ? renameAcrossSlots(changes.previousId().get(), changes)
                    : rename(changes.previousId().get(), changes);
            return new Written(outcome, -1);
        }
        Saved saved = runSave(
                changes.created() ? SaveMode.CREATE : SaveMode.UPDATE,
                Optional.empty(),
                clock.instant(),
                changes,
                changes.setAttributes());
        if (saved.gone()) {
            return new Written(SaveOutcome.GONE, saved.version());
        }
        if (saved.conflict()) {
            return new Written(SaveOutcome.CONFLICT, saved.version());
        }
        index.afterSave(changes.id(), saved, changes.principal().flatMap(PrincipalChange::name));
        boolean created = changes.created() && saved.version() == 1;
        return new Written(created ? SaveOutcome.CREATED : SaveOutcome.UPDATED, saved.version());
    }

    /**
     * An id change on one server: one script renames the hash and applies the change set, so the
     * old id dies in the step that gives birth to the new one. Of two concurrent logins from one
     * id, one wins and the other is GONE; a save or logout under the old id comes wholly before it
     * or finds the old id gone.
     */
    private SaveOutcome rename(SessionId previous, ChangeSet changes) {
        Saved saved =
                runSave(SaveMode.RENAME, Optional.of(previous), clock.instant(), changes, changes.setAttributes());
        return saved.gone() ? SaveOutcome.GONE : SaveOutcome.UPDATED;
    }

    /**
     * An id change on Redis Cluster, where the old and the new key hash to different slots and no
     * script can reach both. First one script takes the session out of its old key (reads and
     * deletes it in one step): only one renamer can win, and a save to the old id comes wholly
     * before (and is carried along) or finds it gone. Then the session is written under the new id.
     * Never two live ids; but between the two steps the session is under neither id, and if this
     * node dies or Redis fails between them, it is lost and the user signs in again.
     */
    private SaveOutcome renameAcrossSlots(SessionId previous, ChangeSet changes) {
        String oldKey = layout.key(previous);
        RedisClusterCommands<String, byte[]> writer = waitReplicas > 0 ? connections.writerFor(oldKey) : redis;
        Instant now = clock.instant();
        List<Object> taken = call(
                previous,
                () -> takeScript.run(writer, ScriptOutputType.MULTI, new String[] {oldKey}, ScriptArgs.take(now)));
        if (taken.isEmpty()) {
            return SaveOutcome.GONE;
        }
        // Unless replicas have the removal, a failover could bring the old id back: write no new one.
        awaitReplicas(writer, "the removal of the old id");
        SessionRecord old = layout.decode(previous, HashLayout.pairs(taken));
        SessionRecord renamed = old.apply(changes);
        ChangeSet copy = ChangeSet.builder(renamed.id(), renamed.createdAt(), renamed.absoluteDeadline())
                .created()
                .accessedAt(renamed.lastAccessedAt())
                .maxInactiveInterval(renamed.maxInactiveInterval())
                .principal(new PrincipalChange(renamed.principal()))
                .build();
        Saved saved;
        try {
            saved = runSave(SaveMode.CREATE, Optional.empty(), now, copy, renamed.attributes());
        } catch (RuntimeException e) {
            LOG.warn(
                    "an id change took the session from its old id but could not write it under the new one;"
                            + " the session is lost",
                    e);
            throw e;
        }
        renamed.principal().ifPresent(p -> index.add(p, renamed.id(), saved.deadline()));
        old.principal().ifPresent(p -> index.remove(p, previous, saved.deadline()));
        return SaveOutcome.UPDATED;
    }

    /**
     * Runs the save script. {@code previous} is the old id of a rename on one server, whose key
     * the script reaches as its second key.
     */
    private Saved runSave(
            SaveMode mode, Optional<SessionId> previous, Instant now, ChangeSet c, Map<String, byte[]> attributes) {
        byte[][] args = ScriptArgs.save(mode, previous, now, c, attributes, index.scriptPrefix());
        String[] keys = ScriptArgs.saveKeys(layout, c.id(), previous);
        // With WAIT, the script and the WAIT go to the key's own master over one connection, since
        // WAIT counts the replicas that acknowledged that connection's writes.
        RedisClusterCommands<String, byte[]> writer = waitReplicas > 0 ? connections.writerFor(keys[0]) : redis;
        List<Object> answer = call(c.id(), () -> saveScript.run(writer, ScriptOutputType.MULTI, keys, args));
        Saved saved = ScriptArgs.saved(answer);
        if (saved.written()) {
            awaitReplicas(writer, "the save");
        }
        return saved;
    }

    private void awaitReplicas(RedisClusterCommands<String, byte[]> writer, String what) {
        if (waitReplicas == 0) {
            return;
        }
        long acknowledged = call(() -> writer.waitForReplication(waitReplicas, waitTimeout.toMillis()));
        if (acknowledged < waitReplicas) {
            throw new SessionStoreUnavailableException(
                    what + " reached " + acknowledged + " of " + waitReplicas + " replicas within " + waitTimeout
                            + "; it is on the master but could be lost in a failover",
                    null);
        }
    }

    /** Deletes a session's hash and unlists it from its owner's index; true if there was a hash. */
    boolean remove(SessionId id) {
        ScriptArgs.Deleted answer = ScriptArgs.deleted(call(
                id,
                () -> deleteScript.run(
                        redis,
                        ScriptOutputType.MULTI,
                        new String[] {layout.key(id)},
                        ScriptArgs.delete(index.scriptPrefix(), id))));
        // Redis Cluster: the script left the index to us. The id is dead, so nothing can list it again.
        answer.unindex().ifPresent(principal -> index.removeDead(principal, id));
        return answer.deleted();
    }
}
