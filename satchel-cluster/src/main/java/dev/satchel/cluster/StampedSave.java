package dev.satchel.cluster;

import dev.satchel.core.ChangeSet;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * A save on the wire between nodes, as both strategies send it: the sender's view, the save's
 * stamp, the stamp of the copy it was made on (its base), then the change set.
 *
 * @param sentIn the id of the view the sender was in
 * @param stamp the save's {@link HybridClock} stamp
 * @param base the stamp of the sender's copy before the save, 0 if it held none
 * @param changes what the save changes
 */
record StampedSave(long sentIn, long stamp, long base, ChangeSet changes) {

    void write(DataOutput out) throws IOException {
        ChangeSetWire.writeVarLong(out, sentIn);
        ChangeSetWire.writeVarLong(out, stamp);
        ChangeSetWire.writeVarLong(out, base);
        ChangeSetWire.write(changes, out);
    }

    /** Reads a save, refusing one stamped implausibly far ahead of this node's clock. */
    static StampedSave read(DataInput in, VersionedCopies copies) throws IOException {
        StampedSave save = new StampedSave(
                ChangeSetWire.readVarLong(in),
                ChangeSetWire.readVarLong(in),
                ChangeSetWire.readVarLong(in),
                ChangeSetWire.read(in));
        if (!copies.plausible(save.stamp())) {
            throw new IOException("a save stamped implausibly far ahead of this node's clock");
        }
        return save;
    }
}
