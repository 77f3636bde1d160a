package dev.satchel.bench.cluster;

import dev.satchel.cluster.PrimaryBackupSessionStore;
import dev.satchel.cluster.ReplicatedSessionStore;
import dev.satchel.core.ChangeSet;
import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStore;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a joining node costs the others: two nodes hold the sessions, one thread saves through
 * each of them without pause (the oldest node is the one a replicated joiner pulls from), and a
 * third node joins; the run reports each writer's slowest save before and while it joins, and
 * how long the join took. The nodes share this JVM but talk over TCP on loopback with the shipped
 * stack; both strategies run side by side.
 */
public final class JoinPauseBench {
    private static final String USAGE =
            "usage: JoinPauseBench [--sessions 100000] [--stores replicated,primary-backup]\n"
                    + "  Per store: two nodes hold the sessions, a thread saves through each, a third node joins.";

    private JoinPauseBench() {}

    public static void main(String[] args) throws Exception {
        int sessions = 100_000;
        List<String> stores = List.of("replicated", "primary-backup");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sessions" -> sessions = Integer.parseInt(args[++i]);
                case "--stores" -> stores = List.of(args[++i].split(","));
                case "--help", "-h" -> {
                    System.out.println(USAGE);
                    return;
                }
                default -> {
                    System.err.println("unknown option " + args[i] + "\n" + USAGE);
                    System.exit(2);
                }
            }
        }
        for (String store : stores) {
            if (!store.equals("replicated") && !store.equals("primary-backup")) {
                System.err.println("a store is replicated or primary-backup, not " + store + "\n" + USAGE);
                System.exit(2);
            }
        }
        System.out.println("| store | saves through | saves/s before | slowest save before (ms) | join (ms) "
                + "| slowest save, join and 1 s after (ms) | saves over 50 ms then |");
        System.out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
        for (String store : stores) {
            run(store, sessions).forEach(System.out::println);
        }
        System.exit(0); // JGroups' timer threads are not all daemons
    }

    private static List<String> run(String store, int sessions) throws Exception {
        int[] ports = {freePort(), freePort(), freePort()};
        System.setProperty(
                "satchel.cluster.peers",
                "127.0.0.1[" + ports[0] + "],127.0.0.1[" + ports[1] + "],127.0.0.1[" + ports[2] + "]");
        String cluster = "join-" + System.nanoTime();
        SessionStore first = node(store, cluster, "n1", ports[0]);
        SessionStore second = node(store, cluster, "n2", ports[1]);
        Instant now = Instant.now();
        List<SessionId> ids = new ArrayList<>(sessions);
        for (int i = 0; i < sessions; i++) {
            SessionId id = SessionId.random();
            ChangeSet.Builder b = ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)))
                    .created()
                    .accessedAt(now)
                    .maxInactiveInterval(Duration.ofMinutes(30));
            for (int a = 0; a < CartWorkload.ATTRIBUTES; a++) {
                b.set(CartWorkload.name(a), value(a));
            }
            first.save(b.build());
            ids.add(id);
            if ((i + 1) % 20_000 == 0) {
                System.err.printf("  %s: %,d of %,d sessions%n", store, i + 1, sessions);
            }
        }
        AtomicBoolean running = new AtomicBoolean(true);
        List<Writer> writers =
                List.of(new Writer("n1, the oldest", first, ids, running), new Writer("n2", second, ids, running));
        writers.forEach(Thread::start);
        TimeUnit.SECONDS.sleep(3);
        writers.forEach(Writer::joinStarts);
        long joinStart = System.nanoTime();
        SessionStore third = node(store, cluster, "n3", ports[2]);
        long join = System.nanoTime() - joinStart;
        TimeUnit.SECONDS.sleep(1);
        running.set(false);
        List<String> rows = new ArrayList<>();
        for (Writer w : writers) {
            w.join();
            rows.add(String.format(
                    "| %s | %s | %,d | %d | %d | %d | %d |",
                    store,
                    w.label,
                    w.savesBefore / 3,
                    TimeUnit.NANOSECONDS.toMillis(w.slowestBefore),
                    TimeUnit.NANOSECONDS.toMillis(join),
                    TimeUnit.NANOSECONDS.toMillis(w.slowest.get()),
                    w.overFifty.get()));
        }
        for (SessionStore s : List.of(third, second, first)) {
            ((AutoCloseable) s).close();
        }
        return rows;
    }

    /** Saves through one node without pause; keeps the slowest save before the join and since. */
    private static final class Writer extends Thread {
        final String label;
        private final SessionStore through;
        private final List<SessionId> ids;
        private final AtomicBoolean running;
        final AtomicLong slowest = new AtomicLong();
        final AtomicLong saves = new AtomicLong();
        final AtomicLong overFifty = new AtomicLong();
        volatile long savesBefore;
        volatile long slowestBefore;

        Writer(String label, SessionStore through, List<SessionId> ids, AtomicBoolean running) {
            super("writer-" + label);
            this.label = label;
            this.through = through;
            this.ids = ids;
            this.running = running;
        }

        void joinStarts() {
            savesBefore = saves.get();
            slowestBefore = slowest.getAndSet(0);
            overFifty.set(0);
        }

        @Override
        public void run() {
            Instant now = Instant.now();
            for (int i = 0; running.get(); i++) {
                SessionId id = ids.get(i % ids.size());
                long start = System.nanoTime();
                through.save(ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)))
                        .set(CartWorkload.CART, value(i))
                        .build());
                long took = System.nanoTime() - start;
                saves.incrementAndGet();
                slowest.accumulateAndGet(took, Math::max);
                if (took > TimeUnit.MILLISECONDS.toNanos(50)) {
                    overFifty.incrementAndGet();
                }
            }
        }
    }

    private static byte[] value(int i) {
        return String.format("%064d", i).getBytes(StandardCharsets.UTF_8);
    }

    private static SessionStore node(String store, String cluster, String name, int port) {
        System.setProperty("satchel.cluster.port", Integer.toString(port));
        return store.equals("replicated")
                ? ReplicatedSessionStore.builder(cluster)
                        .nodeName(name)
                        .peerWait(Duration.ofMillis(200))
                        .plaintext() // one machine's loopback; what TLS costs is ClusterPeersBench's
                        .build()
                : PrimaryBackupSessionStore.builder(cluster)
                        .nodeName(name)
                        .peerWait(Duration.ofMillis(200))
                        .plaintext() // one machine's loopback; what TLS costs is ClusterPeersBench's
                        .build();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
