package dev.satchel.cli;

import dev.satchel.balancer.Balancer;
import dev.satchel.balancer.BalancerConfig;
import dev.satchel.balancer.NodeAddress;
import dev.satchel.balancer.Policy;
import dev.satchel.demo.PrivateDataDir;
import dev.satchel.lab.ClusterFootprint;
import dev.satchel.lab.LabCluster;
import dev.satchel.lab.StoreMemory;
import dev.satchel.lab.StoreOperations;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One strategy's cluster for the lab: the shop nodes as separate JVMs ({@link ClusterSupervisor},
 * as {@code satchel demo} runs them) behind an in-process balancer on a free port, with the store
 * server the strategy needs (a redis-server) started before and stopped after. On a {@link
 * NamespaceNetwork} each node runs in a network namespace of its own (host {@code i} for {@code
 * node-i}), so it can be cut off; the network and any relay to the store close with the cluster.
 */
final class LabClusterProcesses implements LabCluster, AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Pattern REDIS_URL = Pattern.compile("redis://[^:/@]+:(\\d{1,5})");
    private static final Pattern POSTGRES_URL = Pattern.compile("jdbc:postgresql://[^/:?]+(?::(\\d{1,5}))?(?:/|$)");
    private static final Duration STOP_GRACE = Duration.ofSeconds(30);
    /** jcmd starts a JVM of its own and the node collects its whole heap: seconds on a loaded machine. */
    private static final Duration HEAP_READING_TIMEOUT = Duration.ofSeconds(20);

    private static final HttpClient ADMIN =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final ClusterSupervisor supervisor;
    private final Balancer balancer;
    private final String shownStore;
    private final Optional<LabStoreServer> storeServer;
    private final String adminToken;
    private final String store;
    private final Placement placement;
    private final String shopperPassword;

    /**
     * Where the cluster runs: on a network of namespaces or on loopback, and what carries the
     * nodes' traffic to a store that only listens on this machine's loopback. Closed with the
     * cluster, after its processes.
     *
     * @param network the nodes' hosts; empty on loopback
     * @param storeRelay the relay from the network to the store; empty when the nodes reach it directly
     * @param betweenNodes the delay added each way between the nodes of a cluster store (zero: none)
     */
    record Placement(Optional<NamespaceNetwork> network, Optional<TcpRelay> storeRelay, Duration betweenNodes)
            implements AutoCloseable {
        static Placement loopback() {
            return new Placement(Optional.empty(), Optional.empty(), Duration.ZERO);
        }

        Host nodeHost(int node) {
            return network.map(n -> n.host(node)).orElse(Host.loopback());
        }

        /** Where a relay in the lab listens so that every node reaches it: the bridge's gateway, or loopback. */
        /**
         * Where the lab's relays listen: the bridge's address on namespaces; on loopback another
         * loopback address than the nodes' (Linux answers all of 127/8 on {@code lo}), since each
         * node listens on a port number its relay listens on too (see {@link DelayedClusterRoute}).
         */
        String relayAddress() {
            return network.map(NamespaceNetwork::gateway).orElse("127.0.0.2");
        }

        @Override
        public void close() {
            storeRelay.ifPresent(TcpRelay::close);
            network.ifPresent(NamespaceNetwork::close);
        }
    }

    private LabClusterProcesses(
            ClusterSupervisor supervisor,
            Balancer balancer,
            String adminToken,
            String store,
            Optional<LabStoreServer> storeServer,
            Placement placement,
            String shopperPassword) {
        this.placement = placement;
        this.shopperPassword = shopperPassword;
        this.supervisor = supervisor;
        this.store = store;
        this.balancer = balancer;
        this.adminToken = adminToken;
        this.shownStore = redacted(store);
        this.storeServer = storeServer;
    }

    /**
     * Starts {@code nodes} nodes on {@code store} from {@code basePort}, placed as {@code placement}
     * says and each given {@code nodeOptions} (e.g. {@code --idle-timeout 120}), and a balancer with {@code policy} in front; closes whatever it was given or started if
     * any part fails.
     */
    static LabClusterProcesses start(
            int nodes,
            int basePort,
            String store,
            Map<String, String> environment,
            Optional<LabStoreServer> storeServer,
            String policy,
            Path dataDir,
            Placement placement,
            List<String> nodeOptions)
            throws Exception {
        Optional<DelayedClusterRoute> delayed = placement.betweenNodes().isZero()
                ? Optional.empty()
                : Optional.of(new DelayedClusterRoute(placement.relayAddress(), placement.betweenNodes()));
        ClusterSupervisor supervisor;
        try {
            supervisor = new ClusterSupervisor(
                    nodes,
                    basePort,
                    store,
                    dataDir,
                    environment,
                    placement::nodeHost,
                    nodeOptions,
                    delayed.<ClusterRoute>map(d -> d).orElse(ClusterRoute.DIRECT));
        } catch (IOException | RuntimeException e) { // the supervisor closed the route
            closeQuietly(storeServer);
            placement.close();
            throw e;
        }
        try {
            supervisor.startAll(START_TIMEOUT);
            String token = BalancerConfig.generateAdminToken();
            BalancerConfig.Builder config = BalancerConfig.builder()
                    .listen("127.0.0.1", 0)
                    .admin("127.0.0.1", 0)
                    .policy(Policy.parse(policy))
                    .healthCheck("/health", Duration.ofSeconds(1), 2, 2)
                    .adminToken(token);
            supervisor.addresses().forEach(config::node);
            Balancer balancer = Balancer.start(config.build(), Optional.of(supervisor));
            return new LabClusterProcesses(
                    supervisor, balancer, token, store, storeServer, placement, shopperPassword(dataDir));
        } catch (Exception | Error e) {
            supervisor.close();
            closeQuietly(storeServer);
            placement.close();
            throw e;
        }
    }

    /**
     * The lab's accounts' password, derived from the data directory's own secret: the users live in
     * that directory's database, so the accounts and their password stay together, and nothing more
     * is written to disk.
     */
    private static String shopperPassword(Path dataDir) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            String secret = PrivateDataDir.open(dataDir).databasePassword();
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] derived = mac.doFinal("satchel lab shoppers".getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(derived);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
        }
    }

    @Override
    public Optional<String> shopperPassword() {
        return Optional.of(shopperPassword);
    }

    /** A store as the report may show it: no password, no user-info. */
    static String redacted(String store) {
        return store.replaceAll("(?i)(password=)[^&;]*", "$1***").replaceAll("//[^@/]*@", "//***@");
    }

    @Override
    public URI entry() {
        return URI.create("http://127.0.0.1:" + balancer.address().getPort());
    }

    /** The balancer's live view; read-only here, as the lab keeps its admin token to itself. */
    String liveView() {
        return DemoCommand.liveView(balancer);
    }

    @Override
    public String store() {
        return shownStore;
    }

    @Override
    public List<String> nodes() {
        return supervisor.addresses().stream().map(NodeAddress::name).toList();
    }

    @Override
    public void kill(String node) {
        supervisor.kill(node);
    }

    @Override
    public void start(String node) {
        supervisor.start(node);
        try {
            supervisor.awaitHealthy(node, START_TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + node + " started", e);
        }
    }

    @Override
    public void stop(String node) {
        try {
            supervisor.stop(node, STOP_GRACE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + node + " stopped", e);
        }
    }

    @Override
    public void drain(String node) {
        admin(node, "drain");
    }

    @Override
    public void enable(String node) {
        admin(node, "enable");
    }

    @Override
    public boolean canPartition() {
        return placement.network().isPresent();
    }

    @Override
    public void cut(String node) {
        network().cut(hostOf(node));
    }

    @Override
    public void heal(String node) {
        network().heal(hostOf(node));
    }

    private NamespaceNetwork network() {
        return placement
                .network()
                .orElseThrow(() -> new IllegalStateException(
                        "the nodes share this machine's loopback: there is no link of a node's own to cut"));
    }

    /** node-i runs on host i. */
    private int hostOf(String node) {
        int i = nodes().indexOf(node);
        if (i < 0) {
            throw new IllegalArgumentException("no node named " + node + " in this cluster");
        }
        return i + 1;
    }

    /** Asks the balancer's admin API, as an operator's script would. */
    private void admin(String node, String action) {
        URI uri = URI.create("http://127.0.0.1:" + balancer.adminAddress().getPort() + "/api/nodes/"
                + URLEncoder.encode(node, StandardCharsets.UTF_8) + "/" + action);
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + adminToken)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.noBody())
                .build();
        try {
            HttpResponse<String> r = ADMIN.send(request, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() / 100 != 2) {
                throw new IllegalStateException(
                        "the balancer refused to " + action + " " + node + ": HTTP " + r.statusCode() + " " + r.body());
            }
        } catch (IOException e) {
            throw new IllegalStateException("the balancer's admin API did not answer: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking the balancer to " + action + " " + node, e);
        }
    }

    @Override
    public Optional<String> killableStore() {
        return storeServer.map(LabStoreServer::name);
    }

    @Override
    public void killStore() {
        LabStoreServer redis = storeServer.orElseThrow(() -> new IllegalStateException("no store the lab may kill"));
        try {
            redis.kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the store was killed", e);
        }
    }

    @Override
    public void startStore() {
        LabStoreServer redis = storeServer.orElseThrow(() -> new IllegalStateException("no store the lab may kill"));
        try {
            redis.restart();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the store started", e);
        } catch (IOException e) {
            throw new IllegalStateException("the store did not start again: " + e.getMessage(), e);
        }
    }

    @Override
    public ClusterFootprint footprint() {
        Set<Integer> storePorts = new HashSet<>();
        // The port the nodes' store URI names: the server's, or in a delay run the relay's (the
        // relay's own connection to the server, in the lab, is not the nodes' traffic).
        postgresPort(store).ifPresent(storePorts::add);
        redisPort(store).ifPresent(storePorts::add);
        if (redisPort(store).isEmpty()) { // Sentinel's URI names the Sentinels; the sessions are on the servers
            storeServer.ifPresent(s -> storePorts.addAll(s.dataPorts()));
        }
        return new ClusterFootprint(
                supervisor.livePids(),
                storeServer.map(LabStoreServer::pids).orElse(Map.of()),
                balancer.address().getPort(),
                supervisor.addresses().stream().map(NodeAddress::port).collect(Collectors.toSet()),
                new HashSet<>(supervisor.clusterPorts()),
                storePorts,
                Balancer.THREAD_NAME_PREFIX,
                placement
                        .network()
                        .map(n -> java.util.stream.IntStream.rangeClosed(1, n.hosts())
                                .mapToObj(n::namespace)
                                .toList())
                        .orElse(List.of()));
    }

    /** The port of a PostgreSQL JDBC URL's server, 5432 when it names none. */
    static Optional<Integer> postgresPort(String store) {
        Matcher m = POSTGRES_URL.matcher(store);
        if (!m.lookingAt()) {
            return Optional.empty();
        }
        return Optional.of(m.group(1) == null ? 5432 : Integer.parseInt(m.group(1)));
    }

    /** The port of the nodes' redis store URI: the server's own, or a relay's in front of it. */
    static Optional<Integer> redisPort(String store) {
        Matcher m = REDIS_URL.matcher(store);
        return m.matches() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
    }

    /** What the nodes' last health answers said, as the balancer's checks read them each second. */
    @Override
    public Map<String, Long> sessionsHeld() {
        return balancer.sessionsHeld();
    }

    /** Each node's heap after a full collection, read with jcmd, the nodes in parallel. */
    @Override
    public Map<String, Long> heapAfterFullCollection() {
        Map<String, java.util.concurrent.CompletableFuture<OptionalLong>> asked = new java.util.TreeMap<>();
        supervisor
                .livePids()
                .forEach((node, pid) -> asked.put(
                        node,
                        java.util.concurrent.CompletableFuture.supplyAsync(
                                () -> HeapReading.afterFullCollection(pid, HEAP_READING_TIMEOUT))));
        Map<String, Long> heap = new java.util.TreeMap<>();
        asked.forEach((node, reading) -> reading.join().ifPresent(bytes -> heap.put(node, bytes)));
        return heap;
    }

    @Override
    public StoreMemory storeMemory() {
        return storeServer
                .flatMap(LabStoreServer::memoryAndKeys)
                .map(m -> new StoreMemory(m[0], m[1], "keys"))
                .orElse(StoreMemory.NONE);
    }

    @Override
    public Optional<StoreOperations> storeOperations() {
        if (storeServer.isPresent() && postgresPort(store).isEmpty()) {
            OptionalLong commands = storeServer.get().commandsProcessed();
            return commands.isPresent()
                    ? Optional.of(new StoreOperations("commands", commands.getAsLong()))
                    : Optional.empty();
        }
        if (postgresPort(store).isEmpty()) {
            return Optional.empty();
        }
        // Transactions committed or rolled back in the sessions' database, as the server counts
        // them (its statistics reach this view within about a second).
        try (Connection c = DriverManager.getConnection(store);
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("select xact_commit + xact_rollback from pg_stat_database"
                        + " where datname = current_database()")) {
            return rs.next() ? Optional.of(new StoreOperations("transactions", rs.getLong(1))) : Optional.empty();
        } catch (SQLException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        balancer.close();
        supervisor.close();
        closeQuietly(storeServer);
        placement.close();
    }

    private static void closeQuietly(Optional<LabStoreServer> c) {
        c.ifPresent(x -> {
            try {
                x.close();
            } catch (Exception ignored) {
                // stopping a helper server: nothing more to do
            }
        });
    }
}
