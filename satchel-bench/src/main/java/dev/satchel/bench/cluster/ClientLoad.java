package dev.satchel.bench.cluster;

import dev.satchel.core.placement.Rendezvous;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.HdrHistogram.Recorder;

/**
 * The benchmark's clients: sessions made through HTTP, then closed-loop requests routed as a
 * sticky (or session-hash) balancer would, each answer checked against the changes the client had
 * acknowledged.
 */
final class ClientLoad {
    private ClientLoad() {}

    /**
     * One user's session as the client knows it: its cookie, the node a sticky balancer sends it
     * to, and the cart counter of its last acknowledged change. Used by one thread at a time.
     */
    static final class ClientSession {
        String cookie;
        int home;
        long acknowledged;

        ClientSession(String cookie, int home) {
            this.cookie = cookie;
            this.home = home;
        }
    }

    /**
     * What the consistency check saw: changes acknowledged, and acknowledged changes a later
     * response did not show (its cart counter was lower than the client's), with the sessions
     * they belonged to and those that came back as new sessions.
     */
    static final class Check {
        final AtomicLong acknowledged = new AtomicLong();
        final AtomicLong lostWrites = new AtomicLong();
        final AtomicLong sessionsWithLoss = new AtomicLong();
        final AtomicLong sessionsLost = new AtomicLong();
        final AtomicLong failedRequests = new AtomicLong();
        /** Answered requests in each half second since the check began: the outage, seen from a client. */
        final java.util.concurrent.atomic.AtomicLongArray answeredPerHalfSecond =
                new java.util.concurrent.atomic.AtomicLongArray(240);

        private final long began = System.nanoTime();

        /** Checks a 200 response's counter against what the client had acknowledged. */
        void answered(ClientSession s, HttpConnection.Response r, boolean write) {
            int slot = (int) ((System.nanoTime() - began) / 500_000_000L);
            if (slot < answeredPerHalfSecond.length()) {
                answeredPerHalfSecond.incrementAndGet(slot);
            }
            String[] fields = r.body().trim().split(" ");
            long read = fields.length >= 3 ? Long.parseLong(fields[2]) : 0;
            if (read < s.acknowledged) {
                lostWrites.addAndGet(s.acknowledged - read);
                sessionsWithLoss.incrementAndGet();
                if (read == 0 && r.setCookie().isPresent()) {
                    sessionsLost.incrementAndGet();
                }
            }
            if (write) {
                s.acknowledged = read + 1;
                acknowledged.incrementAndGet();
            } else {
                s.acknowledged = Math.max(s.acknowledged, read);
            }
        }
    }

    /** Makes {@code count} sessions, one request each, spread over the nodes. */
    static List<ClientSession> create(NodeGroup group, int count, int threads, boolean keep)
            throws InterruptedException {
        List<ClientSession> made = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        AtomicReference<String> failure = new AtomicReference<>();
        List<String> names =
                IntStream.range(0, group.size()).mapToObj(PeerNode::nodeName).toList();
        long progressEvery = Math.max(1, count / 10);
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(started(() -> {
                HttpConnection[] connections = group.connect();
                try {
                    for (int i = next.getAndIncrement();
                            i < count && failure.get() == null;
                            i = next.getAndIncrement()) {
                        int node = i % group.size();
                        HttpConnection.Response r = connections[node].get("/cart", Optional.empty());
                        if (r.status() != 200 || r.setCookie().isEmpty()) {
                            failure.compareAndSet(null, "creating a session: HTTP " + r.status() + " " + r.body());
                            return;
                        }
                        if (keep) {
                            String cookie = r.setCookie().get();
                            int home = group.peer().routesBySessionHash()
                                    ? names.indexOf(Rendezvous.owner(cookie.substring(cookie.indexOf('=') + 1), names)
                                            .orElseThrow())
                                    : node;
                            made.add(new ClientSession(cookie, home));
                        }
                        if ((i + 1) % progressEvery == 0) {
                            System.out.printf("  %,d of %,d sessions%n", i + 1, count);
                        }
                    }
                } catch (IOException e) {
                    failure.compareAndSet(null, "creating a session: " + e);
                } finally {
                    Arrays.stream(connections).forEach(HttpConnection::close);
                }
            }));
        }
        for (Thread w : workers) {
            w.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException(failure.get());
        }
        return List.copyOf(made);
    }

    /**
     * Closed loop: each thread takes its share of the sessions in turn, for {@code duration},
     * checking every answer against what it had acknowledged. A session whose node was killed goes
     * where the balancer would send it next.
     */
    static long drive(
            NodeGroup group,
            List<ClientSession> sessions,
            PeersBenchOptions options,
            Duration duration,
            Recorder recorder,
            Check check)
            throws InterruptedException {
        AtomicLong requests = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>();
        long end = System.nanoTime() + duration.toNanos();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < options.threads(); t++) {
            int thread = t;
            workers.add(started(() -> {
                HttpConnection[] connections = group.connect();
                List<ClientSession> mine = new ArrayList<>();
                for (int i = thread; i < sessions.size(); i += options.threads()) {
                    mine.add(sessions.get(i));
                }
                ThreadLocalRandom random = ThreadLocalRandom.current();
                long done = 0;
                try {
                    for (int k = 0; System.nanoTime() < end; k++) {
                        ClientSession s = mine.get(k % mine.size());
                        boolean write = random.nextInt(100) >= options.readPercent();
                        long start = System.nanoTime();
                        request(group, connections, s, write, check, firstError);
                        recorder.recordValue(Math.min(
                                TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - start),
                                TimeUnit.SECONDS.toMicros(60)));
                        done++;
                    }
                } finally {
                    Arrays.stream(connections).forEach(HttpConnection::close);
                    requests.addAndGet(done);
                }
            }));
        }
        for (Thread w : workers) {
            w.join();
        }
        if (firstError.get() != null) {
            System.out.println("  first error: " + firstError.get());
        }
        return requests.get();
    }

    static void request(
            NodeGroup group,
            HttpConnection[] connections,
            ClientSession s,
            boolean write,
            Check check,
            AtomicReference<String> firstError) {
        if (group.isDead(s.home)) {
            s.home = group.failover(s);
        }
        try {
            HttpConnection.Response r = connections[s.home].get(write ? "/cart" : "/cart?read", Optional.of(s.cookie));
            if (r.status() != 200) {
                check.failedRequests.incrementAndGet();
                firstError.compareAndSet(null, "HTTP " + r.status() + " " + r.body());
                return;
            }
            check.answered(s, r, write);
            r.setCookie().ifPresent(c -> s.cookie = c); // a new id (Tomcat's route), or a new session
        } catch (IOException e) {
            check.failedRequests.incrementAndGet();
            firstError.compareAndSet(null, e.toString());
        }
    }

    static Thread started(Runnable work) {
        Thread t = new Thread(work, "bench-client");
        t.start();
        return t;
    }
}
