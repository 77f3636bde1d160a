package dev.satchel.bench.cluster;

import dev.satchel.cluster.PrimaryBackupSessionStore;
import dev.satchel.cluster.ReplicatedSessionStore;
import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionRecord;
import dev.satchel.core.SessionStore;
import dev.satchel.core.codec.DefaultAttributeCodec;
import dev.satchel.core.memory.MemorySessionStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.ToIntFunction;

/**
 * What the two clustering strategies cost as the cluster grows, nodes in one JVM on JGroups' shared
 * loopback: sessions held per node (memory), bytes sent per save, and saves per second from one
 * thread. Run: {@code java -cp satchel-bench/target/benchmarks.jar dev.satchel.bench.cluster.ClusterBench
 * [sessions]} (default 100,000).
 */
public final class ClusterBench {
    private static final DefaultAttributeCodec CODEC = DefaultAttributeCodec.defaults();

    private ClusterBench() {}

    public static void main(String[] args) throws Exception {
        int sessions = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        long perSession = bytesPerSession(sessions);
        System.out.printf(
                "One session of 10 attributes takes about %,d bytes of heap in a node's store.%n%n", perSession);
        System.out.println(
                "| strategy | nodes | sessions held per node | heap per node (est.) | bytes sent per save | saves/s (1 thread) |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
        for (int nodes : new int[] {3, 6}) {
            run("replicated", nodes, sessions, perSession);
            run("primary-backup", nodes, sessions, perSession);
        }
    }

    private static void run(String strategy, int nodes, int sessions, long perSession) {
        String cluster = "bench-" + UUID.randomUUID();
        List<SessionStore> members = new ArrayList<>();
        try {
            for (int i = 0; i < nodes; i++) {
                members.add(
                        strategy.equals("replicated")
                                ? ReplicatedSessionStore.builder(cluster)
                                        .config("dev/satchel/cluster/loopback.xml")
                                        .nodeName("n" + i)
                                        .build()
                                : PrimaryBackupSessionStore.builder(cluster)
                                        .config("dev/satchel/cluster/loopback.xml")
                                        .nodeName("n" + i)
                                        .build());
            }
            List<SessionId> ids = new ArrayList<>(sessions);
            for (int i = 0; i < sessions; i++) {
                SessionId id = SessionId.random();
                members.get(i % nodes).save(created(id, i));
                ids.add(id);
            }
            ToIntFunction<SessionStore> held =
                    s -> s instanceof ReplicatedSessionStore r ? r.size() : ((PrimaryBackupSessionStore) s).size();
            double perNode = members.stream().mapToInt(held).average().orElse(0);
            // One changed attribute per save, from the node that owns the session's requests.
            SessionStore writer = members.get(0);
            int saves = Math.min(20_000, sessions);
            Map<String, Long> sentBefore = writer instanceof ReplicatedSessionStore r
                    ? r.counters()
                    : Map.of("saves_sent", 0L, "bytes_sent", 0L);
            long start = System.nanoTime();
            for (int i = 0; i < saves; i++) {
                SessionId id = ids.get(i);
                SessionRecord r = writer.load(id).orElseThrow();
                writer.save(ChangeSet.builder(id, r.createdAt(), r.absoluteDeadline())
                        .set("attr0", CODEC.encode("attr0", "changed-" + i))
                        .build());
            }
            double rate = saves / ((System.nanoTime() - start) / 1e9);
            String bytesPerSave = writer instanceof ReplicatedSessionStore r
                    ? String.format(
                            "%d × %d nodes",
                            (r.counters().get("bytes_sent") - sentBefore.get("bytes_sent"))
                                    / (r.counters().get("saves_sent") - sentBefore.get("saves_sent")),
                            nodes - 1)
                    : "the same, to the 2 replicas";
            System.out.printf(
                    "| %s | %d | %,.0f | %,.0f MB | %s | %,.0f |%n",
                    strategy, nodes, perNode, perNode * perSession / 1e6, bytesPerSave, rate);
        } finally {
            members.forEach(SessionStore::close);
        }
    }

    private static ChangeSet created(SessionId id, int seed) {
        Instant now = Instant.now();
        ChangeSet.Builder b = ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)))
                .created()
                .accessedAt(now)
                .maxInactiveInterval(Duration.ofMinutes(30));
        for (int a = 0; a < 10; a++) {
            b.set("attr" + a, CODEC.encode("attr" + a, "value-" + a + "-" + seed + "-of-a-session-attribute"));
        }
        return b.build();
    }

    /** Heap taken by {@code n} sessions in one store, per session, after a full collection. */
    private static long bytesPerSession(int n) {
        System.gc();
        long before = used();
        MemorySessionStore store = MemorySessionStore.builder().build();
        for (int i = 0; i < n; i++) {
            store.save(created(SessionId.random(), i));
        }
        System.gc();
        long after = used();
        long per = (after - before) / n;
        store.close();
        return per;
    }

    private static long used() {
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }
}
