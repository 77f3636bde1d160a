package dev.satchel.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A Redis Cluster of six redis-server processes on free loopback ports, three masters with one
 * replica each, made by {@code redis-cli --cluster create}; optionally with TLS for clients, the
 * cluster bus and replication ({@link #startTls}).
 */
public final class RedisClusterNodes implements AutoCloseable {
    private final List<LocalRedisServer> nodes;
    /** Each node's TLS port, in the order of {@link #nodes}; empty for a plain cluster. */
    private final List<Integer> tlsPorts;

    private RedisClusterNodes(List<LocalRedisServer> nodes, List<Integer> tlsPorts) {
        this.nodes = nodes;
        this.tlsPorts = tlsPorts;
    }

    /**
     * Starts six nodes, joins them into a cluster and waits until it is up with every replica in sync.
     *
     * @param workDir where the nodes' logs and cluster configuration files go
     */
    public static RedisClusterNodes start(Path workDir) throws IOException, InterruptedException {
        return start(workDir, Optional.empty());
    }

    /**
     * Starts six nodes as {@link #start} does, each also on a TLS port with {@code pki}'s server
     * certificate ({@code tls-cluster} and {@code tls-replication} on, so the nodes talk TLS among
     * themselves and name their TLS ports to TLS clients). The plain ports stay open for the test's
     * own probes; {@link #uri()} names the TLS ones, with the {@code rediss-cluster://} scheme.
     */
    public static RedisClusterNodes startTls(Path workDir, TestPki pki) throws IOException, InterruptedException {
        return start(workDir, Optional.of(pki));
    }

    private static RedisClusterNodes start(Path workDir, Optional<TestPki> pki)
            throws IOException, InterruptedException {
        List<LocalRedisServer> nodes = new ArrayList<>();
        List<Integer> tlsPorts = new ArrayList<>();
        try {
            for (int i = 0; i < 6; i++) {
                int port = LocalRedisServer.freeClusterPort();
                List<String> options = new ArrayList<>(List.of(
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes-" + port + ".conf",
                        "--cluster-node-timeout",
                        "1000"));
                if (pki.isPresent()) {
                    int tlsPort = LocalRedisServer.freeClusterPort();
                    tlsPorts.add(tlsPort);
                    options.addAll(List.of(
                            "--tls-port",
                            Integer.toString(tlsPort),
                            "--tls-cert-file",
                            pki.get().serverCertificate().toString(),
                            "--tls-key-file",
                            pki.get().serverKey().toString(),
                            "--tls-ca-cert-file",
                            pki.get().caCertificate().toString(),
                            // A node connecting to another's bus or as a replica shows a client
                            // certificate: without one (the server's is for serverAuth only) the
                            // nodes never met, whatever tls-auth-clients says of clients.
                            "--tls-client-cert-file",
                            pki.get().clientCertificate().toString(),
                            "--tls-client-key-file",
                            pki.get().clientKey().toString(),
                            "--tls-auth-clients",
                            "no",
                            "--tls-cluster",
                            "yes",
                            "--tls-replication",
                            "yes"));
                }
                nodes.add(LocalRedisServer.launch(
                        workDir, port, LocalRedisServer.command(workDir, port, options.toArray(String[]::new))));
            }
            // Over TLS the nodes meet on their TLS ports: the cluster bus listens at the TLS port + 10000.
            List<String> create = new ArrayList<>(List.of("redis-cli"));
            pki.ifPresent(p ->
                    create.addAll(List.of("--tls", "--cacert", p.caCertificate().toString())));
            create.addAll(List.of("--cluster", "create"));
            for (int i = 0; i < nodes.size(); i++) {
                create.add("127.0.0.1:"
                        + (pki.isPresent() ? tlsPorts.get(i) : nodes.get(i).port()));
            }
            create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
            Path log = workDir.resolve("cluster-create.log");
            Process p = new ProcessBuilder(create)
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException("redis-cli --cluster create failed:\n" + Files.readString(log));
            }
            RedisClusterNodes cluster = new RedisClusterNodes(nodes, List.copyOf(tlsPorts));
            cluster.awaitState("ok", 30);
            cluster.awaitReplicasOnline(30);
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            nodes.forEach(LocalRedisServer::close);
            throw e;
        }
    }

    /**
     * The seed URI of the store's cluster scheme, naming every node: {@code redis-cluster://} and
     * the plain ports, or for a TLS cluster {@code rediss-cluster://} and the TLS ports.
     */
    public String uri() {
        boolean tls = !tlsPorts.isEmpty();
        StringBuilder uri = new StringBuilder(tls ? "rediss-cluster://" : "redis-cluster://");
        for (int i = 0; i < nodes.size(); i++) {
            uri.append(i == 0 ? "" : ",")
                    .append("127.0.0.1:")
                    .append(tls ? tlsPorts.get(i) : nodes.get(i).port());
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

    /** How many keys {@code node} holds ({@code DBSIZE}, asked on its plain port). */
    public long keysOn(LocalRedisServer node) {
        try {
            return (Long) RedisProbe.call(node.port(), "DBSIZE");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
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
                        // A TLS cluster names its nodes by their TLS ports.
                        int index = tlsPorts.indexOf(port);
                        return index >= 0
                                ? nodes.get(index)
                                : nodes.stream()
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
