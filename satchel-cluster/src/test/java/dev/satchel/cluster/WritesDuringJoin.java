package dev.satchel.cluster;

import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;

/**
 * Writers that keep changing sessions on some nodes while the test makes another node join: the
 * case where a save leaves in one view and lands in the next. Each writer owns its sessions and
 * records the last value it saved for each, to compare every copy with afterwards.
 */
final class WritesDuringJoin implements AutoCloseable {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final List<Thread> threads = new ArrayList<>();
    /** The last value saved for each session, once its save returned. */
    final Map<SessionId, String> expected = new ConcurrentHashMap<>();

    /**
     * Starts {@code perStore} writer threads on each store; {@code change} builds a one-attribute
     * change of a record.
     */
    WritesDuringJoin(
            List<? extends SessionStore> stores,
            int perStore,
            int sessionsPerWriter,
            BiFunction<SessionRecord, String, ChangeSet> change,
            java.util.function.Function<SessionId, ChangeSet> create) {
        int writer = 0;
        for (SessionStore store : stores) {
            for (int t = 0; t < perStore; t++) {
                int w = writer++;
                Thread thread = new Thread(
                        () -> {
                            List<SessionId> mine = new ArrayList<>();
                            for (int i = 0; i < sessionsPerWriter; i++) {
                                SessionId id = SessionId.random();
                                store.save(create.apply(id));
                                expected.put(id, "0");
                                mine.add(id);
                            }
                            try {
                                for (long n = 1; running.get(); n++) {
                                    SessionId id = mine.get((int) (n % mine.size()));
                                    SessionRecord r = store.load(id)
                                            .orElseThrow(() ->
                                                    new AssertionError("writer " + w + " lost its session " + id));
                                    String value = w + ":" + n;
                                    store.save(change.apply(r, value));
                                    expected.put(id, value);
                                }
                            } catch (Throwable e) {
                                failure.compareAndSet(null, e);
                            }
                        },
                        "writer-" + w);
                thread.start();
                threads.add(thread);
            }
        }
    }

    static String text(byte[] value) {
        return value == null ? "<none>" : new String(value, StandardCharsets.UTF_8);
    }

    /** Stops the writers and rethrows the first failure of any. */
    @Override
    public void close() throws Exception {
        running.set(false);
        for (Thread t : threads) {
            t.join(10_000);
        }
        if (failure.get() != null) {
            throw new AssertionError("a writer failed", failure.get());
        }
    }
}
