package dev.satchel.cluster;

import java.time.Duration;

/**
 * Whether a node is still catching up after a partition healed: from the merge view until it has
 * sent its own copies and copies from the other side have stopped arriving for a moment. A
 * heuristic: JGroups tells a node that a merge happened, not when the others have sent all they
 * will send. Both strategies report it in their readiness.
 */
final class MergeWatch {
    /** How long after the last copy a merged node waits before it counts as caught up. */
    private static final Duration SETTLE = Duration.ofSeconds(1);
    /** How long after a merge arriving copies count at all (copies also move on joins). */
    private static final Duration WINDOW = Duration.ofSeconds(30);

    private volatile boolean sending;
    private volatile long mergedAt = System.nanoTime() - WINDOW.toNanos();
    private volatile long copiesAt = System.nanoTime() - SETTLE.toNanos();

    /** A merge view was installed; this node is about to send its copies. */
    void merged() {
        mergedAt = System.nanoTime();
        sending = true;
    }

    /** This node has sent what the merge asked of it. */
    void sent() {
        sending = false;
    }

    /** Copies arrived from another node. */
    void copiesArrived() {
        copiesAt = System.nanoTime();
    }

    boolean settled() {
        long now = System.nanoTime();
        return !sending && (now - mergedAt > WINDOW.toNanos() || now - copiesAt > SETTLE.toNanos());
    }
}
