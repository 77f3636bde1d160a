package dev.satchel.cluster;

import dev.satchel.core.SessionStore.SaveOutcome;
import dev.satchel.core.SessionStoreUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.Message;
import org.jgroups.blocks.RequestOptions;
import org.jgroups.blocks.ResponseMode;
import org.jgroups.util.Rsp;
import org.jgroups.util.RspList;

/**
 * A save handed to the network, whose answers are awaited after the session's lock is released:
 * the lock orders what a node sends, and holding it through the wait would stall every other save
 * of the session (and two nodes saving one session at once would each wait on the other).
 */
final class PendingSave {
    private final Optional<Answers> answers;
    private final Duration timeout;
    private final Optional<ClusterChannel> cluster;

    /** How the answers come: from JGroups' future, or read off this node's own copy links. */
    @FunctionalInterface
    private interface Answers {
        RspList<Object> get() throws InterruptedException, ExecutionException, TimeoutException;
    }

    private PendingSave(Optional<Answers> answers, Duration timeout, Optional<ClusterChannel> cluster) {
        this.answers = answers;
        this.timeout = timeout;
        this.cluster = cluster;
    }

    /** Nothing to wait for: no other node, or an asynchronous save. */
    static PendingSave done() {
        return new PendingSave(Optional.empty(), Duration.ZERO, Optional.empty());
    }

    /** The answers to a save sent through {@code cluster}, which judges the nodes that did not answer. */
    static PendingSave awaiting(CompletableFuture<RspList<Object>> answers, Duration timeout, ClusterChannel cluster) {
        // JGroups ends the wait at the request's own timeout; the margin only guards a lost wake-up.
        return new PendingSave(
                Optional.of(() -> answers.get(timeout.toMillis() * 2 + 1_000, TimeUnit.MILLISECONDS)),
                timeout,
                Optional.of(cluster));
    }

