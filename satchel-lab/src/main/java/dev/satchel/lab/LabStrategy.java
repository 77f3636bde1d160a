package dev.satchel.lab;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The strategies the lab compares, each with the balancer policy it runs behind. Only the ones
 * that need stickiness get it; the others are spread round-robin, so any node serves any shopper.
 */
public enum LabStrategy {
    MEMORY(
            "memory",
            "sticky-cookie",
            "each node keeps its own sessions in memory; the balancer pins a shopper to one node"),
    REPLICATED(
            "replicated",
            "round-robin",
            "every node holds every session; each save waits until the other nodes applied it (synchronous)"),
    PRIMARY_BACKUP(
            "primary-backup",
            "session-hash",
            "each session lives on an owner and one backup; the balancer sends a shopper to the owner"),
    REDIS(
            "redis",
            "round-robin",
            "sessions live in Redis (a redis-server the lab starts); any node serves any shopper"),
    SQL("sql", "round-robin", "sessions live in a SQL database (PostgreSQL when reachable, else embedded H2)"),
    COOKIE(
            "cookie",
            "round-robin",
            "the session travels in the shopper's cookie, sealed (encrypted and signed); nodes keep nothing");

    private final String label;
    private final String routing;
    private final String about;

    LabStrategy(String label, String routing, String about) {
        this.label = label;
        this.routing = routing;
        this.about = about;
    }

    /** The name on the command line and in the report. */
    public String label() {
        return label;
    }

    /** The balancer policy this strategy runs behind. */
    public String routing() {
        return routing;
    }

    /** Whether the nodes keep their sessions in a server of their own, which a delay can move away. */
    public boolean hasStoreServer() {
        return this == REDIS || this == SQL;
    }

    /** Whether the nodes send each other copies of the sessions, which a delay between them slows. */
    public boolean nodesTalkToEachOther() {
        return this == REPLICATED || this == PRIMARY_BACKUP;
    }

    /** Whether a delay added between servers lies on this strategy's path: to a store, or between nodes. */
    public boolean crossesServers() {
        return hasStoreServer() || nodesTalkToEachOther();
    }

    /** One sentence on where the session lives. */
    public String about() {
        return about;
    }

    /** The strategy with this label, any case. */
    public static Optional<LabStrategy> named(String label) {
        String wanted = label.strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(s -> s.label.equals(wanted)).findFirst();
    }

    /** Every label, in the order the lab runs them. */
    public static List<String> labels() {
        return Arrays.stream(values()).map(LabStrategy::label).toList();
    }
}
