package dev.satchel.lab;

/**
 * One reading of a soak: what the cluster held at a moment of the measured phase.
 *
 * @param second seconds into the measured phase
 * @param heapBytes the nodes' heaps in use after a full collection, all nodes together
 * @param nodesRead how many nodes' heaps were read (a node that cannot be asked is left out)
 * @param sessionsHeld the session copies the nodes hold, all nodes together (0 when they keep none)
 * @param store the store server's memory and holdings; {@link StoreMemory#NONE} without one
 */
public record SoakSample(int second, long heapBytes, int nodesRead, long sessionsHeld, StoreMemory store) {
    public SoakSample {
        store = store == null ? StoreMemory.NONE : store;
    }
}
