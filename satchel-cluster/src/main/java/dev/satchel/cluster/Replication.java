package dev.satchel.cluster;

/** Whether a save waits for the other copies: the one choice both strategies offer. */
public enum Replication {
    /** The save returns once every other copy applied it: no acknowledged write is lost when a node dies. */
    SYNC,
    /**
     * The save returns once applied on this node; the other copies follow. Faster, and the last
     * writes of a node that dies may be lost (measured in docs/benchmarks.md). A primary-backup
     * save made on a node that holds no copy of the session still waits: it needs an answer.
     */
    ASYNC
}
