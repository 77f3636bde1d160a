package dev.satchel.cli;

import dev.satchel.balancer.Balancer;
import dev.satchel.balancer.BalancerConfig;
import dev.satchel.balancer.NodeAddress;
import dev.satchel.balancer.Policy;
import dev.satchel.lab.LabCluster;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One strategy's cluster for the lab: the shop nodes as separate JVMs ({@link ClusterSupervisor},
 * as {@code satchel demo} runs them) behind an in-process balancer on a free port, with the store
 * server the strategy needs (a redis-server) started before and stopped after.
 */
final class LabClusterProcesses implements LabCluster, AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final ClusterSupervisor supervisor;
    private final Balancer balancer;
    private final String shownStore;
    private final Optional<DemoRedisServer> storeServer;

    private LabClusterProcesses(
            ClusterSupervisor supervisor, Balancer balancer, String shownStore, Optional<DemoRedisServer> storeServer) {
        this.supervisor = supervisor;
        this.balancer = balancer;
        this.shownStore = shownStore;
        this.storeServer = storeServer;
    }

    /**
     * Starts {@code nodes} nodes on {@code store} from {@code basePort} and a balancer with
     * {@code policy} in front; closes whatever it started if any part fails.
     */
    static LabClusterProcesses start(
            int nodes,
            int basePort,
            String store,
            Map<String, String> environment,
            Optional<DemoRedisServer> storeServer,
            String policy,
            Path dataDir)
            throws Exception {
        ClusterSupervisor supervisor = new ClusterSupervisor(nodes, basePort, store, dataDir, environment);
        try {
            supervisor.startAll(START_TIMEOUT);
            BalancerConfig.Builder config = BalancerConfig.builder()
                    .listen("127.0.0.1", 0)
                    .admin("127.0.0.1", 0)
                    .policy(Policy.parse(policy))
                    .healthCheck("/health", Duration.ofSeconds(1), 2, 2)
                    .adminToken(BalancerConfig.generateAdminToken());
            supervisor.addresses().forEach(config::node);
            Balancer balancer = Balancer.start(config.build(), Optional.of(supervisor));
            return new LabClusterProcesses(supervisor, balancer, redacted(store), storeServer);
        } catch (Exception | Error e) {
            supervisor.close();
            closeQuietly(storeServer);
            throw e;
        }
    }

    /** A store as the report may show it: no password, no user-info. */
    static String redacted(String store) {
        return store.replaceAll("(?i)(password=)[^&;]*", "$1***").replaceAll("//[^@/]*@", "//***@");
    }

    @Override
    public URI entry() {
        return URI.create("http://127.0.0.1:" + balancer.address().getPort());
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
    public Optional<String> killableStore() {
        return storeServer.map(r -> "redis-server");
    }

    @Override
    public void killStore() {
        DemoRedisServer redis = storeServer.orElseThrow(() -> new IllegalStateException("no store the lab may kill"));
        try {
            redis.kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the store was killed", e);
        }
    }

    @Override
    public void startStore() {
        DemoRedisServer redis = storeServer.orElseThrow(() -> new IllegalStateException("no store the lab may kill"));
        try {
            redis.restart();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the store started", e);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the store did not start again: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        balancer.close();
        supervisor.close();
        closeQuietly(storeServer);
    }

    private static void closeQuietly(Optional<DemoRedisServer> c) {
        c.ifPresent(x -> {
            try {
                x.close();
            } catch (Exception ignored) {
                // stopping a helper server: nothing more to do
            }
        });
    }
}
