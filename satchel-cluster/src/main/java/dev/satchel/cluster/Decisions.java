package dev.satchel.cluster;

import dev.satchel.core.SessionStore.SaveOutcome;
import dev.satchel.core.SessionStoreUnavailableException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.blocks.MessageDispatcher;
import org.jgroups.blocks.RequestOptions;

/**
 * Where both cluster stores run a conditional save: on the one node that decides the session's
 * conditional saves (primary-backup: its owner; replicated: the first node of its rendezvous
 * ranking), here or by forwarding it there, so two of them racing from different nodes meet on
 * one copy under one lock.
 */
final class Decisions {
    /**
     * A forwarded conditional save's answer from a node that does not decide the session in its
     * view (a view change in between) or is still receiving its sessions: nothing was applied.
     */
    static final byte NOT_DECIDER = 103;

    private Decisions() {}

    /**
     * How long a conditional save waits for a decider that answers "not yet": a node that joined
     * ranks first for some sessions before its pull of them ends (about a second on two cores),
     * and a save that waits for it beats one answered 503.
     */
    static final Duration DECIDER_WAIT = Duration.ofSeconds(2);

    private static final long FIRST_PAUSE_MILLIS = 10;
    private static final long LONGEST_PAUSE_MILLIS = 200;

    /**
     * Runs a conditional save on its decider by this node's view: {@code here} when this node is
     * it, else {@code forward}. Each answers empty when the node turned out not to decide it, with
     * nothing applied; then the decider is looked up again, at once the first time (the view may
     * have changed meanwhile), then after growing pauses for up to {@link #DECIDER_WAIT} (a joiner
     * still receiving its sessions), and after that the save fails. Asking again is safe because
     * an empty answer applied nothing.
     */
    static SaveOutcome decide(
            Supplier<Address> decider,
            Address self,
            Supplier<Optional<SaveOutcome>> here,
            Function<Address, Optional<SaveOutcome>> forward) {
        long deadline = System.nanoTime() + DECIDER_WAIT.toNanos();
        long pause = FIRST_PAUSE_MILLIS;
        for (int attempt = 0; ; attempt++) {
            Address node = decider.get();
            Optional<SaveOutcome> outcome = node.equals(self) ? here.get() : forward.apply(node);
            if (outcome.isPresent()) {
                return outcome.get();
            }
            if (attempt == 0) {
                continue;
            }
            if (System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pause) > deadline) {
                break;
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            pause = Math.min(pause * 2, LONGEST_PAUSE_MILLIS);
        }
        throw new SessionStoreUnavailableException(
                "the node deciding the session did not take the conditional save within "
                        + DECIDER_WAIT.toSeconds() + " s (its view changed, or it is still receiving its sessions);"
                        + " nothing was applied",
                null);
    }

    /**
     * Sends a conditional save to its decider and waits for the outcome; empty if that node did
     * not decide it. A forward that gets no answer is never retried: the decider may have applied
     * the save before the answer was lost, and a second attempt would meet that very write as a
     * conflict, so the caller would apply its change twice. Its outcome is unknown, as any timeout's.
     */
    static Optional<SaveOutcome> forward(
            MessageDispatcher dispatcher, Address decider, byte[] request, Duration timeout) {
        Object answer;
        try {
            answer = dispatcher.sendMessage(
                    new BytesMessage(decider, request), RequestOptions.SYNC().timeout(timeout.toMillis()));
        } catch (Exception e) {
            throw new SessionStoreUnavailableException(
                    "the node deciding the session did not answer a conditional save (it may have applied it): "
                            + e.getMessage(),
                    e);
        }
        return decided(answer);
    }

    /** A decider's answer: an outcome, or empty for {@link #NOT_DECIDER}. */
    static Optional<SaveOutcome> decided(Object answer) {
        if (answer instanceof Byte b) {
            if (b == NOT_DECIDER) {
                return Optional.empty();
            }
            if (b >= 0 && b < SaveOutcome.values().length) {
                return Optional.of(SaveOutcome.values()[b]);
            }
        }
        throw new SessionStoreUnavailableException(
                "the node deciding the session answered a conditional save with " + answer, null);
    }

    /** The answer to send for a decision made here: the outcome, or {@link #NOT_DECIDER}. */
    static byte answer(Optional<SaveOutcome> outcome) {
        return outcome.map(o -> (byte) o.ordinal()).orElse(NOT_DECIDER);
    }
}
