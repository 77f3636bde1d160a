package dev.satchel.balancer;

/** A node's state as the admin API reports it. */
public enum NodeState {
    /** Healthy and taking new clients. */
    UP,
    /** Failing its health checks, or refusing connections: gets no requests. */
    DOWN,
    /** Taking no new clients; clients pinned to it keep coming until they leave or the deadline. */
    DRAINING
}
