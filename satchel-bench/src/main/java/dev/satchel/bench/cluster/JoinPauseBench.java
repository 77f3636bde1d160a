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
 * one of them without pause, and a third node joins; the run reports the slowest save before
 * and while it joins, and how long the join took. Nodes are in this JVM but talk over TCP on
 * loopback with the given stack, once with Satchel's shipped stack and once with BARRIER added
 * (as it was before session 4), side by side.
 */
public final class JoinPauseBench {
    private static final String USAGE =
            "usage: JoinPauseBench [--sessions 100000] [--store replicated|primary-backup]\n"
                    + "  Runs the join twice: with satchel-cluster's tcp.xml and with tcp-with-barrier.xml.";

    private JoinPauseBench() {}

    public static void main(String[] args) throws Exception {
        int sessions = 100_000;
        String store = "replicated";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sessions" -> sessions = Integer.parseInt(args[++i]);
                case "--store" -> store = args[++i];
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
        if (!store.equals("replicated") && !store.equals("primary-backup")) {
            System.err.println("--store must be replicated or primary-backup, not " + store);
            System.exit(2);
        }
        System.out.println("| stack | saves/s before | slowest save before (ms) | join (ms) "
                + "| slowest save, join and 1 s after (ms) | saves over 50 ms then |");
        System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
        for (String config : List.of("dev/satchel/cluster/tcp.xml", "dev/satchel/bench/cluster/tcp-with-barrier.xml")) {
            System.out.println(run(config, store, sessions));
        }
        System.exit(0); // JGroups' timer threads are not all daemons
    }

    private static String run(String config, String store, int sessions) throws Exception {
        int[] ports = {freePort(), freePort(), freePort()};
        System.setProperty(
                "satchel.cluster.peers",
                "127.0.0.1[" + ports[0] + "],127.0.0.1[" + ports[1] + "],127.0.0.1[" + ports[2] + "]");
        String cluster = "join-" + System.nanoTime();
        SessionStore first = node(config, store, cluster, "n1", ports[0]);
        SessionStore second = node(config, store, cluster, "n2", ports[1]);
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
                System.err.printf("  %s: %,d of %,d sessions%n", config, i + 1, sessions);
            }
        }
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicLong slowest = new AtomicLong();
        AtomicLong saves = new AtomicLong();
        AtomicLong overFifty = new AtomicLong();
        Thread writer = new Thread(() -> {
            for (int i = 0; running.get(); i++) {
                SessionId id = ids.get(i % ids.size());
                long start = System.nanoTime();
                second.save(ChangeSet.builder(id, now, now.plus(Duration.ofHours(8)))
                        .set(CartWorkload.CART, value(i))
                        .build());
                long took = System.nanoTime() - start;
                saves.incrementAndGet();
                slowest.accumulateAndGet(took, Math::max);
                if (took > TimeUnit.MILLISECONDS.toNanos(50)) {
                    overFifty.incrementAndGet();
                }
            }
        });
        writer.start();
        TimeUnit.SECONDS.sleep(3);
        long savesBefore = saves.get();
        long slowestBefore = slowest.getAndSet(0);
        overFifty.set(0);
        long joinStart = System.nanoTime();
        SessionStore third = node(config, store, cluster, "n3", ports[2]);
        long join = System.nanoTime() - joinStart;
        TimeUnit.SECONDS.sleep(1);
        running.set(false);
        writer.join();
        for (SessionStore s : List.of(third, second, first)) {
            ((AutoCloseable) s).close();
        }
        return String.format(
                "| %s | %,d | %d | %d | %d | %d |",
                config.substring(config.lastIndexOf('/') + 1),
                savesBefore / 3,
                TimeUnit.NANOSECONDS.toMillis(slowestBefore),
                TimeUnit.NANOSECONDS.toMillis(join),
                TimeUnit.NANOSECONDS.toMillis(slowest.get()),
                overFifty.get());
    }

    private static byte[] value(int i) {
        return String.format("%064d", i).getBytes(StandardCharsets.UTF_8);
    }

    private static SessionStore node(String config, String store, String cluster, String name, int port) {
        System.setProperty("satchel.cluster.port", Integer.toString(port));
        return store.equals("replicated")
                ? ReplicatedSessionStore.builder(cluster)
                        .config(config)
                        .nodeName(name)
                        .peerWait(Duration.ofMillis(200))
                        .build()
                : PrimaryBackupSessionStore.builder(cluster)
                        .config(config)
                        .nodeName(name)
                        .peerWait(Duration.ofMillis(200))
                        .build();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
