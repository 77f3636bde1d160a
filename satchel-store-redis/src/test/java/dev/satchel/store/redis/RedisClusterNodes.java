package dev.satchel.store.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Redis Cluster of six redis-server processes on free loopback ports, three masters with one
 * replica each, made by {@code redis-cli --cluster create}.
 */
final class RedisClusterNodes implements AutoCloseable {
    final List<LocalRedisServer> nodes;

    private RedisClusterNodes(List<LocalRedisServer> nodes) {
        this.nodes = nodes;
    }

    static RedisClusterNodes start(Path workDir) throws IOException, InterruptedException {
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
        } catch (IOException | InterruptedException | RuntimeException e) {
            nodes.forEach(LocalRedisServer::close);
            throw e;
        }
    }

    /** The seed URI of the store's cluster scheme, naming every node. */
    String uri() {
        StringBuilder uri = new StringBuilder("redis-cluster://");
        for (int i = 0; i < nodes.size(); i++) {
            uri.append(i == 0 ? "" : ",")
                    .append("127.0.0.1:")
                    .append(nodes.get(i).port());
        }
        return uri.toString();
    }

    /** Waits until every live node reports {@code cluster_state:<state>}. */
    void awaitState(String state, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (nodes.stream().filter(LocalRedisServer::isAlive).allMatch(n -> state(n).equals(state))) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        throw new IllegalStateException("the cluster did not reach state " + state + " within " + seconds + " s");
    }

    /** Waits until every master has its replica attached and in sync, so WAIT can succeed. */
    void awaitReplicasOnline(int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            long online = nodes.stream()
                    .filter(LocalRedisServer::isAlive)
                    .filter(n -> replication(n).contains("state=online"))
                    .count();
            if (online >= 3) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        throw new IllegalStateException("the replicas did not come online within " + seconds + " s");
    }

    private static String replication(LocalRedisServer node) {
        RedisClient client = RedisClient.create("redis://127.0.0.1:" + node.port());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            return c.sync().info("replication");
        } catch (RuntimeException e) {
            return "";
        } finally {
            client.shutdown();
        }
    }

    /** The node that now serves {@code key} as master. */
    LocalRedisServer masterOf(String key) {
        RedisClient client =
                RedisClient.create("redis://127.0.0.1:" + nodes.get(0).port());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            long slot = c.sync().clusterKeyslot(key);
            for (String line : c.sync().clusterNodes().split("\n")) {
                String[] f = line.split(" ");
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
        } finally {
            client.shutdown();
        }
    }

    private static String state(LocalRedisServer node) {
        RedisClient client = RedisClient.create("redis://127.0.0.1:" + node.port());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            String info = c.sync().clusterInfo();
            int at = info.indexOf("cluster_state:");
            return info.substring(at + 14, info.indexOf('\r', at)).strip();
        } catch (RuntimeException e) {
            return "unreachable";
        } finally {
            client.shutdown();
        }
    }

    @Override
    public void close() {
        nodes.forEach(LocalRedisServer::close);
    }
}