    /**
     * Sends a synchronous save to {@code targets} and returns the wait for their answers: on this
     * node's links where it has one idle ({@link AnswerLinks}), the save written and its answer read
     * by the waiting thread itself; else through JGroups (a node whose link port could not be
     * reached: of an older version, or behind a firewall that does not let the port through). The
     * caller holds the session's {@link SaveGate}, so the two paths never reorder its saves. The
     * saves on links are written when the wait begins, after the session's lock is released: a
     * peer slow to read them holds up this save alone. A link that breaks while its node stays in
     * the view hands the save to JGroups (applied twice, a save changes nothing more).
     *
     * @throws SessionStoreUnavailableException if JGroups refused the message
     */
    static PendingSave send(ClusterChannel cluster, List<Address> targets, byte[] request, Duration timeout) {
        Optional<AnswerLinks> links = cluster.links();
        if (links.isEmpty()) {
            return awaiting(throughJGroups(cluster, targets, request, timeout), timeout, cluster);
        }
        List<AnswerLinks.Link> linked = new ArrayList<>(targets.size());
        List<Address> rest = new ArrayList<>();
        for (Address target : targets) {
            links.get().borrow(target).ifPresentOrElse(linked::add, () -> rest.add(target));
        }
        Optional<CompletableFuture<RspList<Object>>> others;
        try {
            others = rest.isEmpty() ? Optional.empty() : Optional.of(throughJGroups(cluster, rest, request, timeout));
        } catch (SessionStoreUnavailableException e) {
            linked.forEach(AnswerLinks.Link::release); // nothing written on them yet
            throw e;
        }
        return new PendingSave(
                Optional.of(() -> {
                    long deadline = System.nanoTime() + timeout.toNanos();
                    RspList<Object> all = new RspList<>(targets.size());
                    List<Address> again = new ArrayList<>();
                    List<AnswerLinks.Link> sent = new ArrayList<>(linked.size());
                    for (AnswerLinks.Link link : linked) {
                        try {
                            link.send(request, deadline);
                            sent.add(link);
                        } catch (java.io.IOException e) {
                            again.add(link.peer());
                        }
                    }
                    for (AnswerLinks.Link link : sent) {
                        Rsp<Object> rsp = new Rsp<>();
                        link.readAnswer(rsp, deadline);
                        if (rsp.wasSuspected() && cluster.members().contains(link.peer())) {
                            again.add(link.peer()); // the link broke, not (as far as the view says) its node
                        } else {
                            all.put(link.peer(), rsp);
                        }
                    }
                    if (!again.isEmpty()) {
                        Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), 1_000_000));
                        all.putAll(throughJGroups(cluster, again, request, left)
                                .get(left.toMillis() * 2 + 1_000, TimeUnit.MILLISECONDS));
                    }
                    if (others.isPresent()) {
                        all.putAll(others.get().get(timeout.toMillis() * 2 + 1_000, TimeUnit.MILLISECONDS));
                    }
                    return all;
                }),
                timeout,
                Optional.of(cluster));
    }

    private static CompletableFuture<RspList<Object>> throughJGroups(
            ClusterChannel cluster, List<Address> targets, byte[] request, Duration timeout) {
        try {
            return cluster.dispatcher()
                    .castMessageWithFuture(
                            targets,
                            new BytesMessage(null, request),
                            new RequestOptions(ResponseMode.GET_ALL, timeout.toMillis())
                                    .anycasting(true)
                                    .flags(Message.Flag.NO_RELIABILITY));
        } catch (Exception e) {
            throw new SessionStoreUnavailableException("the cluster did not take the save: " + e.getMessage(), e);
        }
    }

    /**
     * Waits for every node's answer. A node that did not answer in time fails the save; so does
     * one that answered with an error (JGroups marks such an answer received, with no value): a
     * replica that refused the save does not hold it. A node suspected of having died is skipped,
     * unless so many are suspected that this node may be the one cut off ({@link
     * ClusterChannel#requireEnoughLive}): a node alone on its side of a partition suspects every
     * other, and skipping them all acknowledged saves that only it held.
     *
     * @return each node that answered, with its value if it had one
     * @throws SessionStoreUnavailableException if a node failed the save, or none answered in time
     */
    Map<Address, Optional<Object>> await() {
        if (answers.isEmpty()) {
            return Map.of();
        }
        RspList<Object> rsps;
        try {
            rsps = answers.get().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SessionStoreUnavailableException("interrupted while the cluster took a save", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new SessionStoreUnavailableException("the cluster did not take the save: " + e.getMessage(), e);
        }
        Map<Address, Optional<Object>> values = new java.util.HashMap<>();
        List<Address> suspected = new ArrayList<>();
        for (Map.Entry<Address, Rsp<Object>> e : rsps.entrySet()) {
            Rsp<Object> rsp = e.getValue();
            if (rsp.hasException()) {
                throw new SessionStoreUnavailableException(
                        e.getKey() + " refused the save: " + rsp.getException().getMessage(), rsp.getException());
            }
            if (!rsp.wasReceived() && !rsp.wasSuspected()) {
                throw new SessionStoreUnavailableException(
                        e.getKey() + " did not acknowledge the save within " + timeout, null);
            }
            if (rsp.wasReceived()) {
                values.put(e.getKey(), Optional.ofNullable(rsp.getValue()));
            } else {
                suspected.add(e.getKey());
            }
        }
        if (!suspected.isEmpty()) {
            cluster.ifPresent(c -> c.awaitViewWithout(suspected, timeout));
        }
        return values;
    }

    /** Whether a value answered by a node is a save outcome (not "held, decides nothing"). */
    static Optional<SaveOutcome> outcome(Object value, byte held) {
        if (value instanceof Byte b && b != held && b >= 0 && b < SaveOutcome.values().length) {
            return Optional.of(SaveOutcome.values()[b]);
        }
        return Optional.empty();
    }

    /** The nodes whose answer was {@code code} (a store's STALE, say). */
    static List<Address> answering(Map<Address, Optional<Object>> answers, byte code) {
        List<Address> nodes = new ArrayList<>();
        answers.forEach((node, value) -> {
            if (value.isPresent() && value.get() instanceof Byte b && b == code) {
                nodes.add(node);
            }
        });
        return nodes;
    }
}
