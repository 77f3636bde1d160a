package dev.satchel.cluster;

import dev.satchel.core.SessionId;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * One page of a joining node's pull: the sessions whose id hashes to {@code page} of {@code pages}.
 * A joiner pulls in pages because one answer of every session would hold up, on the same
 * connection, every save sent behind it (JoinPauseBench, docs/benchmarks.md).
 */
record PullPage(int page, int pages) {
    /** Pages a joining node pulls its sessions in. */
    static final int COUNT = 64;
    /** Pages a node back from the smaller side of a partition pulls in: it serves nothing meanwhile. */
    static final int AFTER_MERGE = 8;

    PullPage {
        if (pages < 1 || pages > 4096 || page < 0 || page >= pages) {
            throw new IllegalArgumentException("implausible page: " + page + " of " + pages);
        }
    }

    boolean holds(SessionId id) {
        return Math.floorMod(id.value().hashCode(), pages) == page;
    }

    void write(DataOutput out) throws IOException {
        out.writeInt(page);
        out.writeInt(pages);
    }

    static PullPage read(DataInput in) throws IOException {
        int page = in.readInt();
        int pages = in.readInt();
        try {
            return new PullPage(page, pages);
        } catch (IllegalArgumentException e) {
            throw new IOException("a pull asked for an " + e.getMessage(), e);
        }
    }
}
