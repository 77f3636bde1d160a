package dev.satchel.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Redis Cluster of six redis-server processes on free loopback ports, three masters with one
 * replica each, made by {@code redis-cli --cluster create}.
 */
public final class RedisClusterNodes implements AutoCloseable {
    private final List<LocalRedisServer> nodes;

    private RedisClusterNodes(List<LocalRedisServer> nodes) {
        this.nodes = nodes;
    }

    /**
     * Starts six nodes, joins them into a cluster and waits until it is up with every replica in sync.
     *
     * @param workDir where the nodes' logs and cluster configuration files go
     */
    public static RedisClusterNodes start(Path workDir) throws IOException, InterruptedException {
        List<LocalRedisServer> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                int port = LocalRedisServer.freePort();
                nodes.add(LocalRedisServer.launch(
                        workDir,
                        port,
                        LocalRedisServer.command(
                                workDir,
                                port,
                                "--cluster-enabled",
                                "yes",
                                "--cluster-config-file",
                                "nodes-" + port + ".conf",
                                "--cluster-node-timeout",
                                "1000")));
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            nodes.forEach(n -> create.add("127.0.0.1:" + n.port()));
            create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
            Process p = new ProcessBuilder(create).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("redis-cli --cluster create failed:\n" + out);
            }
            RedisClusterNodes cluster = new RedisClusterNodes(nodes);
            cluster.awaitState("ok", 30);
            cluster.awaitReplicasOnline(30);
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            nodes.forEach(LocalRedisServer::close);
            throw e;
        }
    }

    /** The seed URI of the store's cluster scheme, naming every node. */
    public String uri() {
        StringBuilder uri = new StringBuilder("redis-cluster://");
        for (int i = 0; i < nodes.size(); i++) {
            uri.append(i == 0 ? "" : ",")
                    .append("127.0.0.1:")
                    .append(nodes.get(i).port());
        }
        return uri.toString();
    }

    /** The six nodes, in the order they were started. */
    public List<LocalRedisServer> nodes() {
        return List.copyOf(nodes);
    }

    /** Waits until every live node reports {@code cluster_state:<state>}. */
    public void awaitState(String state, int seconds) {
        Await.until(
                Duration.ofSeconds(seconds),
                () -> nodes.stream().filter(LocalRedisServer::isAlive).allMatch(n -> state(n).equals(state)),
                "every live node of the cluster to report state " + state);
    }

    /** Waits until every master has its replica attached and in sync, so WAIT can succeed. */
    private void awaitReplicasOnline(int seconds) {
        Await.until(
                Duration.ofSeconds(seconds),
                () -> nodes.stream()
                                .filter(LocalRedisServer::isAlive)
                                .filter(n -> replication(n).contains("state=online"))
                                .count()
                        >= 3,
                "every master's replica to come online");
    }

    private static String replication(LocalRedisServer node) {
        try {
            return RedisProbe.text(node.port(), "INFO", "replication");
        } catch (IOException e) {
            return "";
        }
    }

    /** The node that now serves {@code key} as master. */
    public LocalRedisServer masterOf(String key) {
        try {
            int first = nodes.get(0).port();
            long slot = (Long) RedisProbe.call(first, "CLUSTER", "KEYSLOT", key);
            for (String line : RedisProbe.text(first, "CLUSTER", "NODES").split("\n")) {
                String[] f = line.strip().split(" ");
                if (f.length < 9 || !f[2].contains("master") || f[2].contains("fail")) {
                    continue;
                }
                for (int i = 8; i < f.length; i++) {
                    String[] range = f[i].split("-");
                    long from = Long.parseLong(range[0]);
                    long to = range.length > 1 ? Long.parseLong(range[1]) : from;
                    if (slot >= from && slot <= to) {
                        int port = Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1, f[1].indexOf('@')));
                        return nodes.stream()
                                .filter(n -> n.port() == port)
                                .findFirst()
                                .orElseThrow();
                    }
                }
            }
            throw new IllegalStateException("no master serves slot " + slot);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String state(LocalRedisServer node) {
        try {
            String info = RedisProbe.text(node.port(), "CLUSTER", "INFO");
            int at = info.indexOf("cluster_state:");
            int end = info.indexOf('\r', at);
            return info.substring(at + 14, end < 0 ? info.length() : end).strip();
        } catch (IOException | RuntimeException e) {
            return "unreachable";
        }
    }

    @Override
    public void close() {
        nodes.forEach(LocalRedisServer::close);
    }
}
