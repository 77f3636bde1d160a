package dev.satchel.cluster;

import dev.satchel.core.SessionId;
import dev.satchel.core.SessionStoreUnavailableException;
import dev.satchel.core.support.DaemonThreads;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sessions whose last synchronous save on this node is applied to its own copy but not yet
 * acknowledged by every other replica, or was not acknowledged at all. A read must not show such
 * a save: if it was never taken elsewhere, the next owner (a view change, a merge) may serve the
 * session without it, and the user sees an item appear and then vanish (seen in the lab's
 * partition: a save that waited on the cut-off node failed, a read on the saving node showed its
 * item, and the cut-off node, owner in the next view, answered without it). So a read of a session
 * with a save in flight waits for it, and a session whose save failed is in doubt: reads of it are
 * refused here until its whole copy has been sent to, and taken by, every other node the store
 * names, which a background task tries every {@link #RETRY} (the save then applied once, later, as
 * a timed-out save may). Thread-safe.
 */
final class SaveDoubts implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SaveDoubts.class);
    /** How often the sessions in doubt are sent again. */
    static final Duration RETRY = Duration.ofMillis(500);
    /** How long a read waits for a save of its session in flight here, at most. */
    private final Duration wait;

    /** What the store does to settle sessions in doubt: send their copies, true once all took them. */
    @FunctionalInterface
    interface Repair {
        boolean sendCopies(List<SessionId> ids);
    }

    /**
     * Per session: saves in flight, and the sequence number of the latest save that failed (0:
     * none), which only a later acknowledged save or a repair begun after it clears.
     */
    private record State(int inFlight, long failedAt) {
        boolean idle() {
            return inFlight == 0 && failedAt == 0;
        }
    }

    private final Map<SessionId, State> states = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final ScheduledExecutorService repairs =
            Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("satchel-repair"));

    SaveDoubts(Duration wait) {
        this.wait = wait;
    }

    /**
     * The repair both cluster stores use: the whole copies (or tombstones) of the sessions in doubt,
     * encoded by {@code encode}, sent to every other node of {@code members} in batches, each awaited
     * from all of them; each node keeps a copy only if newer than its own. It waits while this node
     * is cut off, behind or left out, when "every other node" is not the cluster.
     */
    static Repair sendingCopies(
            ClusterChannel cluster,
            java.util.function.Supplier<List<org.jgroups.Address>> members,
            java.util.function.Function<SessionId, java.util.Optional<Copy>> copyOf,
            java.util.function.Function<List<Copy>, byte[]> encode,
            Duration timeout) {
        return ids -> {
            try {
                cluster.requireServing();
            } catch (SessionStoreUnavailableException e) {
                return false;
            }
            List<org.jgroups.Address> others = new java.util.ArrayList<>(members.get());
            others.remove(cluster.self());
            List<Copy> batch = new java.util.ArrayList<>();
            ids.forEach(id -> copyOf.apply(id).ifPresent(batch::add));
            if (others.isEmpty() || batch.isEmpty()) {
                return true;
            }
            for (List<Copy> part : CopyWire.batches(batch)) {
                try {
                    PendingSave.awaiting(
                                    cluster.dispatcher()
                                            .castMessageWithFuture(
                                                    others,
                                                    new org.jgroups.BytesMessage(null, encode.apply(part)),
                                                    new org.jgroups.blocks.RequestOptions(
                                                                    org.jgroups.blocks.ResponseMode.GET_ALL,
                                                                    timeout.toMillis())
                                                            .anycasting(true)),
                                    timeout,
                                    cluster)
                            .await();
                } catch (Exception e) {
                    LOG.debug("sessions in doubt not taken yet: {}", e.getMessage());
                    return false;
                }
            }
            return true;
        };
    }

    /** Sends the sessions in doubt through {@code repair}, every {@link #RETRY}, until closed. */
    void startRepairs(Repair repair) {
        repairs.scheduleWithFixedDelay(
                () -> repairOnce(repair), RETRY.toMillis(), RETRY.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * A synchronous save of {@code id} is about to be applied here and sent: called under the
     * session's lock, before the copy changes, so no read sees the change without seeing this.
     *
     * @return the save's number, for {@link #acknowledged} or {@link #failed}
     */
    long begin(SessionId id) {
        long n = sequence.incrementAndGet();
        states.compute(id, (k, s) -> s == null ? new State(1, 0) : new State(s.inFlight + 1, s.failedAt));
        return n;
    }

    /** Every other replica took save {@code n}: a failure before it is settled too. */
    void acknowledged(SessionId id, long n) {
        states.computeIfPresent(id, (k, s) -> {
            State next = new State(s.inFlight - 1, s.failedAt < n ? 0 : s.failedAt);
            return next.idle() ? null : next;
        });
    }

    /** Save {@code n} was not acknowledged by every other replica: the session is in doubt. */
    void failed(SessionId id, long n) {
        states.computeIfPresent(id, (k, s) -> new State(s.inFlight - 1, Math.max(s.failedAt, n)));
    }

    /** Save {@code n} was refused here before it was sent (a limit, say): nothing to doubt. */
    void abandoned(SessionId id, long n) {
        states.computeIfPresent(id, (k, s) -> {
            State next = new State(s.inFlight - 1, s.failedAt);
            return next.idle() ? null : next;
        });
    }

    /**
     * Ends save {@code n} (0: none was begun): acknowledged if {@code taken}, else failed if it
     * was handed to the network, else abandoned.
     */
    void settle(SessionId id, long n, boolean taken, boolean sent) {
        if (n == 0) {
            return;
        }
        if (taken) {
            acknowledged(id, n);
        } else if (sent) {
            failed(id, n);
        } else {
            abandoned(id, n);
        }
    }

    /**
     * Waits, up to the save timeout, while a save of {@code id} is in flight here, then refuses if
     * one failed. Nearly every read finds no entry and returns at once.
     *
     * @throws SessionStoreUnavailableException while the session is in doubt
     */
    void awaitSettled(SessionId id) {
        State s = states.get(id);
        if (s == null) {
            return;
        }
        long deadline = System.nanoTime() + wait.toNanos();
        while (s != null && s.inFlight > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SessionStoreUnavailableException("interrupted while a save of the session was in flight", e);
            }
            s = states.get(id);
        }
        if (s != null) {
            throw new SessionStoreUnavailableException(
                    s.inFlight > 0
                            ? "a save of this session is still waiting for the other replicas"
                            : "a save of this session was not acknowledged by every replica: it is being sent again",
                    null);
        }
    }

    /**
     * {@code load} of session {@code id} as no save in flight or in doubt shows: after {@link
     * #awaitSettled}, and again if a save began while it read.
     *
     * @throws SessionStoreUnavailableException while the session is in doubt, or saves of it keep
     *     beginning while it reads
     */
    <T> T read(SessionId id, java.util.function.Supplier<T> load) {
        for (int attempt = 0; attempt < 3; attempt++) {
            awaitSettled(id);
            T value = load.get();
            if (!states.containsKey(id)) {
                return value;
            }
        }
        throw new SessionStoreUnavailableException("saves of this session keep arriving while it is read", null);
    }

    /**
     * Refuses at once, without waiting, while a save of {@code id} is in flight here or in doubt:
     * for another node's read, answered on the thread that reads that node's connection, which may
     * be the one that carries the acknowledgements the save waits for.
     *
     * @throws SessionStoreUnavailableException while a save of the session is in flight or in doubt
     */
    void requireSettled(SessionId id) {
        if (states.containsKey(id)) {
            throw new SessionStoreUnavailableException(
                    "a save of this session is not acknowledged by every replica yet", null);
        }
    }

    /** Sessions in doubt now (for a test, and the repair). */
    List<SessionId> inDoubt() {
        return states.entrySet().stream()
                .filter(e -> e.getValue().failedAt != 0)
                .map(Map.Entry::getKey)
                .toList();
    }

    private void repairOnce(Repair repair) {
        List<SessionId> ids = inDoubt();
        if (ids.isEmpty()) {
            return;
        }
        long upTo = sequence.get(); // a save that fails after this read is not covered by this send
        try {
            if (!repair.sendCopies(ids)) {
                return;
            }
        } catch (RuntimeException e) {
            LOG.debug("sending {} sessions in doubt again: {}", ids.size(), e.getMessage());
            return;
        }
        for (SessionId id : ids) {
            states.computeIfPresent(id, (k, s) -> {
                State next = new State(s.inFlight, s.failedAt <= upTo ? 0 : s.failedAt);
                return next.idle() ? null : next;
            });
        }
        LOG.info("{} sessions whose save had failed are now held by every replica", ids.size());
    }

    @Override
    public void close() {
        repairs.shutdownNow();
    }
}
