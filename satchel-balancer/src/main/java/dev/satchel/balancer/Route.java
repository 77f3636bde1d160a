package dev.satchel.balancer;

import java.util.List;
import java.util.Optional;

/**
 * Where a request may go, best first. When the first candidate cannot be reached the request is
 * redispatched to the next; when {@code pins} is true the response pins the client to the node that
 * answered (a new affinity cookie if it differs from {@code pinnedTo}).
 */
record Route(List<Node> candidates, boolean pins, Optional<String> pinnedTo) {}
