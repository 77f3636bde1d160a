package dev.satchel.cli;

import dev.satchel.cookie.SealedCookieSessions;
import dev.satchel.lab.LabStrategy;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What one strategy's cluster needs before its nodes start: the network it runs on (namespaces of
 * its own, or loopback), the store server the lab starts (a redis-server, in a namespace of its own
 * after the nodes'), a relay to a database that listens on this machine's loopback only, the
 * nodes' {@code --store} and environment, and notes for the report saying what was chosen.
 */
final class LabStoreSetup {
    /** A database on this machine's loopback, which nodes in namespaces reach through a relay. */
    private static final Pattern LOOPBACK_DATABASE =
            Pattern.compile("jdbc:(postgresql|mariadb|mysql)://(127\\.0\\.0\\.1|localhost)(?::(\\d{1,5}))?(?=[/?]|$)");

    /**
     * @param store the nodes' {@code --store}
     * @param environment what the nodes get in their environment (secrets, never the command line)
     * @param storeServer the store server the lab started, when it did
     * @param placement the nodes' network and the relay to the store
     * @param notes what the report says of the store
     */
    record Prepared(
            String store,
            Map<String, String> environment,
            Optional<LabStoreServer> storeServer,
            LabClusterProcesses.Placement placement,
            List<String> notes) {}

    /**
     * What the user chose of the store.
     *
     * @param redisAof the lab's redis-server's persistence flag ({@code --redis-aof})
     * @param sqlUrl the sql strategy's database ({@code --sql-url})
     * @param delay held each way on every connection from the nodes to the store server, or between
     *     the nodes of a cluster store
     * @param replicated a redis store as a master, its replica and three Sentinels ({@code --fault
     *     promote-store}) instead of one server
     * @param killable the store must be a server the lab starts and may kill ({@code --fault
     *     kill-store}): for sql, a PostgreSQL of the lab's own instead of the machine's
     * @param lossPercent packets dropped between the nodes and between them and the store's host, in
     *     percent (namespaces only)
     */
    record StoreChoice(
            String redisAof, String sqlUrl, Duration delay, boolean replicated, boolean killable, double lossPercent) {}

    private LabStoreSetup() {}

    /**
     * Sets up {@code strategy}'s network and store for {@code nodes} nodes, on namespaces when
     * {@code namespaces}; closes what it made if a later part fails.
     *
     * @throws IllegalStateException when a part the strategy needs cannot be had here (no
     *     redis-server on the PATH, say): the lab skips the strategy and says why
     */
    static Prepared prepare(LabStrategy strategy, int nodes, boolean namespaces, StoreChoice choice, Path dataDir)
            throws IOException, InterruptedException {
        Duration delay = choice.delay();
        Optional<NamespaceNetwork> network =
                namespaces ? Optional.of(NamespaceNetwork.create(nodes + 1)) : Optional.empty();
        Optional<LabStoreServer> storeServer = Optional.empty();
        Optional<TcpRelay> relay = Optional.empty();
        List<String> notes = new ArrayList<>();
        try {
            Map<String, String> environment = Map.of();
            String store;
            switch (strategy) {
                case REDIS -> {
                    RedisPersistence persistence =
                            RedisPersistence.ofFlag(choice.redisAof()).orElseThrow();
                    Host host = network.map(n -> n.host(nodes + 1)).orElse(Host.loopback());
                    if (choice.replicated()) {
                        if (!delay.isZero()) {
                            throw new IllegalStateException("--delay is added by a relay in front of one server, and"
                                    + " Sentinel hands the nodes the servers' own addresses");
                        }
                        DemoRedisSentinels group =
                                DemoRedisSentinels.start(dataDir.resolve("logs"), "256mb", persistence, host);
                        storeServer = Optional.of(group);
                        store = group.uri();
                        notes.add("a Redis master and its replica started by the lab, watched by three Sentinels that"
                                + " promote the replica once the master has not answered for 1 s; the replica copies"
                                + " the master asynchronously, as Redis does"
                                + (network.isPresent() ? "; all five in a network namespace of their own" : ""));
                        break;
                    }
                    DemoRedisServer redis = DemoRedisServer.start(dataDir.resolve("logs"), "256mb", persistence, host);
                    storeServer = Optional.of(redis);
                    store = redis.uri();
                    notes.add("a redis-server started by the lab, "
                            + switch (persistence) {
                                case NONE -> "keeping nothing on disk";
                                case AOF_EVERYSEC -> "with an append-only file flushed to disk every second";
                                case AOF_ALWAYS -> "with an append-only file flushed to disk on every write";
                            }
                            + (network.isPresent() ? ", in a network namespace of its own" : ""));
                    if (!delay.isZero()) {
                        String relayHost =
                                network.map(NamespaceNetwork::gateway).orElse("127.0.0.1");
                        TcpRelay r =
                                TcpRelay.start(relayHost, new InetSocketAddress(host.address(), redis.port()), delay);
                        relay = Optional.of(r);
                        store = "redis://" + r.address().getHostString() + ":"
                                + r.address().getPort();
                        notes.add(delayNote(delay, r));
                    }
                }
                case SQL -> {
                    if (choice.killable()) {
                        if (!choice.sqlUrl().equals("auto")) {
                            throw new IllegalStateException("--fault kill-store kills a database the lab starts, and"
                                    + " --sql-url names one it does not own");
                        }
                        Host host = network.map(n -> n.host(nodes + 1)).orElse(Host.loopback());
                        LabPostgresServer postgres = LabPostgresServer.start(dataDir.resolve("logs"), host);
                        storeServer = Optional.of(postgres);
                        store = postgres.uri();
                        notes.add("a PostgreSQL server started by the lab for this run, in a folder of its own,"
                                + " committing as PostgreSQL does by default (fsync and synchronous_commit on)"
                                + (network.isPresent() ? ", in a network namespace of its own" : ""));
                        if (!delay.isZero()) {
                            String relayHost =
                                    network.map(NamespaceNetwork::gateway).orElse("127.0.0.1");
                            TcpRelay r = TcpRelay.start(
                                    relayHost,
                                    new InetSocketAddress(
                                            host.address(),
                                            postgres.dataPorts().iterator().next()),
                                    delay);
                            relay = Optional.of(r);
                            store = "jdbc:postgresql://" + r.address().getHostString() + ":"
                                    + r.address().getPort() + "/postgres?user=postgres";
                            notes.add(delayNote(delay, r));
                        }
                        break;
                    }
                    store = sqlStore(choice.sqlUrl(), dataDir, notes);
                    Matcher m = LOOPBACK_DATABASE.matcher(store);
                    if (!delay.isZero() && !m.lookingAt()) {
                        throw new IllegalStateException("--delay is added by a relay in front of a database on this"
                                + " machine's loopback, and the sql strategy's database is not one ("
                                + (store.startsWith("jdbc:h2:") ? "embedded H2, inside the nodes" : "--sql-url")
                                + ")");
                    }
                    if (m.lookingAt() && (network.isPresent() || !delay.isZero())) {
                        int port = m.group(3) != null
                                ? Integer.parseInt(m.group(3))
                                : m.group(1).equals("postgresql") ? 5432 : 3306;
                        TcpRelay r = TcpRelay.start(
                                network.map(NamespaceNetwork::gateway).orElse("127.0.0.1"),
                                new InetSocketAddress("127.0.0.1", port),
                                delay);
                        relay = Optional.of(r);
                        store = "jdbc:" + m.group(1) + "://" + r.address().getHostString() + ":"
                                + r.address().getPort() + store.substring(m.end());
                        notes.add(
                                !delay.isZero()
                                        ? delayNote(delay, r)
                                        : "it listens on this machine's loopback, so the nodes reach it through"
                                                + " a relay in the lab at "
                                                + r.address().getHostString()
                                                + " (its CPU is the lab's, not counted)");
                    }
                }
                case COOKIE -> {
                    store = "cookie";
                    environment = Map.of(SealedCookieSessions.KEYSET_VARIABLE, SealedCookieSessions.generateKeyset());
                }
                default -> store = strategy.label();
            }
            Duration betweenNodes = Duration.ZERO;
            if (strategy.nodesTalkToEachOther() && !delay.isZero()) {
                betweenNodes = delay;
                notes.add("every byte between the nodes held " + delay.toMillis() + " ms each way by relays in the"
                        + " lab at " + network.map(NamespaceNetwork::gateway).orElse("127.0.0.1")
                        + ", one in front of each node's cluster port and one in front of its failure detection,"
                        + " which each node announces to the others instead of its own (this kernel has no netem;"
                        + " the relays' CPU is the lab's, not counted)");
            }
            if (choice.lossPercent() > 0 && network.isPresent()) {
                loseBetweenHosts(network.get(), nodes, choice.lossPercent());
                notes.add(lossNote(choice.lossPercent(), storeServer.isPresent(), relay.isPresent()));
            }
            return new Prepared(
                    store,
                    environment,
                    storeServer,
                    new LabClusterProcesses.Placement(network, relay, betweenNodes),
                    notes);
        } catch (IOException | InterruptedException | RuntimeException | Error e) {
            storeServer.ifPresent(LabStoreServer::close);
            relay.ifPresent(TcpRelay::close);
            network.ifPresent(NamespaceNetwork::close);
            throw e;
        }
    }

    /**
     * Every node drops packets from the other nodes and from the store's host; the store's host drops
     * packets from the nodes. What comes from the bridge's own address (the balancer) passes.
     */
    private static void loseBetweenHosts(NamespaceNetwork network, int nodes, double percent) {
        int storeHost = nodes + 1;
        for (int node = 1; node <= nodes; node++) {
            List<Integer> others = new ArrayList<>();
            for (int h = 1; h <= storeHost; h++) {
                if (h != node) {
                    others.add(h);
                }
            }
            network.loseFrom(node, others, percent);
        }
        List<Integer> allNodes = new ArrayList<>();
        for (int node = 1; node <= nodes; node++) {
            allNodes.add(node);
        }
        network.loseFrom(storeHost, allNodes, percent);
    }

    private static String lossNote(double percent, boolean storeServer, boolean relayed) {
        String dropped =
                java.math.BigDecimal.valueOf(percent).stripTrailingZeros().toPlainString()
                        + "% of the packets between the nodes"
                        + (storeServer ? ", and between them and the store's server," : "")
                        + " dropped at random as they entered the receiver's network namespace (nftables), so TCP sent"
                        + " them again";
        if (relayed && !storeServer) {
            dropped += "; the database is reached through the lab's relay, outside the namespaces, where none is"
                    + " dropped";
        }
        return dropped;
    }

    private static String delayNote(Duration delay, TcpRelay relay) {
        return "every byte between the nodes and the store held " + delay.toMillis() + " ms each way by a relay in"
                + " the lab at " + relay.address().getHostString() + " (this kernel has no netem; the relay's"
                + " CPU is the lab's, not counted)";
    }

    /** The sql strategy's store: the given URL, or PostgreSQL when it answers, or an embedded H2 file. */
    private static String sqlStore(String sqlUrl, Path dataDir, List<String> notes) {
        if (!sqlUrl.equals("auto")) {
            notes.add("the database given by --sql-url");
            return sqlUrl;
        }
        String postgres = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";
        DriverManager.setLoginTimeout(2);
        try (Connection ignored = DriverManager.getConnection(postgres)) {
            notes.add("PostgreSQL at 127.0.0.1:5432");
            return postgres;
        } catch (Exception e) {
            notes.add("PostgreSQL did not answer at 127.0.0.1:5432 (" + e.getMessage()
                    + "), so an embedded H2 file shared by the nodes");
            return "jdbc:h2:file:" + dataDir.resolve("lab-sessions")
                    + ";AUTO_SERVER=TRUE;TRACE_LEVEL_FILE=0;WRITE_DELAY=0";
        }
    }
}
