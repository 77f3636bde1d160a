package dev.satchel.balancer;

/** Who an upstream connection's messages go to: the exchange it serves, or the tunnel it became. */
interface UpstreamReader {
    /** A message from the node; the reader owns it and releases it. */
    void fromBackend(Object msg);

    /** The upstream connection failed or closed. */
    void backendFailed(String why);
}
