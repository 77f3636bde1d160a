package dev.satchel.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jgroups.Address;
import org.jgroups.Event;
import org.jgroups.JChannel;
import org.jgroups.PhysicalAddress;
import org.jgroups.View;
import org.jgroups.protocols.PingData;
import org.jgroups.protocols.TCPPING;
import org.jgroups.util.Responses;
import org.slf4j.Logger;

/**
 * What both strategies need to keep copies right while nodes come and go, now that saves travel
 * without JGroups' own retransmission (TCP between live nodes already delivers in order):
 *
 * <ul>
 *   <li>the views seen lately, so a node that receives a save sent in an older view can pass the
 *       session on to the nodes that joined since (the sender did not know them);
 *   <li>a gate that holds the saves reaching a joining node before its first copy of the sessions
 *       arrives, and replays them after it, in arrival order;
 *   <li>a wait at start-up for the configured peers, so a node whose discovery answer came late
 *       does not serve as a cluster of one.
 * </ul>
 */
final class Membership {
    private final Map<Long, List<Address>> recentViews = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, List<Address>> eldest) {
            return size() > 16;
        }
    };
    private volatile long currentViewId;
    private final Object gateLock = new Object();
    private List<Runnable> early = new ArrayList<>();
    private volatile boolean gateOpen;

    /** Records a view; returns the members it added to the last one (empty for the first view). */
    synchronized List<Address> viewInstalled(View view) {
        List<Address> joined = new ArrayList<>(view.getMembers());
        recentViews.values().stream()
                .reduce((first, second) -> second)
                .ifPresentOrElse(joined::removeAll, joined::clear);
        recentViews.put(view.getViewId().getId(), List.copyOf(view.getMembers()));
        currentViewId = view.getViewId().getId();
        return joined;
    }

    long currentViewId() {
        return currentViewId;
    }

    /** The members of the last view recorded, oldest first; empty before the first. */
    synchronized List<Address> currentMembers() {
        return recentViews.getOrDefault(currentViewId, List.of());
    }

    /** The members of the view before the current one, oldest first; empty for the first view. */
    synchronized List<Address> previousMembers() {
        List<List<Address>> views = new ArrayList<>(recentViews.values());
        return views.size() < 2 ? List.of() : views.get(views.size() - 2);
    }

    /**
     * The members of the current view that were not in view {@code sentIn}: those a save sent in
     * that view did not reach. Empty when it was sent in the current view; every other member when
     * the old view is no longer remembered.
     */
    List<Address> missedBy(long sentIn, Address sender, Address self) {
        // Every received save asks; nearly all were sent in the current view. That answer needs
        // no lock, so the connections' reader threads do not queue on this monitor.
        if (sentIn >= currentViewId) {
            return List.of();
        }
        return missedSince(sentIn, sender, self);
    }

    /** Whether a save sent in view {@code sentIn} was sent before the current view (lock-free). */
    boolean isOlderThanCurrent(long sentIn) {
        return sentIn < currentViewId;
    }

    /** Whether a message was sent in a view this node has not installed yet (lock-free). */
    boolean isNewerThanCurrent(long sentIn) {
        return sentIn > currentViewId;
    }

    /**
     * Waits, up to {@code limit}, until the current view holds the node of that name. A joiner's
     * pull is answered in the view it joined: a save sent to this node in the view before then
     * either arrived first, and is in the answer, or arrives after, and is passed on to the joiner.
     */
    void awaitMember(String node, Duration limit) throws java.io.IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!holds(node) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.IOException("interrupted while waiting for " + node + " to join", e);
            }
        }
    }

    private synchronized boolean holds(String node) {
        return recentViews.getOrDefault(currentViewId, List.of()).stream()
                .anyMatch(m -> m.toString().equals(node));
    }

    /** The members of a recent view, if it is still remembered. */
    synchronized Optional<List<Address>> membersOf(long viewId) {
        return Optional.ofNullable(recentViews.get(viewId));
    }

    private synchronized List<Address> missedSince(long sentIn, Address sender, Address self) {
        List<Address> missed = new ArrayList<>(recentViews.getOrDefault(currentViewId, List.of()));
        missed.removeAll(recentViews.getOrDefault(sentIn, List.of()));
        if (!recentViews.containsKey(sentIn)) {
            missed.remove(sender);
        }
        missed.remove(self);
        return missed;
    }

    /**
     * Applies a save now, or holds it while this node is still receiving its first copy of the
     * sessions. Returns whether it was applied.
     */
    boolean applyOrHold(Runnable apply) {
        if (!gateOpen) {
            synchronized (gateLock) {
                if (!gateOpen) {
                    early.add(apply);
                    return false;
                }
            }
        }
        apply.run();
        return true;
    }

    /** This node has its sessions: replays what came early, then lets saves through. */
    int openGate() {
        synchronized (gateLock) {
            List<Runnable> held = early;
            held.forEach(Runnable::run);
            early = List.of();
            gateOpen = true;
            return held.size();
        }
    }

    /** Whether this node has received its first copy of the sessions. */
    boolean gateOpen() {
        return gateOpen;
    }

    /**
     * Whether a view of {@code viewSize} nodes may serve: at least half of the {@code listed} peers
     * (see {@link #listedPeers}). A node cut off from most of the cluster holds copies that the
     * others may have moved past. With no list (0: discovery by other means) every view may serve.
     */
    static boolean holdsEnoughOf(long listed, int viewSize) {
        return listed == 0 || viewSize * 2L >= listed;
    }

    /**
     * How many nodes the stack lists as peers, this node's own entry included: the entries of
     * TCPPING's {@code initial_hosts} as configured, each with its port range; 0 when discovery is
     * not TCPPING or lists nothing. Read from the configured list, not from {@link
     * TCPPING#getInitialHosts()}: JGroups 5 adds this node's own bind address with every listed
     * port to the hosts it probes, so across hosts with a port each that set counts five nodes for
     * three, and two nodes of three would not count as half.
     */
    static long listedPeers(JChannel channel) {
        TCPPING discovery = channel.getProtocolStack().findProtocol(TCPPING.class);
        if (discovery == null) {
            return 0;
        }
        Object configured = discovery.getValue("initial_hosts_str");
        if (!(configured instanceof String hosts) || hosts.isBlank()) {
            return discovery.getInitialHosts().stream().distinct().count();
        }
        long entries = java.util.Arrays.stream(hosts.split(","))
                .map(h -> h.strip().toLowerCase(java.util.Locale.ROOT))
                .filter(h -> !h.isEmpty())
                .distinct()
                .count();
        return entries * (Math.max(0, discovery.getPortRange()) + 1L);
    }

    /** How long a node left alone at start waits before it asks to join again. */
    private static final Duration REJOIN_AFTER = Duration.ofSeconds(1);

    /** How long a node alone asks again only if the other coordinator ranks before it. */
    private static final Duration REJOIN_ANY_AFTER = REJOIN_AFTER.multipliedBy(3);
    /** How long the listed peers are given to answer whether one coordinates a cluster. */
    private static final long ASK_MILLIS = 300;

    /**
     * Waits, up to {@code limit}, until the channel's view holds another node, when the stack lists
     * peers other than this node: a node that did not hear from them within the join timeout forms
     * a cluster of its own, and would answer "no session" for every session until the merge. While
     * it waits it asks to join again, every {@link #REJOIN_AFTER}, when another node answers as a
     * coordinator ({@link #joinElsewhere}): its peers' answer was late (busy nodes), and a join lets
     * it pull its sessions as a joiner does, where the merge that would otherwise bring it in makes
     * every node of the cluster wait for copies from both sides (not ready, so the balancer has
     * nowhere to send anyone) though this side has none to give.
     */
    static void awaitPeers(JChannel channel, String clusterName, Duration limit, Logger log) throws Exception {
        TCPPING discovery = channel.getProtocolStack().findProtocol(TCPPING.class);
        if (discovery == null || channel.getView().size() > 1) {
            return;
        }
        Object own = channel.down(new Event(Event.GET_PHYSICAL_ADDRESS, channel.getAddress()));
        Optional<PhysicalAddress> self = own instanceof PhysicalAddress p ? Optional.of(p) : Optional.empty();
        boolean othersListed = discovery.getInitialHosts().stream()
                .anyMatch(h -> self.map(s -> !s.equals(h)).orElse(true));
        if (!othersListed) {
            return;
        }
        log.info("no peer answered at start; waiting up to {} for one before serving", limit);
        long aloneSince = System.nanoTime();
        long deadline = aloneSince + limit.toNanos();
        long rejoinAt = aloneSince + REJOIN_AFTER.toNanos();
        while (channel.getView().size() == 1 && System.nanoTime() < deadline) {
            Thread.sleep(100);
            if (channel.getView().size() == 1
                    && System.nanoTime() >= rejoinAt
                    && deadline - System.nanoTime() > REJOIN_AFTER.toNanos()) {
                if (joinElsewhere(channel, discovery, System.nanoTime() - aloneSince >= REJOIN_ANY_AFTER.toNanos())) {
                    log.info("still alone, and another node coordinates; asking to join it");
                    channel.disconnect();
                    channel.connect(clusterName);
                    aloneSince = System.nanoTime();
                }
                rejoinAt = System.nanoTime() + REJOIN_AFTER.toNanos();
            }
        }
        if (channel.getView().size() == 1) {
            boolean tls = TransportSecurity.usesTls(channel);
            log.warn(
                    "no peer joined within {}: serving as a cluster of one node{}",
                    limit,
                    tls
                            ? " (if peers are running, check that every node has the same cluster keystore:"
                                    + " a peer whose key this node does not trust cannot connect)"
                            : "");
        } else {
            log.info("joined {} nodes after waiting", channel.getView().size());
        }
    }

    /**
     * Whether a node alone should leave its cluster of one to join another: only when another
     * listed node answers as a coordinator, and, before {@code anyRank}, one that ranks before this
     * node. Leaving while the others are still starting undid the start (seen in the lab, every
     * cluster it started): they were joining this node, and its new address left them waiting on
     * its old one, which ranked first among them, until their join attempts ran out 18 s later.
     * The rank keeps two nodes alone from leaving at once: the later-ranked one goes, the other
     * stays to be joined.
     */
    static boolean joinElsewhere(JChannel channel, TCPPING discovery, boolean anyRank) {
        Address self = channel.getAddress();
        Responses answers = discovery.findMembers(null, false, true, 0);
        try {
            answers.waitFor(ASK_MILLIS);
            for (PingData answer : answers) {
                Address other = answer.getAddress();
                if (answer.isCoord()
                        && other != null
                        && !other.equals(self)
                        && (anyRank || other.compareTo(self) < 0)) {
                    return true;
                }
            }
            return false;
        } finally {
            answers.done();
        }
    }
}
