package dev.satchel.cluster;

import dev.satchel.testkit.Await;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.jgroups.BytesMessage;
import org.jgroups.Header;
import org.jgroups.Message;
import org.jgroups.blocks.RequestCorrelator;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.stack.Protocol;
import org.jgroups.util.MessageBatch;

/**
 * A JGroups protocol for tests: holds back, on their way up to one node, the messages a test
 * names, and lets them go later in the order they came. That is a slow connection, which TCP can
 * be; JGroups' own {@code DELAY} protocol delays each message on its own and so reorders them,
 * which TCP never does. Sits on top of {@code loopback-hold.xml}, where what arrives is the stores'
 * own traffic.
 */
public final class HoldBack extends Protocol {
    private static final Map<String, HoldBack> NODES = new ConcurrentHashMap<>();
    private static final Map<String, Predicate<Message>> ON_START = new ConcurrentHashMap<>();

    private final List<Message> held = new ArrayList<>();
    private Predicate<Message> holding = m -> false;
    private final Map<String, Integer> savesPassed = new ConcurrentHashMap<>();

    /**
     * A store's saves and copies from {@code node}: what the stores send without reliability (saves
     * and their answers), and what they send one way in the background (copies, pass-ons, expiry
     * announcements, reliable since issue 11 item 11). A slow connection holds back both.
     */
    static Predicate<Message> savesFrom(String node) {
        return m -> m instanceof BytesMessage
                && (m.isFlagSet(Message.Flag.NO_RELIABILITY) || isOneWayRequest(m))
                && m.getSrc() != null
                && m.getSrc().toString().equals(node);
    }

    /**
     * What {@code node} asks (its saves and copies, with or without an answer expected), but not
     * its answers to what the receiver asks: a connection one way only.
     */
    static Predicate<Message> requestsFrom(String node) {
        return m -> m instanceof BytesMessage
                && m.getSrc() != null
                && m.getSrc().toString().equals(node)
                && m.getHeader(ClassConfigurator.getProtocolId(RequestCorrelator.class))
                        instanceof RequestCorrelator.Header r
                && r.type == RequestCorrelator.Header.REQ;
    }

    /** A dispatcher request that expects no answer (as opposed to a pull or its answer). */
    private static boolean isOneWayRequest(Message m) {
        Header h = m.getHeader(ClassConfigurator.getProtocolId(RequestCorrelator.class));
        return h instanceof RequestCorrelator.Header r && r.type == RequestCorrelator.Header.REQ && !r.rspExpected();
    }

    /** Answers from {@code node} to requests sent with reliability, as a joiner's pull is. */
    static Predicate<Message> pullAnswersFrom(String node) {
        return m -> m instanceof BytesMessage
                && !m.isFlagSet(Message.Flag.NO_RELIABILITY)
                && !isOneWayRequest(m)
                && m.getSrc() != null
                && m.getSrc().toString().equals(node);
    }

    /** The protocol in the stack of the node of that name. */
    static HoldBack of(String node) {
        HoldBack h = NODES.get(node);
        if (h == null) {
            throw new IllegalStateException("no node named " + node + " runs loopback-hold.xml");
        }
        return h;
    }

    /**
     * Makes the node of that name hold what matches from the moment its channel starts: for what
     * arrives while its store is still being built (the state it asked for, say).
     */
    static void holdOnStart(String node, Predicate<Message> which) {
        ON_START.put(node, which);
    }

    /** Waits until the node of that name has started this protocol, and returns it. */
    static HoldBack awaitStarted(String node, long seconds) {
        Await.until(Duration.ofSeconds(seconds), () -> NODES.containsKey(node), node + " to start its HoldBack");
        return NODES.get(node);
    }

    @Override
    public void start() throws Exception {
        super.start();
        String node = getProtocolStack().getChannel().getName();
        Predicate<Message> early = ON_START.remove(node);
        if (early != null) {
            hold(early);
        }
        NODES.put(node, this);
    }

    @Override
    public void stop() {
        NODES.values().remove(this);
        super.stop();
    }

    /** From now on, holds the messages that match. */
    synchronized HoldBack hold(Predicate<Message> which) {
        holding = which;
        return this;
    }

    synchronized int heldCount() {
        return held.size();
    }

    /** Waits until at least {@code count} messages are held. */
    void awaitHeld(int count, long seconds) {
        Await.until(
                Duration.ofSeconds(seconds), this::heldCount, held -> held >= count, count + " messages to be held");
    }

    /** How many saves from {@code node} went up to the store past this protocol. */
    int savesPassedFrom(String node) {
        return savesPassed.getOrDefault(node, 0);
    }

    /** Stops holding and delivers what was held, in arrival order. */
    void release() {
        List<Message> out;
        synchronized (this) {
            holding = m -> false;
            out = new ArrayList<>(held);
            held.clear();
        }
        out.forEach(this::deliver);
    }

    @Override
    public Object up(Message msg) {
        synchronized (this) {
            if (holding.test(msg)) {
                held.add(msg);
                return null;
            }
        }
        return deliver(msg);
    }

    @Override
    public void up(MessageBatch batch) {
        for (Message m : batch) {
            up(m);
        }
    }

    private Object deliver(Message msg) {
        if (msg instanceof BytesMessage && msg.isFlagSet(Message.Flag.NO_RELIABILITY) && msg.getSrc() != null) {
            savesPassed.merge(msg.getSrc().toString(), 1, Integer::sum);
        }
        return up_prot.up(msg);
    }
}
